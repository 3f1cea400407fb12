package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"usher/checkin"
	"usher/sync/wire"
)

// A pull brings the kiosk what changed at the center since its cursor:
// the event, people, revocations, capacity rights and presence
// (docs/design.md "Sync"), one page to a transaction.

// Cursor returns the server sequence this kiosk has pulled through; 0
// before its first pull.
func (db *DB) Cursor(ctx context.Context) (int64, error) {
	return intSetting(ctx, db.db, keyCursor)
}

// ApplyPull applies one page of a pull, in one transaction together with
// its cursor: a changed event definition, people added, updated or
// removed, and revocations (of a badge serial and the older ones, or of
// a person: see revocations.go). Each person is upserted by the same rules
// as Load: a changed code revokes the old one, a removed person's badges
// are revoked. On any error nothing is written and the cursor stays, so
// the page is pulled again.
//
// A code this kiosk knows as another person's (the center handed a code
// on, which `usher load` refuses) stays theirs: the pulled person is
// stored without a valid code, and staff admit them by name. Refusing
// the page instead would hold back every change after it, revocations
// included.
//
// Returns EINVALID when the event definition is invalid, is another
// event, or drops a space someone is recorded in; when a person lacks an
// id, a name or a code, or has a category the event does not let in;
// when people come before any event; and when the cursor goes back.
func (db *DB) ApplyPull(ctx context.Context, page wire.PullResponse) error {
	patch, err := db.applyPull(ctx, page)
	// The search index is brought up to date after the kiosk's lock is
	// let go: a scan at the door never waits for the name search.
	if patch != nil {
		patch()
	}
	return err
}

// applyPull applies the page under the kiosk's lock; once it has
// committed, it returns what brings the search index up to date. The
// page's parts are taken in this order: the event first, as the people
// and rights are checked against it; the cursor last.
func (db *DB) applyPull(ctx context.Context, page wire.PullResponse) (patch func(), err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("apply pull: %w", err)
	}
	defer tx.Rollback()
	// Catch up first: a notice credits an admission only if it is still
	// open, which the state must know up to the last row.
	if err := db.catchUp(ctx, tx); err != nil {
		return nil, fmt.Errorf("apply pull: %w", err)
	}
	if err := checkCursor(ctx, tx, page.Cursor); err != nil {
		return nil, err
	}
	ev, evChanged, err := db.pullEvent(ctx, tx, page.Event)
	if err != nil {
		return nil, err
	}
	if evChanged {
		if err := db.returnChanged(ctx, tx, db.ev, ev); err != nil {
			return nil, err
		}
	}
	searchBefore, err := pullRoster(ctx, tx, ev, evChanged, page)
	if err != nil {
		return nil, err
	}
	if err := db.pullRights(ctx, tx, ev, page.Grants, page.Notices); err != nil {
		return nil, err
	}
	if !evChanged {
		// A changed event rebuilds the state from the log; its presence
		// comes with the next pull.
		if err := db.pullPresence(ctx, tx, ev, page.Presence); err != nil {
			return nil, err
		}
	}
	if err := setSetting(ctx, tx, keyCursor, strconv.FormatInt(page.Cursor, 10)); err != nil {
		return nil, err
	}
	// The version this page leaves the roster at, read before the commit:
	// a change another process commits after it moves the version on,
	// and the next search reads the whole roster again.
	searchAfter, err := setting(ctx, tx, keyRosterVersion)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("apply pull: %w", err)
	}
	patch = db.searchPatch(ctx, searchBefore, searchAfter, page.People)
	if evChanged {
		return patch, db.reload(ctx, nil)
	}
	return patch, db.catchUp(ctx, nil)
}

// checkCursor returns EINVALID when a page's cursor is behind the one
// this kiosk has pulled through.
func checkCursor(ctx context.Context, tx *sql.Tx, next int64) error {
	cursor, err := intSetting(ctx, tx, keyCursor)
	if err != nil {
		return err
	}
	if next < cursor {
		return checkin.Errorf(checkin.EINVALID, "the server's cursor went back from %d to %d", cursor, next)
	}
	return nil
}

// pullRoster stores a page's people and revocations, checked against ev
// (nil before any event), and checks the roster against a changed event
// once it is whole again (recheckCategories). It returns the roster's
// version before the page, from which the search index is patched.
func pullRoster(ctx context.Context, tx *sql.Tx, ev *checkin.Event, evChanged bool, page wire.PullResponse) (string, error) {
	if ev == nil && (len(page.People) > 0 || len(page.Revocations) > 0) {
		return "", checkin.Errorf(checkin.EINVALID, "the server sent people before the event definition")
	}
	before, err := setting(ctx, tx, keyRosterVersion)
	if err != nil {
		return "", err
	}
	if len(page.People) > 0 {
		if err := pullPeople(ctx, tx, ev, page.People); err != nil {
			return "", err
		}
	}
	if err := pullRevocations(ctx, tx, page.Revocations); err != nil {
		return "", err
	}
	if err := recheckCategories(ctx, tx, ev, evChanged, page.More); err != nil {
		return "", err
	}
	return before, nil
}

