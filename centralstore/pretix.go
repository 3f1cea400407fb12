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
	// Options are those the last read was made with ("checkin-list=12
	// include-pending=false"): a read with others reads everything
	// again, since what they leave out or let in differs.
	Options string
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
		err := db.queryRow(ctx, tx, `SELECT url, options, since, read_at, result, error FROM pretix WHERE id = 1`).
			Scan(&st.URL, &st.Options, &st.Since, &at, &st.Result, &st.Error)
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
			INSERT INTO pretix (id, url, options, since, read_at, result, error) VALUES (1, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET url = excluded.url, options = excluded.options, since = excluded.since,
				read_at = excluded.read_at, result = excluded.result, error = excluded.error`,
			st.URL, st.Options, st.Since, at, st.Result, st.Error)
		if err != nil {
			return fmt.Errorf("store pretix state: %w", err)
		}
		return nil
	})
}

// VoidTickets marks the people of ids whose tickets are still valid as
// not valid for reason, each with a new value of the server sequence so
// kiosks pull the change; ids not on the roster, removed, or already
// not valid are left as they are. It returns how many it marked. A
// pretix position whose product changed to one that admits nowhere (or
// off the check-in list followed) is such a ticket.
func (db *DB) VoidTickets(ctx context.Context, ids []string, reason string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		n = 0
		// The sequence first, as every roster change takes it (edit.go).
		if _, err := db.exec(ctx, tx, `UPDATE counters SET value = value WHERE name = 'seq'`); err != nil {
			return fmt.Errorf("server sequence: %w", err)
		}
		var valid []string
		for _, id := range ids {
			var why string
			var removed int
			err := db.queryRow(ctx, tx, `SELECT revoked_why, removed FROM people WHERE id = ?`, id).Scan(&why, &removed)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return fmt.Errorf("read %s: %w", id, err)
			}
			if why == "" && removed == 0 {
				valid = append(valid, id)
			}
		}
		if len(valid) == 0 {
			return nil
		}
		seq, err := db.nextSeq(ctx, tx, int64(len(valid)))
		if err != nil {
			return err
		}
		for _, id := range valid {
			if _, err := db.exec(ctx, tx, `UPDATE people SET revoked_why = ?, seq = ? WHERE id = ?`, reason, seq, id); err != nil {
				return fmt.Errorf("void %s: %w", id, err)
			}
			seq++
		}
		n = len(valid)
		return nil
	})
	return n, err
}
