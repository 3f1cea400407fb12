package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/internal/strset"
)

// LoadResult counts what a roster load changed.
type LoadResult struct {
	Added, Updated, Unchanged, Removed int
	// EventCreated: the database held no event; EventChanged: it held
	// another definition (the same staff PIN hashed anew is none).
	EventCreated, EventChanged bool
}

// EventWord says what the load did to the event: created, updated or
// unchanged.
func (r LoadResult) EventWord() string {
	switch {
	case r.EventCreated:
		return "created"
	case r.EventChanged:
		return "updated"
	}
	return "unchanged"
}

func (r LoadResult) String() string {
	return fmt.Sprintf("%d added, %d updated, %d unchanged, %d removed", r.Added, r.Updated, r.Unchanged, r.Removed)
}

// Load stores the event definition and, when roster is not nil, makes the
// roster exactly roster: people are added or updated by id, and people
// missing from it are marked removed and their badges revoked. A changed
// code revokes the person's old code (a reprint). A person whose ticket
// is not valid (Person.Revoked: refunded, cancelled, unpaid) stays on the
// roster with the reason, and every credential of theirs is denied
// entry; a later roster without the reason lets them in again.
// Everything happens in one transaction: on any error nothing is written.
//
// ev must be validated. Returns EINVALID when the database holds another
// event, when the new definition drops a space someone is recorded in, or
// when a code belongs to another person (on this roster or a past one).
func (db *DB) Load(ctx context.Context, ev *checkin.Event, roster []checkin.Person) (LoadResult, error) {
	return db.LoadAll(ctx, ev, roster, nil)
}

// LoadAll is Load with a revocation list: when revoked is not nil it
// replaces the revocation list, in the same transaction. A revocation
// revokes the person's signed badges of its serial and below, or with
// serial badge.AllSerials the person: every credential of theirs.
// Returns EINVALID, writing nothing, for a revocation of serial 0 (on no
// printed badge, so it would revoke nothing) or of nobody.
func (db *DB) LoadAll(ctx context.Context, ev *checkin.Event, roster []checkin.Person, revoked []checkin.Revocation) (LoadResult, error) {
	var r RosterReader
	if roster != nil {
		r = &sliceReader{people: roster}
	}
	res, err := db.LoadFrom(ctx, ev, r, revoked)
	if err == nil {
		// The kiosk opening this database finds its name search ready.
		// Unsaved, it is read from the roster at the first search: the
		// load itself is done, so its error does not fail the load. A
		// load from a stream leaves it to its caller (SaveSearch), once
		// the stream's memory is free.
		_ = db.SaveSearch(ctx)
	}
	return res, err
}

// A RosterReader yields a roster one person at a time (roster.Stream
// does, from a file). Next returns io.EOF after the last person; any
// other error ends the load, which writes nothing.
type RosterReader interface {
	Next() (checkin.Person, error)
}

// A UniqueRoster is a RosterReader that never yields an id or a code
// twice, and can say whether it has yielded an id: roster.Stream, which
// refuses a repeated id or code itself, naming both lines. A load from
// one keeps no record of its own of the ids and codes it was given.
type UniqueRoster interface {
	RosterReader
	Yielded(id string) bool
}

// rosterChecker is a RosterReader that can check the rest of its roster
// (roster.Stream.Check): a load that fails before the end reports the
// roster's own problems first, as it would had the roster been read
// whole before the load began.
type rosterChecker interface {
	Check() error
}

// sliceReader yields a roster held in memory.
type sliceReader struct {
	people []checkin.Person
	i      int
}

func (r *sliceReader) Next() (checkin.Person, error) {
	if r.i == len(r.people) {
		return checkin.Person{}, io.EOF
	}
	r.i++
	return r.people[r.i-1], nil
}

// LoadFrom is LoadAll with the roster read from r as the load goes, so
// that a roster of any size is loaded in the memory of a few thousand
// people, and, unless r is a UniqueRoster, a compact set of the ids and
// codes seen (some 25 bytes each: to refuse one that repeats, and to
// find the people no longer on the roster); nil leaves the roster as it
// is. Everything still happens in one transaction: a roster whose last
// row is bad writes nothing. The errors are LoadAll's, and r's: an error
// of r ends the load and is returned as it is; when the load fails for
// another reason and r can check the rest of its roster (as
// roster.Stream does), the roster's own problems are returned instead.
func (db *DB) LoadFrom(ctx context.Context, ev *checkin.Event, r RosterReader, revoked []checkin.Revocation) (LoadResult, error) {
	res, err := db.load(ctx, ev, r, revoked, upsertRoster)
	var re readError
	if errors.As(err, &re) {
		return res, re.err
	}
	if err != nil && r != nil && ctx.Err() == nil {
		if c, ok := r.(rosterChecker); ok {
			if cerr := c.Check(); cerr != nil {
				return res, cerr
			}
		}
	}
	return res, err
}

