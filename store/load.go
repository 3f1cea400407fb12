package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"usher/badge"
	"usher/checkin"
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
	res, err := db.loadAll(ctx, ev, roster, revoked)
	if err == nil {
		// The kiosk opening this database finds its name search ready.
		// Unsaved, it is read from the roster at the first search: the
		// load itself is done, so its error does not fail the load.
		_ = db.SaveSearch(ctx)
	}
	return res, err
}

func (db *DB) loadAll(ctx context.Context, ev *checkin.Event, roster []checkin.Person, revoked []checkin.Revocation) (LoadResult, error) {
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

	var (
		current, stored string
		old             *checkin.Event
	)
	switch err := tx.QueryRowContext(ctx, `SELECT event_id, definition FROM event WHERE id = 1`).Scan(&current, &stored); {
	case err == sql.ErrNoRows:
	case err != nil:
		return res, fmt.Errorf("load: %w", err)
	case current != ev.ID:
		return res, checkin.Errorf(checkin.EINVALID, "this database holds event %q; load event %q into a new database", current, ev.ID)
	default:
		if old, err = checkin.DecodeEvent([]byte(stored)); err != nil {
			return res, fmt.Errorf("load: the stored event: %w", err)
		}
	}
	ev, changed := checkin.Reloaded(ev, old)
	res.EventCreated, res.EventChanged = old == nil, old != nil && changed
	def, err := json.Marshal(ev)
	if err != nil {
		return res, fmt.Errorf("encode event: %w", err)
	}
	if err := checkLocations(ctx, tx, ev); err != nil {
		return res, err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO event (id, event_id, definition, loaded_at, version) VALUES (1, ?, ?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, loaded_at = excluded.loaded_at,
			version = version + 1`,
		ev.ID, string(def), db.Now().UTC().Format(time.RFC3339)); err != nil {
		return res, fmt.Errorf("store event: %w", err)
	}
	if roster != nil {
		counts, err := upsertRoster(ctx, tx, roster)
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
// covers is a configuration error, not a silent pass.
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
		if !ev.Reaches(cat) {
			return checkin.Errorf(checkin.EINVALID,
				"category %q (%d people on the roster, e.g. %s) is not defined or may enter no space in event %s", cat, n, example, ev.ID)
		}
	}
	return rows.Err()
}

type existing struct {
	p       checkin.Person
	removed bool
	walkup  bool // first seen on a signed badge, not on a roster
}

// upsertRoster makes the stored roster exactly roster: everyone on it
// upserted (upsertPerson), everyone missing from it removed, except
// walk-ups registered after it was made.
func upsertRoster(ctx context.Context, tx *sql.Tx, roster []checkin.Person) (LoadResult, error) {
	var res LoadResult
	people, codes, err := readRoster(ctx, tx)
	if err != nil {
		return res, err
	}
	u, err := newUpserter(ctx, tx, false)
	if err != nil {
		return res, err
	}
	defer u.close()
	known := loadedRoster{people: people, codes: codes}

	seen := make(map[string]bool, len(roster))
	codeOf := make(map[string]string, len(roster))
	for _, p := range roster {
		if seen[p.ID] {
			return res, checkin.Errorf(checkin.EINVALID, "person %s appears twice in the roster", p.ID)
		}
		if other, dup := codeOf[p.Code]; dup {
			return res, checkin.Errorf(checkin.EINVALID, "code %q is given to both %s and %s", p.Code, other, p.ID)
		}
		seen[p.ID], codeOf[p.Code] = true, p.ID
		change, err := u.upsert(ctx, known, p)
		if err != nil {
			return res, err
		}
		res.count(change)
	}
	for id, old := range people {
		if seen[id] || old.removed || old.walkup {
			continue // a walk-up registered after this roster was made stays
		}
		res.Removed++
		if err := u.remove(ctx, id); err != nil {
			return res, err
		}
	}
	return res, nil
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
// issued. A whole-roster load reads everything into maps once
// (loadedRoster); a pull page, a few people of a large roster, asks the
// database for each (storedRoster).
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
	case !old.removed && !old.walkup && samePerson(old.p, p):
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

// readRoster reads the stored people with their current code, and the
// owner of every code ever issued.
func readRoster(ctx context.Context, tx *sql.Tx) (map[string]existing, map[string]string, error) {
	people := map[string]existing{}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, company, email, category, tags, serial, revoked_why, removed, walkup FROM people`)
	if err != nil {
		return nil, nil, fmt.Errorf("read roster: %w", err)
	}
	for rows.Next() {
		var (
			e    existing
			tags string
		)
		if err := rows.Scan(&e.p.ID, &e.p.Name, &e.p.Company, &e.p.Email, &e.p.Category, &tags, &e.p.Serial, &e.p.Revoked, &e.removed, &e.walkup); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read roster: %w", err)
		}
		e.p.Tags = splitTags(tags)
		people[e.p.ID] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read roster: %w", err)
	}

	codes := map[string]string{}
	rows, err = tx.QueryContext(ctx, `SELECT code, person_id, revoked FROM codes`)
	if err != nil {
		return nil, nil, fmt.Errorf("read codes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			code, owner string
			revoked     bool
		)
		if err := rows.Scan(&code, &owner, &revoked); err != nil {
			return nil, nil, fmt.Errorf("read codes: %w", err)
		}
		codes[code] = owner
		if e, ok := people[owner]; ok && !revoked {
			e.p.Code = code
			people[owner] = e
		}
	}
	return people, codes, rows.Err()
}

func samePerson(a, b checkin.Person) bool {
	return a.Name == b.Name && a.Company == b.Company && a.Email == b.Email && a.Category == b.Category &&
		a.Code == b.Code && a.Serial == b.Serial && a.Revoked == b.Revoked && slices.Equal(a.Tags, b.Tags)
}