// pullRevocations adds a page's revocations to the list, each once.
func pullRevocations(ctx context.Context, tx *sql.Tx, revocations []wire.Revocation) error {
	for _, r := range revocations {
		if r.Person == "" {
			return checkin.Errorf(checkin.EINVALID, "a revocation names no person")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO revocations (person_id, serial) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			r.Person, r.Serial); err != nil {
			return fmt.Errorf("revocations: %w", err)
		}
	}
	return nil
}

// pullRights takes in a page's capacity rights: the grants the center
// made this kiosk, and its notices of this kiosk's admissions that ended
// at another door (docs/design.md "Capacity rights").
func (db *DB) pullRights(ctx context.Context, tx *sql.Tx, ev *checkin.Event, grants []wire.Grant, notices []wire.Notice) error {
	if len(grants) > 0 && ev == nil {
		return checkin.Errorf(checkin.EINVALID, "the server sent capacity rights before the event definition")
	}
	if err := db.applyGrants(ctx, tx, grants); err != nil {
		return err
	}
	return db.applyNotices(ctx, tx, notices)
}

// pullPresence stores the center's count of who is inside
// (applyPresence), as counting every row this kiosk logged before its
// enrollment too (sinceEnrollment).
func (db *DB) pullPresence(ctx context.Context, tx *sql.Tx, ev *checkin.Event, p *wire.Presence) error {
	presence, err := sinceEnrollment(ctx, tx, p)
	if err != nil {
		return err
	}
	return db.applyPresence(ctx, tx, ev, presence)
}

// searchPatch returns what brings the search index from the roster
// version before a page to the one after it, for the people the page
// names; nil for a page that names nobody.
func (db *DB) searchPatch(ctx context.Context, before, after string, people []wire.Person) func() {
	if len(people) == 0 {
		return nil
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	return func() { db.patchSearch(ctx, before, after, ids) }
}

// sinceEnrollment returns a pulled presence counting, besides the
// kiosk's own rows the center holds, every row the kiosk logged before
// its enrollment: those were never sent, so the center's count is the
// whole truth up to them.
func sinceEnrollment(ctx context.Context, tx *sql.Tx, p *wire.Presence) (*wire.Presence, error) {
	if p == nil || p.Through < 0 {
		return p, nil
	}
	after, err := intSetting(ctx, tx, keyEnrolledAfter)
	if err != nil || p.Through >= after {
		return p, err
	}
	q := *p
	q.Through = after
	return &q, nil
}

// recheckCategories makes sure a changed event still lets in everyone on
// the roster, as Load does. A page holds the current event but only some
// of the people changed with it (a re-categorised person may come on a
// later page), so the whole roster is checked on the run's last page,
// when it is complete again.
func recheckCategories(ctx context.Context, tx *sql.Tx, ev *checkin.Event, evChanged, more bool) error {
	pending, err := setting(ctx, tx, keyRecheck)
	if err != nil {
		return err
	}
	switch {
	case more && evChanged && pending == "":
		return setSetting(ctx, tx, keyRecheck, "1")
	case more || (!evChanged && pending == ""):
		return nil
	}
	if err := checkCategories(ctx, tx, ev); err != nil {
		return err
	}
	if pending != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, keyRecheck); err != nil {
			return fmt.Errorf("store setting %s: %w", keyRecheck, err)
		}
	}
	return nil
}

