package store

import (
	"context"

	"usher/sync/wire"
)

// ApplyPullThen is ApplyPull with between run after the page commits and
// before the search index is brought up to date: where another process
// may commit a change of its own.
func (db *DB) ApplyPullThen(ctx context.Context, page wire.PullResponse, between func()) error {
	patch, err := db.applyPull(ctx, page)
	between()
	if patch != nil {
		patch()
	}
	return err
}

// HoldSearch takes the search index's lock, as a search reading the
// whole roster does, until release is called.
func (db *DB) HoldSearch() (release func()) {
	db.searchMu.Lock()
	return db.searchMu.Unlock
}
