package centralstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"usher/checkin"
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

// SetPretix stores the pretix state after a read, and gives up the
// claim StartPretix took.
func (db *DB) SetPretix(ctx context.Context, st PretixState) error {
	var at int64
	if !st.ReadAt.IsZero() {
		at = st.ReadAt.UnixMilli()
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := db.exec(ctx, tx, `
			INSERT INTO pretix (id, url, options, since, read_at, result, error, reading_until) VALUES (1, ?, ?, ?, ?, ?, ?, 0)
			ON CONFLICT (id) DO UPDATE SET url = excluded.url, options = excluded.options, since = excluded.since,
				read_at = excluded.read_at, result = excluded.result, error = excluded.error, reading_until = 0`,
			st.URL, st.Options, st.Since, at, st.Result, st.Error)
		if err != nil {
			return fmt.Errorf("store pretix state: %w", err)
		}
		return nil
	})
}

// void marks the tickets of the people in reasons (id → reason) not
// valid, each with a new value of the server sequence so kiosks pull
// the change; see ImportOptions.Void. It returns how many it marked.
func (db *DB) void(ctx context.Context, tx *sql.Tx, reasons map[string]string) (int, error) {
	var valid []string
	for id := range reasons {
		var (
			why     string
			removed int
		)
		err := db.queryRow(ctx, tx, `SELECT revoked_why, removed FROM people WHERE id = ?`, id).Scan(&why, &removed)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return 0, fmt.Errorf("read %s: %w", id, err)
		}
		if why == "" && removed == 0 {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return 0, nil
	}
	slices.Sort(valid)
	seq, err := db.nextSeq(ctx, tx, int64(len(valid)))
	if err != nil {
		return 0, err
	}
	for _, id := range valid {
		if _, err := db.exec(ctx, tx, `UPDATE people SET revoked_why = ?, seq = ? WHERE id = ?`, reasons[id], seq, id); err != nil {
			return 0, fmt.Errorf("void %s: %w", id, err)
		}
		seq++
	}
	return len(valid), nil
}

// pretixLease is how long a pretix read may hold the center's claim on
// reading pretix (StartPretix) before another may take it over: one
// stuck or killed is not waited for forever.
const pretixLease = 15 * time.Minute

// StartPretix claims the reading of pretix for one read, so that two
// (a pretix sync while serve follows pretix) never apply their copies
// of an order out of order; SetPretix gives the claim up. ECONFLICT
// when another read holds it, saying since when.
func (db *DB) StartPretix(ctx context.Context) error {
	now := db.Now()
	var held int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		r, err := db.exec(ctx, tx, `
			INSERT INTO pretix (id, url, reading_until) VALUES (1, '', ?)
			ON CONFLICT (id) DO UPDATE SET reading_until = excluded.reading_until WHERE pretix.reading_until < ?`,
			now.Add(pretixLease).UnixMilli(), now.UnixMilli())
		if err != nil {
			return fmt.Errorf("claim the pretix read: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return db.queryRow(ctx, tx, `SELECT reading_until FROM pretix WHERE id = 1`).Scan(&held)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if held != 0 {
		return checkin.Errorf(checkin.ECONFLICT, "another read of pretix is running (it started at %s); try again when it is done",
			time.UnixMilli(held).Add(-pretixLease).Local().Format("15:04:05"))
	}
	return nil
}