// readError is an error of a RosterReader, returned by LoadFrom as it is.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// upsertFunc makes the stored roster exactly the one r yields.
type upsertFunc func(ctx context.Context, tx *sql.Tx, r RosterReader) (LoadResult, error)

// load is LoadFrom with the roster's upsert given: the tests compare
// upsertRoster with the way it was done when the roster was held whole.
func (db *DB) load(ctx context.Context, ev *checkin.Event, roster RosterReader, revoked []checkin.Revocation, upsert upsertFunc) (LoadResult, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	var res LoadResult
	if err := badge.CheckRevocations(revoked); err != nil {
		return res, err
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("load: %w", err)
	}
	defer tx.Rollback()
	// An enrolled kiosk takes its event and roster from the center: a
	// local load would overwrite pulled changes the cursor has passed.
	if kiosk, err := setting(ctx, tx, keyKioskID); err != nil {
		return res, err
	} else if kiosk != "" {
		return res, checkin.Errorf(checkin.ECONFLICT, "this kiosk is enrolled (%s) and takes its event and roster from the central server; use usher sync, or load into a new database", kiosk)
	}

	ev, res.EventCreated, res.EventChanged, err = storeEvent(ctx, tx, ev, db.Now())
	if err != nil {
		return res, err
	}
	if roster != nil {
		counts, err := upsert(ctx, tx, roster)
		if err != nil {
			return res, err
		}
		res.Added, res.Updated, res.Unchanged, res.Removed = counts.Added, counts.Updated, counts.Unchanged, counts.Removed
	}
	if revoked != nil {
		if err := replaceRevocations(ctx, tx, revoked); err != nil {
			return res, err
		}
	}
	if err := checkCategories(ctx, tx, ev); err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("load: %w", err)
	}
	if err := db.reload(ctx, nil); err != nil {
		return res, err
	}
	return res, nil
}

