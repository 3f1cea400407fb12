package store

import (
	"context"
	"database/sql"

	"usher/checkin"
)

// SaveSnapshot saves a snapshot of the state now, as Refresh and Close
// do every snapshotEvery rows.
func (db *DB) SaveSnapshot(ctx context.Context) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.saveSnapshot(ctx)
}

// SetSnapshotEvery changes how many rows this handle lets pass between
// snapshots.
func (db *DB) SetSnapshotEvery(n int64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.snapEvery = n
}

// Resumed returns the snapshot seq the last reload started from; 0 when
// it replayed the whole log.
func (db *DB) Resumed() int64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.resumed
}

// StateContents returns everything the in-memory state holds, and the
// last seq it reflects.
func (db *DB) StateContents() (checkin.Contents, int64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.st == nil {
		return checkin.Contents{}, db.lastSeq
	}
	return db.st.Contents(), db.lastSeq
}

// ResealSnapshot recomputes the stored snapshot's digest over what its
// row holds now, as someone editing the file on purpose would: what is
// then refused is refused for its contents, not its digest.
func ResealSnapshot(ctx context.Context, sdb *sql.DB) error {
	var r snapshotRow
	if err := sdb.QueryRowContext(ctx, `SELECT seq, row_digest, event, version, enrolled, kiosk, state FROM snapshot WHERE id = 1`).
		Scan(&r.seq, &r.rowDigest, &r.event, &r.version, &r.enrolled, &r.kiosk, &r.state); err != nil {
		return err
	}
	_, err := sdb.ExecContext(ctx, `UPDATE snapshot SET digest = ? WHERE id = 1`, r.sum())
	return err
}
