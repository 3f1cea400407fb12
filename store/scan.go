package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"usher/badge"
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

// loggable returns what the log keeps of a scanned code: valid UTF-8 (a
// misread byte becomes '?') cut on a character boundary at
// maxLoggedCode bytes, so it stays within the protocol's bound when sent.
func loggable(code string) string {
	code = strings.ToValidUTF8(code, "?")
	if len(code) <= maxLoggedCode {
		return code
	}
	cut := maxLoggedCode
	for cut > 0 && !utf8.RuneStart(code[cut]) {
		cut--
	}
	return code[:cut]
}

// maxNote bounds a staff note.
const maxNote = 500

// methodRights is checkin.ByRights as the method column holds it, for the
// queries that leave rows of rights alone out.
const methodRights = string(checkin.ByRights)

// Scan decides a scan and records it (docs/design.md "The admit
// decision"). The decision, denials included, is committed before Scan
// returns; only then is it applied to presence and
// occupancy. The decision carries the seq it was logged under. If the
// decision cannot be recorded, Scan returns a deny with reason log_failed
// and seq 0 together with the error: never an admit.
//
// A scan ByName names the person by PersonID instead of a code. ByName
// and Override scans need a Note (the staff's reason).
//
// Returns ENOTFOUND if no event is loaded or a ByName person is not on the
// roster, and EINVALID for an unknown door or a missing note.
func (db *DB) Scan(ctx context.Context, scan checkin.Scan) (checkin.Decision, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if scan.Direction != checkin.Exit {
		scan.Direction = checkin.Entry
	}
	if scan.Method == "" {
		scan.Method = checkin.ByBadge
	}
	scan.Note = strings.TrimSpace(scan.Note)
	if (scan.Method == checkin.ByName || scan.Override) && scan.Note == "" {
		return logFailed, checkin.Errorf(checkin.EINVALID, "a reason is required to admit by name or override a denial")
	}
	if len(scan.Note) > maxNote {
		return logFailed, checkin.Errorf(checkin.EINVALID, "the reason is longer than %d characters", maxNote)
	}
	return db.write(ctx, scan.Door, func(tx *sql.Tx) (checkin.Decision, row, error) {
		badge, err := db.lookup(ctx, tx, scan)
		if err != nil {
			return checkin.Decision{}, row{}, err
		}
		if scan.Method == checkin.ByName && badge.Person == nil {
			return checkin.Decision{}, row{}, checkin.Errorf(checkin.ENOTFOUND, "person %q is not on the roster", scan.PersonID)
		}
		d := db.ev.Decide(scan, badge, db.st)
		if d.Reason == checkin.AlreadyInsideAgain {
			if d.Message, err = db.insideSince(ctx, tx, d); err != nil {
				return checkin.Decision{}, row{}, err
			}
		}
		r := row{door: scan.Door, direction: scan.Direction, method: string(scan.Method), code: scan.Code, note: scan.Note}
		return d, r, nil
	})
}

// Adjust records a staff headcount change at a door for someone without
// a badge (+1), or one fewer (−1), with the staff's reason. +1 respects
// capacity like any admission. Errors as for Scan.
func (db *DB) Adjust(ctx context.Context, door string, delta int, note string) (checkin.Decision, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	note = strings.TrimSpace(note)
	switch {
	case delta != 1 && delta != -1:
		return logFailed, checkin.Errorf(checkin.EINVALID, "a headcount changes by +1 or -1, not %d", delta)
	case note == "":
		return logFailed, checkin.Errorf(checkin.EINVALID, "a reason is required to change a headcount")
	case len(note) > maxNote:
		return logFailed, checkin.Errorf(checkin.EINVALID, "the reason is longer than %d characters", maxNote)
	}
	return db.write(ctx, door, func(tx *sql.Tx) (checkin.Decision, row, error) {
		d := db.ev.DecideAdjust(door, delta, db.st)
		r := row{door: door, direction: checkin.Entry, method: string(checkin.ByHeadcount), note: note}
		if d.Kind != checkin.Deny {
			r.delta = delta
		}
		return d, r, nil
	})
}