// storeEvent stores ev over the stored event, which must be the same
// event (EINVALID otherwise), once no one is recorded in a space it no
// longer has. It returns the event as stored (a PIN hashed again under
// a new salt is no change: the stored hash is kept), whether it is new,
// and whether it changed.
func storeEvent(ctx context.Context, tx *sql.Tx, ev *checkin.Event, now time.Time) (_ *checkin.Event, created, changed bool, err error) {
	var (
		current, stored string
		old             *checkin.Event
	)
	switch err := tx.QueryRowContext(ctx, `SELECT event_id, definition FROM event WHERE id = 1`).Scan(&current, &stored); {
	case err == sql.ErrNoRows:
	case err != nil:
		return nil, false, false, fmt.Errorf("load: %w", err)
	case current != ev.ID:
		return nil, false, false, checkin.Errorf(checkin.EINVALID, "this database holds event %q; load event %q into a new database", current, ev.ID)
	default:
		if old, err = checkin.DecodeEvent([]byte(stored)); err != nil {
			return nil, false, false, fmt.Errorf("load: the stored event: %w", err)
		}
	}
	ev, changed = checkin.Reloaded(ev, old)
	def, err := json.Marshal(ev)
	if err != nil {
		return nil, false, false, fmt.Errorf("encode event: %w", err)
	}
	if err := checkLocations(ctx, tx, ev); err != nil {
		return nil, false, false, err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO event (id, event_id, definition, loaded_at, version) VALUES (1, ?, ?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, loaded_at = excluded.loaded_at,
			version = version + 1`,
		ev.ID, string(def), now.UTC().Format(time.RFC3339)); err != nil {
		return nil, false, false, fmt.Errorf("store event: %w", err)
	}
	return ev, old == nil, old != nil && changed, nil
}

// checkLocations refuses an event that no longer has a space someone is
// recorded in: their presence would be lost.
func checkLocations(ctx context.Context, tx *sql.Tx, ev *checkin.Event) error {
	rows, err := tx.QueryContext(ctx, `SELECT location FROM scans WHERE location IS NOT NULL UNION SELECT from_loc FROM scans WHERE from_loc IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("check locations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var loc string
		if err := rows.Scan(&loc); err != nil {
			return err
		}
		if loc != checkin.Outside && ev.Space(loc) == nil {
			return checkin.Errorf(checkin.EINVALID, "the event no longer defines space %q, but the scan log has people in it; keep the space", loc)
		}
	}
	return rows.Err()
}

// checkCategories makes sure every person still on the roster has a
// category the event defines and lets in somewhere: a person no rule
// covers is a configuration error, not a silent pass. The rule and its
// wording are checkin's (Event.CheckRosterCategory); this reads the
// roster's categories for it.
func checkCategories(ctx context.Context, tx *sql.Tx, ev *checkin.Event) error {
	rows, err := tx.QueryContext(ctx, `SELECT category, count(*), min(id) FROM people WHERE removed = 0 GROUP BY category`)
	if err != nil {
		return fmt.Errorf("check categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			cat, example string
			n            int
		)
		if err := rows.Scan(&cat, &n, &example); err != nil {
			return err
		}
		if err := ev.CheckRosterCategory(cat, n, example); err != nil {
			return err
		}
	}
	return rows.Err()
}

type existing struct {
	p       checkin.Person
	removed bool
	walkup  bool // first seen on a signed badge, not on a roster
}

// loadBatchSize is how many people of a roster are read before the stored
// records of theirs are asked for, in one query per batch.
const loadBatchSize = 1000

// upsertRoster makes the stored roster exactly the one r yields: everyone
// on it upserted (upsertPerson), everyone missing from it removed, except
// walk-ups registered after it was made. It reads r in batches, and asks
// the database what it holds of each batch's people (rosterOf); into a
// database that held nobody, it asks nothing. Unless r is a UniqueRoster,
// the ids and codes seen are kept in compact sets, to refuse one that
// repeats and to find who is no longer on the roster.
func upsertRoster(ctx context.Context, tx *sql.Tx, r RosterReader) (LoadResult, error) {
	var held bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM people) OR EXISTS (SELECT 1 FROM codes)`).Scan(&held); err != nil {
		return LoadResult{}, fmt.Errorf("read roster: %w", err)
	}
	u, err := newUpserter(ctx, tx, false)
	if err != nil {
		return LoadResult{}, err
	}
	defer u.close()
	unique, vouched := r.(UniqueRoster)
	b := &loadBatch{tx: tx, u: u, held: held, vouched: vouched,
		batch: make([]checkin.Person, 0, loadBatchSize), ids: make([]string, 0, loadBatchSize), cs: make([]string, 0, loadBatchSize)}
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return b.res, readError{err}
		}
		if b.batch = append(b.batch, p); len(b.batch) == loadBatchSize {
			if err := b.flush(ctx); err != nil {
				return b.res, err
			}
		}
	}
	if err := b.flush(ctx); err != nil {
		return b.res, err
	}
	if held {
		onRoster := func(id string) bool { _, ok := b.seen.Get(id); return ok }
		if vouched {
			onRoster = unique.Yielded
		}
		n, err := removeMissing(ctx, tx, u, onRoster)
		b.res.Removed = n
		if err != nil {
			return b.res, err
		}
	}
	return b.res, nil
}

// loadBatch is the people of a streamed roster read but not yet stored,
// and the counts of those stored.
type loadBatch struct {
	tx      *sql.Tx
	u       *upserter
	held    bool // the database held a roster: each batch reads its people's stored records
	vouched bool // the reader refuses repeated ids and codes itself
	// The ids and codes seen so far, when the reader does not vouch.
	seen, codes strset.Set
	batch       []checkin.Person
	ids, cs     []string // the batch's, reused
	res         LoadResult
}

// flush stores the batch: each person checked for repeats (unless the
// reader vouches), compared with their stored record and upserted.
func (b *loadBatch) flush(ctx context.Context) error {
	var known knownRoster = loadedRoster{}
	if b.held {
		b.ids, b.cs = b.ids[:0], b.cs[:0]
		for _, p := range b.batch {
			b.ids, b.cs = append(b.ids, p.ID), append(b.cs, p.Code)
		}
		k, err := rosterOf(ctx, b.tx, b.ids, b.cs)
		if err != nil {
			return err
		}
		known = k
	}
	for _, p := range b.batch {
		if !b.vouched { // else repeats are the reader's to refuse
			if err := checkRepeats(ctx, b.tx, &b.seen, &b.codes, p); err != nil {
				return err
			}
		}
		change, err := b.u.upsert(ctx, known, p)
		if err != nil {
			return err
		}
		b.res.count(change)
	}
	b.batch = b.batch[:0]
	return nil
}

// checkRepeats refuses p when seen holds their id or codes their code,
// and adds them.
func checkRepeats(ctx context.Context, tx *sql.Tx, seen, codes *strset.Set, p checkin.Person) error {
	if _, _, dup := seen.Add(p.ID, 0); dup {
		return checkin.Errorf(checkin.EINVALID, "person %s appears twice in the roster", p.ID)
	}
	if _, _, dup := codes.Add(p.Code, 0); dup {
		// The person it was given to before has it now: stored with it,
		// or unchanged with it.
		var other string
		if err := tx.QueryRowContext(ctx, `SELECT person_id FROM codes WHERE code = ?`, p.Code).Scan(&other); err != nil {
			return fmt.Errorf("read code owner: %w", err)
		}
		return checkin.Errorf(checkin.EINVALID, "code %q is given to both %s and %s", p.Code, other, p.ID)
	}
	return nil
}

// removeMissing removes the people on the stored roster, neither removed
// already nor walk-ups, who are not on the roster loaded, a page of ids
// at a time.
// It returns how many it removed.
func removeMissing(ctx context.Context, tx *sql.Tx, u *upserter, onRoster func(id string) bool) (int, error) {
	removed, after := 0, ""
	gone := make([]string, 0, loadBatchSize)
	for page := 0; ; page++ {
		// The first page has no id before it: not even "".
		q := `SELECT id FROM people WHERE id > ? AND removed = 0 AND walkup = 0 ORDER BY id LIMIT ?`
		if page == 0 {
			q = `SELECT id FROM people WHERE ? = '' AND removed = 0 AND walkup = 0 ORDER BY id LIMIT ?`
		}
		rows, err := tx.QueryContext(ctx, q, after, loadBatchSize)
		if err != nil {
			return removed, fmt.Errorf("read roster: %w", err)
		}
		n := 0
		gone = gone[:0]
		for rows.Next() {
			if err := rows.Scan(&after); err != nil {
				rows.Close()
				return removed, fmt.Errorf("read roster: %w", err)
			}
			n++
			if !onRoster(after) {
				gone = append(gone, after)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return removed, fmt.Errorf("read roster: %w", err)
		}
		for _, id := range gone {
			removed++
			if err := u.remove(ctx, id); err != nil {
				return removed, err
			}
		}
		if n < loadBatchSize {
			return removed, nil
		}
	}
}

// change is what upserting one person did.
type change int

const (
	added change = iota
	updated
	unchanged
)

func (r *LoadResult) count(c change) {
	switch c {
	case added:
		r.Added++
	case updated:
		r.Updated++
	default:
		r.Unchanged++
	}
}

// knownRoster is what an upsert needs to know of the stored roster: a
// person as stored, with their current code, and who owns a code ever
// issued. A load and a pull page read what a batch of people needs in
// one query each (rosterOf); a pull page whose upserts change what
// another asks asks the database for each (storedRoster).
type knownRoster interface {
	person(ctx context.Context, id string) (existing, bool, error)
	owner(ctx context.Context, code string) (string, bool, error)
}

type loadedRoster struct {
	people map[string]existing
	codes  map[string]string
}

func (r loadedRoster) person(_ context.Context, id string) (existing, bool, error) {
	e, ok := r.people[id]
	return e, ok, nil
}

func (r loadedRoster) owner(_ context.Context, code string) (string, bool, error) {
	id, ok := r.codes[code]
	return id, ok, nil
}

// upserter holds the statements that write one person, prepared once per
// transaction: a load runs them for each of hundreds of thousands.
type upserter struct {
	insPerson, insCode, revokeOthers, markRemoved, revokeAll *sql.Stmt
	// keepCodes: a code issued to another person stays theirs and the
	// person is stored without it, instead of the upsert being refused.
	// A pull does this: a refused page would hold back everything after
	// it, revocations too, while a refused load is fixed and run again.
	keepCodes bool
	tx        *sql.Tx
	bumped    bool // the roster's version moved in tx (bumpRoster)
}

// changed bumps the roster's version once per transaction: a person was
// added, changed or removed.
func (u *upserter) changed(ctx context.Context) error {
	if u.bumped {
		return nil
	}
	u.bumped = true
	return bumpRoster(ctx, u.tx)
}

func newUpserter(ctx context.Context, tx *sql.Tx, keepCodes bool) (*upserter, error) {
	u := &upserter{keepCodes: keepCodes, tx: tx}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&u.insPerson, `
		INSERT INTO people (id, name, company, email, category, tags, serial, revoked_why, removed, walkup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, company = excluded.company, email = excluded.email,
			category = excluded.category, tags = excluded.tags, serial = excluded.serial, revoked_why = excluded.revoked_why,
			removed = 0, walkup = 0`},
		{&u.insCode, `
		INSERT INTO codes (code, person_id, revoked) VALUES (?, ?, 0)
		ON CONFLICT (code) DO UPDATE SET revoked = 0`},
		{&u.revokeOthers, `UPDATE codes SET revoked = 1 WHERE person_id = ? AND code <> ? AND revoked = 0`},
		{&u.markRemoved, `UPDATE people SET removed = 1 WHERE id = ?`},
		{&u.revokeAll, `UPDATE codes SET revoked = 1 WHERE person_id = ? AND revoked = 0`},
	} {
		s, err := tx.PrepareContext(ctx, p.query)
		if err != nil {
			u.close()
			return nil, fmt.Errorf("prepare roster upsert: %w", err)
		}
		*p.stmt = s
	}
	return u, nil
}

func (u *upserter) close() {
	for _, s := range []*sql.Stmt{u.insPerson, u.insCode, u.revokeOthers, u.markRemoved, u.revokeAll} {
		if s != nil {
			s.Close()
		}
	}
}

// upsert adds p or brings their stored record up to date: a changed code
// revokes their old one (a reprint); a removed person or a walk-up comes
// (back) onto the roster. A badge serial never goes down: the kiosk may
// have learned a higher one from a reprinted badge (lookupSigned), and
// a roster or pull with the lower one is no change and must not bring
// the replaced badge back. A code belongs to its person for good, so that
// a lost or returned badge never admits someone else: a code that
// belongs to another person, on this roster or a past one, is refused
// with EINVALID, or with keepCodes stays with them (revoked if it was)
// and p is stored without a valid code. Returns EINVALID when p lacks an
// id, a name or a code.
func (u *upserter) upsert(ctx context.Context, known knownRoster, p checkin.Person) (change, error) {
	if p.ID == "" || p.Code == "" || p.Name == "" {
		return 0, checkin.Errorf(checkin.EINVALID, "person %q lacks an id, a name or a code", p.ID)
	}
	handedOn := false
	if owner, ok, err := known.owner(ctx, p.Code); err != nil {
		return 0, err
	} else if ok && owner != p.ID {
		if !u.keepCodes {
			return 0, checkin.Errorf(checkin.EINVALID, "person %s: code %q already belongs to person %s", p.ID, p.Code, owner)
		}
		handedOn = true
	}
	old, ok, err := known.person(ctx, p.ID)
	if err != nil {
		return 0, err
	}
	if ok && old.p.Serial > p.Serial {
		p.Serial = old.p.Serial
	}
	c := updated
	switch {
	case !ok:
		c = added
	case !old.removed && !old.walkup && old.p.Equal(p):
		return unchanged, nil
	}
	if err := u.changed(ctx); err != nil {
		return 0, err
	}
	if _, err := u.insPerson.ExecContext(ctx, p.ID, p.Name, p.Company, p.Email, p.Category, joinTags(p.Tags), p.Serial, p.Revoked); err != nil {
		return 0, fmt.Errorf("person %s: %w", p.ID, err)
	}
	if !handedOn {
		if _, err := u.insCode.ExecContext(ctx, p.Code, p.ID); err != nil {
			return 0, fmt.Errorf("person %s: %w", p.ID, err)
		}
	}
	if ok && old.p.Code != p.Code {
		if _, err := u.revokeOthers.ExecContext(ctx, p.ID, p.Code); err != nil {
			return 0, fmt.Errorf("person %s: %w", p.ID, err)
		}
	}
	return c, nil
}

// remove marks a stored person removed from the roster and revokes their
// badges; the log still refers to them.
func (u *upserter) remove(ctx context.Context, id string) error {
	if err := u.changed(ctx); err != nil {
		return err
	}
	if _, err := u.markRemoved.ExecContext(ctx, id); err != nil {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	if _, err := u.revokeAll.ExecContext(ctx, id); err != nil {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	return nil
}
