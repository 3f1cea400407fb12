package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"usher/checkin"
)

// insideSince returns the message of d, a re-scan of someone already
// inside (checkin.AlreadyInsideAgain): since when and through which
// door they are inside d.To, "Already inside since 10:02 (Main
// Entrance)", on the kiosk's local clock. That is this log's latest
// admission of them into d.To with no later move of theirs out of it
// (moves between rooms within it, and an undone row with its undo,
// aside). When this log does not know it (the center placed them there,
// after an admission at another door), d's own message stays.
func (db *DB) insideSince(ctx context.Context, tx *sql.Tx, d checkin.Decision) (string, error) {
	if d.Person == nil {
		return d.Message, nil
	}
	within := func(loc string) bool { return slices.Contains(db.ev.Chain(loc), d.To) }
	// Newest first: a re-scan soon after the entry reads a few rows.
	rows, err := tx.QueryContext(ctx, `
		SELECT seq, at, door, decision, from_loc, location, undoes FROM scans
		WHERE person_id = ? AND location IS NOT NULL ORDER BY seq DESC`, d.Person.ID)
	if err != nil {
		return "", fmt.Errorf("find the entry of %s: %w", d.Person.ID, err)
	}
	defer rows.Close()
	undone := map[int64]bool{}
	for rows.Next() {
		var (
			seq, at               int64
			door, kind, from, loc string
			undoes                sql.NullInt64
		)
		if err := rows.Scan(&seq, &at, &door, &kind, &from, &loc, &undoes); err != nil {
			return "", fmt.Errorf("find the entry of %s: %w", d.Person.ID, err)
		}
		switch {
		case undone[seq]:
		case undoes.Valid:
			// The undo put them back where the undone row found them.
			undone[undoes.Int64] = true
		case !within(loc):
			return d.Message, nil // they left since their last entry here
		case within(from):
			// A move between spaces inside d.To: still inside it.
		case kind == string(checkin.Admit):
			name := door
			if dr := db.ev.Door(door); dr != nil {
				name = dr.Name
			}
			return fmt.Sprintf("Already inside since %s (%s)", time.UnixMilli(at).Local().Format("15:04"), name), nil
		default:
			return d.Message, nil
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("find the entry of %s: %w", d.Person.ID, err)
	}
	return d.Message, nil
}