// Undo takes back the last scan or headcount change that moved someone
// at door, if it is at most within old: a compensating row is added,
// nothing is deleted. The person goes back where they were, which needs
// room like any entry; a person who has moved since is not moved back.
func (db *DB) Undo(ctx context.Context, door string, within time.Duration) (checkin.Decision, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.write(ctx, door, func(tx *sql.Tx) (checkin.Decision, row, error) {
		var (
			seq, at, delta int64
			person         sql.NullString
			from, to       sql.NullString
			undoes         sql.NullInt64
		)
		// Only the very last record at this door can be undone: what staff
		// just saw on the screen, not an older scan behind a denial.
		err := tx.QueryRowContext(ctx, `
			SELECT seq, at, person_id, from_loc, location, delta, undoes FROM scans
			WHERE door = ? AND method != '`+methodRights+`' ORDER BY seq DESC LIMIT 1`, door).
			Scan(&seq, &at, &person, &from, &to, &delta, &undoes)
		nothing := checkin.Decision{Kind: checkin.Deny, Reason: checkin.NothingToUndo}
		r := row{door: door, direction: checkin.Entry, method: string(checkin.ByUndo)}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			nothing.Message = "Nothing to undo at this door."
			return nothing, r, nil
		case err != nil:
			return checkin.Decision{}, row{}, fmt.Errorf("find last scan: %w", err)
		case undoes.Valid:
			nothing.Message = "The last scan here was already undone."
			return nothing, r, nil
		case !to.Valid:
			nothing.Message = "Nothing to undo: the last scan here changed nothing."
			return nothing, r, nil
		case db.Now().Sub(time.UnixMilli(at)) > within:
			nothing.Message = fmt.Sprintf("Nothing to undo: the last scan here is more than %s old.", minutes(within))
			return nothing, r, nil
		}
		rev := checkin.Reversal{Door: door, From: from.String, To: to.String, Delta: int(delta)}
		if person.Valid {
			p, err := personByID(ctx, tx, person.String)
			if err != nil {
				return checkin.Decision{}, row{}, err
			}
			rev.Person = &p.Person
		}
		d := db.ev.DecideUndo(rev, db.st)
		if d.Kind != checkin.Deny {
			r.undoes = seq
			if rev.Person == nil {
				r.delta = -int(delta)
			}
		}
		return d, r, nil
	})
}

// minutes says a duration the way a person would.
func minutes(d time.Duration) string {
	if m := int(d.Minutes()); m == 1 {
		return "1 minute"
	} else if m > 1 && d == time.Duration(m)*time.Minute {
		return fmt.Sprintf("%d minutes", m)
	}
	return d.String()
}

func (db *DB) check(door string) error {
	if db.ev == nil {
		return checkin.Errorf(checkin.ENOTFOUND, "no event is loaded; run usher load first")
	}
	if db.ev.Door(door) == nil {
		return checkin.Errorf(checkin.EINVALID, "door %q is not in event %s", door, db.ev.ID)
	}
	return nil
}

// row is what a decision adds to the log besides the decision itself.
type row struct {
	door      string
	direction checkin.Direction
	method    string
	code      string
	note      string
	delta     int   // headcount change, 0 for a person
	undoes    int64 // the seq an undo takes back
	holder    string
	rights    []checkin.RightChange
}

// write runs decide inside one write transaction, after catching up with
// what other handles or processes committed, records its decision,
// commits, and only then applies the decision to presence and occupancy.
// The caller holds db.mu.
//
// A decision refused for want of capacity rights at a kiosk that can ask
// the center on the spot (AskRights) is not recorded at once: the
// transaction is dropped, the lock let go while the kiosk asks, and the
// scan decided again with what the center gave, once.
func (db *DB) write(ctx context.Context, door string, decide func(*sql.Tx) (checkin.Decision, row, error)) (checkin.Decision, error) {
	d, err := db.writeOnce(ctx, door, decide, db.AskRights != nil)
	if !errors.Is(err, errAskRights) {
		return d, err
	}
	db.mu.Unlock()
	_ = db.AskRights(ctx) // a failed ask leaves the refusal, decided again below
	db.mu.Lock()
	return db.writeOnce(ctx, door, decide, false)
}

// errAskRights drops a decision that wants rights the center may give.
var errAskRights = errors.New("ask the center for rights first")

// wantsRights reports whether d refuses only for want of this kiosk's
// capacity rights (checkin's needRights): the center may give one.
func (db *DB) wantsRights(d checkin.Decision) bool {
	return d.Reason.ForCapacity() && d.Kind == checkin.Deny && db.st.Limited()
}

