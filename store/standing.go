package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"usher/checkin"
)

// A kiosk's standing is how the center regards it: enrolled, revoked or
// forked (docs/design.md "Trust"). The sync loop records what the center
// answers; a revoked kiosk denies every scan until it is enrolled again.

// Standing returns how the center regards this kiosk, as far as it
// knows; the zero Standing for a standalone kiosk.
func (db *DB) Standing(ctx context.Context) (checkin.Standing, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?, ?)`,
		keyKioskID, keyDoor, keyRevoked, keyForked, keyKeptLocal)
	if err != nil {
		return checkin.Standing{}, fmt.Errorf("read sync standing: %w", err)
	}
	defer rows.Close()
	var s checkin.Standing
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return checkin.Standing{}, fmt.Errorf("read sync standing: %w", err)
		}
		switch key {
		case keyKioskID:
			s.Enrolled = value != ""
		case keyDoor:
			s.Door = value
		case keyRevoked:
			s.Revoked = value != ""
		case keyForked:
			s.Forked = value != ""
		case keyKeptLocal:
			n, err := strconv.Atoi(value)
			if err != nil {
				return checkin.Standing{}, fmt.Errorf("setting %s: %q is not a number", key, value)
			}
			s.KeptLocal = n
		}
	}
	if err := rows.Err(); err != nil {
		return checkin.Standing{}, fmt.Errorf("read sync standing: %w", err)
	}
	if !s.Enrolled {
		return checkin.Standing{}, nil
	}
	return s, nil
}

// MarkRevoked records that the center refused this kiosk's token. From
// the next decision on, at every handle on the file, each scan and staff
// action is logged as a denial (checkin.KioskRevoked) until the kiosk is
// enrolled again. A standalone kiosk is left as it is.
func (db *DB) MarkRevoked(ctx context.Context) error {
	return db.markStanding(ctx, keyRevoked)
}

// MarkForked records that the center holds other events under this
// kiosk's seqs: its database was restored from a backup or copied. It
// scans on as before, its scans still count, and it must be enrolled
// again. A standalone kiosk is left as it is.
func (db *DB) MarkForked(ctx context.Context) error {
	return db.markStanding(ctx, keyForked)
}

// markStanding sets key, once, with the time, on an enrolled kiosk.
func (db *DB) markStanding(ctx context.Context, key string) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO settings (key, value)
		SELECT ?, ? WHERE EXISTS (SELECT 1 FROM settings WHERE key = ? AND value != '')
		ON CONFLICT (key) DO NOTHING`, key, db.Now().UTC().Format(time.RFC3339), keyKioskID)
	if err != nil {
		return writeError("store setting "+key, "the kiosk's standing was not saved", err)
	}
	return nil
}
