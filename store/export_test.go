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

// SearchReady reports whether the name search holds the roster as it
// is stored now: a search would not read it again.
func (db *DB) SearchReady(ctx context.Context) bool {
	db.searchMu.Lock()
	defer db.searchMu.Unlock()
	v, err := db.Setting(ctx, keyRosterVersion)
	return err == nil && db.search != nil && db.search.version == v
}