func (db *DB) writeOnce(ctx context.Context, door string, decide func(*sql.Tx) (checkin.Decision, row, error), ask bool) (checkin.Decision, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return logFailed, unrecorded(err)
	}
	defer tx.Rollback()
	db.walkup.id = ""
	if err := db.catchUp(ctx, tx); err != nil {
		return logFailed, unrecorded(err)
	}
	if err := db.check(door); err != nil {
		return logFailed, err
	}
	d, r, err := decide(tx)
	if err != nil {
		if checkin.ErrorCode(err) != checkin.EINTERNAL {
			return logFailed, err
		}
		return logFailed, unrecorded(err)
	}
	// A kiosk the center revoked admits nobody: the decision is logged
	// as a denial, and only then shown.
	if db.revoked {
		d, r.delta, r.undoes = checkin.Standing{Revoked: true}.Decide(d), 0, 0
	}
	if ask && db.wantsRights(d) {
		return logFailed, errAskRights
	}
	r.holder, r.rights = db.st.RightsOf(db.ev, door, d, r.delta)
	seq, err := db.insert(ctx, tx, db.Now().UnixMilli(), r, d)
	if err != nil {
		return logFailed, unrecorded(err)
	}
	if err := tx.Commit(); err != nil {
		return logFailed, unrecorded(err)
	}
	if w := db.walkup; w.id != "" {
		// The name search finds them at once, without reading the
		// roster again (500,000 people: seconds).
		db.patchSearch(ctx, w.before, w.after, []string{w.id})
	}
	db.applyDecision(seq, d, r)
	d.Seq = seq
	return d, nil
}

// applyDecision applies a decision logged at seq, and its row, to the
// in-memory state: the move the row logs (insert logs one for a decision
// that moves a person, or a headcount change), as catchUp would apply it.
func (db *DB) applyDecision(seq int64, d checkin.Decision, r row) {
	if d.Moves() || r.delta != 0 {
		var person string
		if d.Person != nil {
			person = d.Person.ID
		}
		db.st.Apply(person, d.From, d.To, r.delta)
	}
	if len(r.rights) > 0 {
		db.st.ApplyRights(seq, r.holder, r.rights)
	}
	db.lastSeq = seq
}

// unrecorded is the error of a decision that could not be committed.
func unrecorded(err error) error {
	return writeError("record scan", "scans cannot be recorded", err)
}

// writeError is the error of a write that failed: op names it for the
// log; the message says why and what follows (consequence) in words
// staff can act on (ErrorMessage); the code is EINTERNAL, and the chain
// holds the cause.
func writeError(op, consequence string, err error) error {
	why := "The kiosk database cannot be written"
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			why = "The kiosk's disk is full"
		case sqlite3.SQLITE_IOERR:
			why = "The kiosk's disk failed a write"
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			why = "The kiosk database is read-only"
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			why = "Another program holds the kiosk database"
		}
	}
	return &writeFailure{checkin.Errorf(checkin.EINTERNAL, "%s: %s.", why, consequence), op, err}
}

type writeFailure struct {
	msg   *checkin.Error
	op    string
	cause error
}

func (e *writeFailure) Error() string   { return e.op + ": " + e.cause.Error() }
func (e *writeFailure) Unwrap() []error { return []error{e.msg, e.cause} }

// lookup resolves a scan to a badge: by code, or by person id for a scan
// by name. A code that cannot be a badge is not looked up.
func (db *DB) lookup(ctx context.Context, tx *sql.Tx, scan checkin.Scan) (checkin.Badge, error) {
	if scan.Method == checkin.ByName {
		p, err := personByID(ctx, tx, scan.PersonID)
		if checkin.ErrorCode(err) == checkin.ENOTFOUND {
			return checkin.Badge{}, nil
		} else if err != nil {
			return checkin.Badge{}, err
		}
		return checkin.Badge{Person: &p.Person, Revoked: p.Removed || p.Listed}, nil
	}
	if !checkin.PlausibleCode(scan.Code) {
		return checkin.Badge{}, nil
	}
	if badge.IsBadge(scan.Code) {
		return db.lookupSigned(ctx, tx, scan.Code)
	}
	var (
		p                checkin.Person
		tags             string
		revoked, removed bool
	)
	err := on(ctx, tx, db.stmtLookup).QueryRowContext(ctx, scan.Code).
		Scan(&p.ID, &p.Name, &p.Company, &p.Category, &tags, &p.Serial, &p.Revoked, &revoked, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return lookupAnyCase(ctx, tx, scan.Code)
	} else if err != nil {
		return checkin.Badge{}, fmt.Errorf("look up code: %w", err)
	}
	p.Tags, p.Code = splitTags(tags), scan.Code
	return checkin.Badge{Person: &p, Revoked: revoked || removed}, nil
}

