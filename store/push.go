package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"usher/checkin"
	"usher/sync/wire"
)

// The push queue is the log after the pushed mark: the events the center
// has not acknowledged storing (docs/design.md "Sync").

// pendingQuery selects the log after the pushed mark, oldest first.
const pendingQuery = `
	SELECT seq, hlc, at, door, direction, method, code, coalesce(person_id, ''), decision, reason, space, note,
		coalesce(from_loc, ''), coalesce(location, ''), delta, coalesce(undoes, 0), coalesce(rights, ''), cursor, t, terr
	FROM scans
	WHERE seq > coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '` + keyPushed + `'), 0)
	ORDER BY seq LIMIT ?`

// Pending returns up to limit events of the log the server has not
// acknowledged, oldest first.
func (db *DB) Pending(ctx context.Context, limit int) ([]wire.Event, error) {
	rows, err := db.db.QueryContext(ctx, pendingQuery, limit)
	if err != nil {
		return nil, fmt.Errorf("read pending scans: %w", err)
	}
	defer rows.Close()
	var out []wire.Event
	for rows.Next() {
		var (
			e      wire.Event
			rights string
			st     checkin.Stamp
		)
		if err := rows.Scan(&e.Seq, &e.HLC, &e.At, &e.Door, &e.Direction, &e.Method, &e.Code, &e.Person,
			&e.Decision, &e.Reason, &e.Space, &e.Note, &e.From, &e.Location, &e.Delta, &e.Undoes, &rights, &e.Cursor,
			&st.T, &st.Err); err != nil {
			return nil, fmt.Errorf("read pending scans: %w", err)
		}
		if st.Known() && st.Err <= wire.MaxStampErr {
			e.Stamp = &st
		}
		if rights != "" {
			if e.Rights, err = decodeRights(rights); err != nil {
				return nil, fmt.Errorf("scan %d: %w", e.Seq, err)
			}
		}
		e.Code = loggable(e.Code) // rows logged before codes were kept valid
		// The center refuses a NUL byte in text (PostgreSQL cannot store
		// one); a scanner can send one, and the log keeps what it read.
		e.Code, e.Note = strings.ReplaceAll(e.Code, "\x00", "?"), strings.ReplaceAll(e.Note, "\x00", "?")
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pending scans: %w", err)
	}
	return out, nil
}

// Waiting returns how many scans the server has not acknowledged yet.
func (db *DB) Waiting(ctx context.Context) (int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM scans WHERE method != '`+methodRights+`' AND seq > coalesce(
		(SELECT CAST(value AS INTEGER) FROM settings WHERE key = '`+keyPushed+`'), 0)`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting scans: %w", err)
	}
	return n, nil
}

// MarkPushed moves the pushed mark to through, the last seq the server
// acknowledged storing. The mark never moves back, so a late answer to
// an older push changes nothing. Returns EINVALID when through is beyond
// the log: the server acknowledged what this kiosk never sent.
func (db *DB) MarkPushed(ctx context.Context, through int64) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark pushed: %w", err)
	}
	defer tx.Rollback()
	pushed, err := intSetting(ctx, tx, keyPushed)
	if err != nil {
		return err
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM scans`).Scan(&last); err != nil {
		return fmt.Errorf("mark pushed: %w", err)
	}
	switch {
	case through > last:
		return checkin.Errorf(checkin.EINVALID, "the server acknowledged scan %d, but the log ends at %d", through, last)
	case through <= pushed:
		return nil
	}
	if err := setSetting(ctx, tx, keyPushed, strconv.FormatInt(through, 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark pushed: %w", err)
	}
	return nil
}