// pullEvent stores a pulled event definition when it differs from the
// stored one, and returns the event the page is to be checked against,
// and whether it changed.
func (db *DB) pullEvent(ctx context.Context, tx *sql.Tx, pulled *checkin.Event) (*checkin.Event, bool, error) {
	var (
		def     string
		current *checkin.Event
	)
	switch err := tx.QueryRowContext(ctx, `SELECT definition FROM event WHERE id = 1`).Scan(&def); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, false, fmt.Errorf("read event: %w", err)
	default:
		if current, err = checkin.DecodeEvent([]byte(def)); err != nil {
			return nil, false, err
		}
	}
	if pulled == nil {
		return current, false, nil
	}
	ev := *pulled // Validate fills in defaults and indexes: work on a copy
	if err := ev.Validate(); err != nil {
		return nil, false, checkin.Errorf(checkin.EINVALID, "the server's event definition: %v", err)
	}
	if current != nil && current.ID != ev.ID {
		return nil, false, checkin.Errorf(checkin.EINVALID, "this database holds event %q; the server sent event %q", current.ID, ev.ID)
	}
	if enrolled, err := setting(ctx, tx, keyEventID); err != nil {
		return nil, false, err
	} else if enrolled != "" && enrolled != ev.ID {
		return nil, false, checkin.Errorf(checkin.EINVALID, "this kiosk was enrolled for event %q; the server sent event %q", enrolled, ev.ID)
	}
	b, err := json.Marshal(&ev)
	if err != nil {
		return nil, false, fmt.Errorf("encode event: %w", err)
	}
	if current != nil && string(b) == def {
		return current, false, nil
	}
	if err := checkLocations(ctx, tx, &ev); err != nil {
		return nil, false, err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO event (id, event_id, definition, loaded_at, version) VALUES (1, ?, ?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, loaded_at = excluded.loaded_at,
			version = version + 1`,
		ev.ID, string(b), db.Now().UTC().Format(time.RFC3339)); err != nil {
		return nil, false, fmt.Errorf("store event: %w", err)
	}
	return &ev, true, nil
}

// pullPeople upserts a page of people, in the server's order: a person
// twice in a page ends as the later record says.
func pullPeople(ctx context.Context, tx *sql.Tx, ev *checkin.Event, people []wire.Person) error {
	u, err := newUpserter(ctx, tx, true)
	if err != nil {
		return err
	}
	defer u.close()
	known, err := pageRoster(ctx, tx, people)
	if err != nil {
		return err
	}
	for _, wp := range people {
		p := checkin.Person{ID: wp.ID, Name: wp.Name, Company: wp.Company, Email: wp.Email,
			Category: wp.Category, Tags: wp.Tags, Code: wp.Code, Serial: wp.Serial, Revoked: wp.Revoked}
		if wp.Removed {
			if err := removePulled(ctx, tx, u, known, p); err != nil {
				return err
			}
			continue
		}
		if err := ev.CheckPersonCategory(&p); err != nil {
			return err
		}
		if _, err := u.upsert(ctx, known, p); err != nil {
			return err
		}
	}
	return nil
}

// removePulled removes a person the server removed. One this kiosk never
// heard of is recorded too, as removed: otherwise their signed badge
// would be admitted as a walk-up's.
func removePulled(ctx context.Context, tx *sql.Tx, u *upserter, known knownRoster, p checkin.Person) error {
	if p.ID == "" {
		return checkin.Errorf(checkin.EINVALID, "a removed person has no id")
	}
	if _, ok, err := known.person(ctx, p.ID); err != nil {
		return err
	} else if !ok {
		name := p.Name
		if name == "" {
			name = p.ID
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO people (id, name, company, email, category, tags, serial, revoked_why, removed, walkup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 0)`,
			p.ID, name, p.Company, p.Email, p.Category, joinTags(p.Tags), p.Serial, p.Revoked); err != nil {
			return fmt.Errorf("remove %s: %w", p.ID, err)
		}
	}
	if p.Code != "" { // a code issued to someone else stays theirs
		if _, err := tx.ExecContext(ctx, `INSERT INTO codes (code, person_id, revoked) VALUES (?, ?, 1) ON CONFLICT (code) DO NOTHING`,
			p.Code, p.ID); err != nil {
			return fmt.Errorf("remove %s: %w", p.ID, err)
		}
	}
	return u.remove(ctx, p.ID)
}

// pageRoster reads what the upserts of a pull page need to know of the
// stored roster, the page's people and the owners of their codes, in two
// queries instead of two for each person. When no id and no code comes
// twice in the page, as the server sends them, no upsert of the page
// changes what another asks, so this is what asking the database one
// person at a time would answer. Otherwise it does ask one at a time.
func pageRoster(ctx context.Context, tx *sql.Tx, page []wire.Person) (knownRoster, error) {
	ids, codes := make([]string, 0, len(page)), make([]string, 0, len(page))
	seen := make(map[string]bool, 2*len(page))
	for _, p := range page {
		if seen["i"+p.ID] || (p.Code != "" && seen["c"+p.Code]) {
			return newStoredRoster(ctx, tx)
		}
		seen["i"+p.ID] = true
		ids = append(ids, p.ID)
		if p.Code != "" {
			seen["c"+p.Code] = true
			codes = append(codes, p.Code)
		}
	}
	return rosterOf(ctx, tx, ids, codes)
}