// lookupSigned checks a signed badge against the event's keys and finds
// its person: on the roster, or, for someone registered after the roster
// was loaded, added to it from the badge (category and tags; the name
// follows with the next roster). A badge whose serial is below the
// person's current one (a reprint), or that the revocation list revokes
// (its serial or a higher one, or the person), is revoked.
//
// A badge out of its validity (expired, not yet valid) names its person
// when the roster has them: its signature is good, so it is theirs, and
// staff see who stands at the door. It adds nobody and raises no serial.
// Over 60 lines: each check of a signed badge in the order above, in
// the scan's transaction.
func (db *DB) lookupSigned(ctx context.Context, tx *sql.Tx, code string) (checkin.Badge, error) {
	pl, err := badge.Verify(code, db.ev.ID, db.keys, db.Now())
	var prob *badge.Problem
	if errors.As(err, &prob) {
		b := checkin.Badge{Problem: prob.Reason}
		if prob.Reason != checkin.ExpiredBadge && prob.Reason != checkin.NotYetValid {
			return b, nil
		}
		switch e, err := personByID(ctx, tx, pl.Person); {
		case err == nil:
			e.Code = code
			b.Person = &e.Person
		case checkin.ErrorCode(err) != checkin.ENOTFOUND:
			return checkin.Badge{}, err
		}
		return b, nil
	} else if err != nil {
		return checkin.Badge{}, err
	}
	e, err := personByID(ctx, tx, pl.Person)
	switch {
	case checkin.ErrorCode(err) == checkin.ENOTFOUND:
		if !db.ev.Reaches(pl.Category) {
			return checkin.Badge{Problem: checkin.NotEntitled}, nil
		}
		e = entry{Person: checkin.Person{ID: pl.Person, Name: "New registration " + pl.Person,
			Category: pl.Category, Tags: pl.Tags, Serial: pl.Serial}}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO people (id, name, category, tags, serial, walkup) VALUES (?, ?, ?, ?, ?, 1)`,
			e.ID, e.Name, e.Category, joinTags(e.Tags), e.Serial); err != nil {
			return checkin.Badge{}, fmt.Errorf("add %s from their badge: %w", e.ID, err)
		}
		before, err := setting(ctx, tx, keyRosterVersion)
		if err != nil {
			return checkin.Badge{}, err
		}
		if err := bumpRoster(ctx, tx); err != nil {
			return checkin.Badge{}, err
		}
		after, err := setting(ctx, tx, keyRosterVersion)
		if err != nil {
			return checkin.Badge{}, err
		}
		db.walkup.id, db.walkup.before, db.walkup.after = e.ID, before, after
	case err != nil:
		return checkin.Badge{}, err
	}
	listed, err := badgeListed(ctx, tx, pl.Person, pl.Serial)
	if err != nil {
		return checkin.Badge{}, err
	}
	e.Code = code
	revoked := e.Removed || pl.Serial < e.Serial || listed
	if !revoked && pl.Serial > e.Serial {
		// A reprint this kiosk learns of from the badge itself: from now
		// on the older badges are revoked here too.
		if _, err := tx.ExecContext(ctx, `UPDATE people SET serial = ? WHERE id = ?`, pl.Serial, e.ID); err != nil {
			return checkin.Badge{}, fmt.Errorf("record badge serial: %w", err)
		}
		e.Serial = pl.Serial
	}
	return checkin.Badge{Person: &e.Person, Revoked: revoked}, nil
}

func (db *DB) insert(ctx context.Context, tx *sql.Tx, at int64, r row, d checkin.Decision) (int64, error) {
	var person, from, loc, undoes any
	if d.Person != nil {
		person = d.Person.ID
	}
	if d.Moves() || r.delta != 0 {
		from, loc = d.From, d.To
	}
	if r.undoes != 0 {
		undoes = r.undoes
	}
	var rights any
	if len(r.rights) > 0 {
		rights = encodeRights(r.rights)
	}
	code := loggable(r.code)
	st := db.stamp()
	res, err := on(ctx, tx, db.stmtInsert).ExecContext(ctx,
		at, r.door, string(r.direction), r.method, code, person, string(d.Kind), string(d.Reason), d.Space, r.note,
		from, loc, r.delta, undoes, rights, st.T, st.Err, int64(db.clock.Now()))
	if err != nil {
		return 0, fmt.Errorf("insert scan: %w", err)
	}
	return res.LastInsertId()
}
