package store

import (
	"context"
	"strings"
	"testing"

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

// SearchText returns the lines the name search holds now ("" for none),
// and how many chunks they are in.
func (db *DB) SearchText() (string, int) {
	db.searchMu.Lock()
	defer db.searchMu.Unlock()
	if db.search == nil {
		return "", 0
	}
	return strings.Join(db.search.chunks, ""), len(db.search.chunks)
}

// BuiltSearchText returns the lines the name search holds when it reads
// the roster as it is stored now.
func (db *DB) BuiltSearchText(ctx context.Context) (string, error) {
	x, err := db.buildSearch(ctx, "")
	if err != nil {
		return "", err
	}
	return strings.Join(x.chunks, ""), nil
}

// SetSearchChunk makes the search text's chunks about n bytes until the
// test ends.
func SetSearchChunk(tb testing.TB, n int) {
	old := searchChunk
	searchChunk = n
	tb.Cleanup(func() { searchChunk = old })
}

// BuildSearch reads the roster into a search index, as the first search
// after another process changed the roster does, and drops it.
func (db *DB) BuildSearch(ctx context.Context) error {
	_, err := db.buildSearch(ctx, "")
	return err
}
