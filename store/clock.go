package store

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"usher/checkin"
	"usher/sync/hlc"
)

// The scan clock is the hybrid logical clock (sync/hlc) that stamps each
// event of the log after every reading already issued or seen, the
// server's too: it keeps causality (docs/design.md "Presence").

// ObserveHLC takes in the server's clock reading (from a push's answer),
// so that every later scan is stamped after it. A reading ahead of this
// kiosk's wall clock is also stored, so that it holds across a restart;
// one behind it needs no write: a restarted clock starts past it anyway.
func (db *DB) ObserveHLC(ctx context.Context, ts hlc.Timestamp) error {
	if ts > math.MaxInt64 {
		return checkin.Errorf(checkin.EINVALID, "server clock reading %d is out of range", ts)
	}
	db.clock.Observe(ts)
	if ts <= hlc.Make(db.Now(), 0) {
		return nil
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record server clock: %w", err)
	}
	defer tx.Rollback()
	seen, err := intSetting(ctx, tx, keyHLC)
	if err != nil || int64(ts) <= seen {
		return err
	}
	if err := setSetting(ctx, tx, keyHLC, strconv.FormatInt(int64(ts), 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record server clock: %w", err)
	}
	return nil
}

// startClock starts the scan clock after every timestamp already issued
// or seen: the log's highest, and the server's. The log's highest is its
// last row's: every row is stamped after the one before it (stmtInsert,
// migration 003), and reading one row by the key costs nothing where
// max(hlc) read the whole log, a second at a million rows.
func (db *DB) startClock(ctx context.Context) error {
	var last int64
	if err := db.db.QueryRowContext(ctx, `SELECT coalesce((SELECT hlc FROM scans ORDER BY seq DESC LIMIT 1), 0)`).Scan(&last); err != nil {
		return fmt.Errorf("read the scan clock: %w", err)
	}
	seen, err := intSetting(ctx, db.db, keyHLC)
	if err != nil {
		return err
	}
	db.clock = hlc.New(func() time.Time { return db.Now() }, hlc.Timestamp(max(last, seen)))
	return nil
}
