package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"usher/checkin"
)

// Recent is one decision of a door's log, as the door screen lists it.
//
// It is an alias of an unnamed struct, not a named type, so that the
// screen (which must not import the store) can name the very same type
// in its Backend: two packages that spell out this struct get one type.
// Its fields are the same in app's recentScan; a change here is a
// compile error there.
type Recent = struct {
	Seq    int64
	At     time.Time
	Kind   checkin.Kind
	Reason checkin.Reason
	// Person is the person decided on (ID, Name, Category); nil for a
	// code that names nobody and for a headcount change.
	Person *checkin.Person
	Code   string
	Delta  int  // a headcount change, +1 or −1; 0 for a person
	Undone bool // a later undo took it back
}

// Recent returns the last n decisions at door, newest first: scans,
// admissions by name, overrides, headcount changes and undos, denials
// included; never the rows that only move capacity rights. It reads the
// log, so it is the same after a restart. n ≤ 0 returns nothing.
func (db *DB) Recent(ctx context.Context, door string, n int) ([]Recent, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT s.seq, s.at, s.decision, s.reason, s.person_id, p.name, p.category, s.code, s.delta,
		       s.seq IN (SELECT undoes FROM scans WHERE door = ? AND undoes IS NOT NULL)
		FROM scans s LEFT JOIN people p ON p.id = s.person_id
		WHERE s.door = ? AND s.method != '`+methodRights+`'
		ORDER BY s.seq DESC LIMIT ?`, door, door, n)
	if err != nil {
		return nil, fmt.Errorf("read recent scans: %w", err)
	}
	defer rows.Close()
	var out []Recent
	for rows.Next() {
		var (
			r                      Recent
			at, delta              int64
			kind, reason           string
			person, name, category sql.NullString
		)
		if err := rows.Scan(&r.Seq, &at, &kind, &reason, &person, &name, &category, &r.Code, &delta, &r.Undone); err != nil {
			return nil, fmt.Errorf("read recent scans: %w", err)
		}
		r.At, r.Kind, r.Reason, r.Delta = time.UnixMilli(at), checkin.Kind(kind), checkin.Reason(reason), int(delta)
		if person.Valid {
			r.Person = &checkin.Person{ID: person.String, Name: name.String, Category: category.String}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DoorToday counts the people through door since since: in is the
// admissions (by badge, by name, overrides, headcount +1, and a re-scan
// of someone already inside, who did walk through), out the exits
// (headcount −1 and the exit of someone not recorded inside included).
// A scan an undo took back is not counted, nor is the undo itself. (An
// undo is logged at the door of the scan it takes back; the log has no
// index on undoes, so the undone seqs are gathered once, not per row.)
func (db *DB) DoorToday(ctx context.Context, door string, since time.Time) (in, out int, err error) {
	err = db.db.QueryRowContext(ctx, `
		SELECT coalesce(sum(s.decision = ?), 0), coalesce(sum(s.decision = ?), 0)
		FROM scans s
		WHERE s.door = ? AND s.at >= ? AND s.method != '`+methodRights+`'
		  AND s.seq NOT IN (SELECT undoes FROM scans WHERE door = ? AND undoes IS NOT NULL)`,
		string(checkin.Admit), string(checkin.Leave), door, since.UnixMilli(), door).Scan(&in, &out)
	if err != nil {
		return 0, 0, fmt.Errorf("count today's scans at %s: %w", door, err)
	}
	return in, out, nil
}
