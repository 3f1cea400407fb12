package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"usher/checkin"
)

// logFailed is shown when a decision could not be made durable. The door
// must not admit on it.
var logFailed = checkin.Decision{
	Kind:    checkin.Deny,
	Reason:  checkin.LogFailed,
	Message: "Could not record this scan. Do not admit; call a supervisor.",
}

// maxLoggedCode bounds what the log keeps of a code that is not a badge
// (a misread, a paste): enough to see what it was.
const maxLoggedCode = 2 * checkin.MaxCodeLen

// Scan decides a scan and records it. The decision, denials included, is
// committed before Scan returns; only then is it applied to presence and
// occupancy. If the decision cannot be recorded, Scan returns a deny with
// reason log_failed together with the error: never an admit.
//
// Returns ENOTFOUND if no event is loaded and EINVALID for an unknown door.
func (db *DB) Scan(ctx context.Context, scan checkin.Scan) (checkin.Decision, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.ev == nil {
		return logFailed, checkin.Errorf(checkin.ENOTFOUND, "no event is loaded; run usher load first")
	}
	if db.ev.Door(scan.Door) == nil {
		return logFailed, checkin.Errorf(checkin.EINVALID, "door %q is not in event %s", scan.Door, db.ev.ID)
	}
	if scan.Direction != checkin.Exit {
		scan.Direction = checkin.Entry
	}
	d, seq, err := db.scan(ctx, scan)
	if err != nil {
		return logFailed, fmt.Errorf("record scan: %w", err)
	}
	if d.Moves() {
		db.st.Move(d.Person.ID, d.To)
	}
	db.lastSeq = seq
	return d, nil
}

func (db *DB) scan(ctx context.Context, scan checkin.Scan) (checkin.Decision, int64, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return checkin.Decision{}, 0, err
	}
	defer tx.Rollback()
	if err := db.catchUp(ctx, tx); err != nil {
		return checkin.Decision{}, 0, err
	}
	badge, err := lookupCode(ctx, tx, scan.Code)
	if err != nil {
		return checkin.Decision{}, 0, err
	}
	d := db.ev.Decide(scan, badge, db.st)
	seq, err := insertScan(ctx, tx, db.Now().UnixMilli(), scan, d)
	if err != nil {
		return checkin.Decision{}, 0, err
	}
	return d, seq, tx.Commit()
}

// lookupCode resolves a badge code. A code that cannot be a badge is not
// looked up.
func lookupCode(ctx context.Context, tx *sql.Tx, code string) (checkin.Badge, error) {
	if !checkin.PlausibleCode(code) {
		return checkin.Badge{}, nil
	}
	var (
		p                checkin.Person
		tags             string
		revoked, removed bool
	)
	err := tx.QueryRowContext(ctx, `
		SELECT p.id, p.name, p.company, p.category, p.tags, c.revoked, p.removed
		FROM codes c JOIN people p ON p.id = c.person_id
		WHERE c.code = ?`, code).Scan(&p.ID, &p.Name, &p.Company, &p.Category, &tags, &revoked, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return checkin.Badge{}, nil
	} else if err != nil {
		return checkin.Badge{}, fmt.Errorf("look up code: %w", err)
	}
	p.Tags, p.Code = splitTags(tags), code
	return checkin.Badge{Person: &p, Revoked: revoked || removed}, nil
}

func insertScan(ctx context.Context, tx *sql.Tx, at int64, scan checkin.Scan, d checkin.Decision) (int64, error) {
	var person, loc any
	if d.Person != nil {
		person = d.Person.ID
	}
	if d.Moves() {
		loc = d.To
	}
	code := scan.Code
	if len(code) > maxLoggedCode {
		code = code[:maxLoggedCode]
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO scans (at, door, direction, code, person_id, decision, reason, space, location)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at, scan.Door, string(scan.Direction), code, person, string(d.Kind), string(d.Reason), d.Space, loc)
	if err != nil {
		return 0, fmt.Errorf("insert scan: %w", err)
	}
	return res.LastInsertId()
}
