package centralstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PretixState is the pretix event the center follows (usher-central
// pretix sync) and what its last read did, for the next read and for the
// dashboard.
type PretixState struct {
	URL string // the event's API root
	// Since is the modified_since of the next read (RFC 3339): only the
	// orders changed from then on are read again. "" reads everything.
	Since string
	// ReadAt is when the last read ended; zero before the first.
	ReadAt time.Time
	Result string // what the last read returned, when it succeeded
	Error  string // why the last read failed; "" when it succeeded
}

// Pretix returns the stored pretix state: the zero state (no URL) when
// the center never read pretix.
func (db *DB) Pretix(ctx context.Context) (PretixState, error) {
	var (
		st PretixState
		at int64
	)
	err := db.read(ctx, func(tx *sql.Tx) error {
		err := db.queryRow(ctx, tx, `SELECT url, since, read_at, result, error FROM pretix WHERE id = 1`).
			Scan(&st.URL, &st.Since, &at, &st.Result, &st.Error)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return PretixState{}, fmt.Errorf("read pretix state: %w", err)
	}
	if at > 0 {
		st.ReadAt = time.UnixMilli(at)
	}
	return st, nil
}

// SetPretix stores the pretix state after a read.
func (db *DB) SetPretix(ctx context.Context, st PretixState) error {
	var at int64
	if !st.ReadAt.IsZero() {
		at = st.ReadAt.UnixMilli()
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := db.exec(ctx, tx, `
			INSERT INTO pretix (id, url, since, read_at, result, error) VALUES (1, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET url = excluded.url, since = excluded.since, read_at = excluded.read_at,
				result = excluded.result, error = excluded.error`,
			st.URL, st.Since, at, st.Result, st.Error)
		if err != nil {
			return fmt.Errorf("store pretix state: %w", err)
		}
		return nil
	})
}
