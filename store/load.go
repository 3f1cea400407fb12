package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"usher/checkin"
)

// LoadResult counts what a roster load changed.
type LoadResult struct {
	Added, Updated, Unchanged, Removed int
}

func (r LoadResult) String() string {
	return fmt.Sprintf("%d added, %d updated, %d unchanged, %d removed", r.Added, r.Updated, r.Unchanged, r.Removed)
}

// Load stores the event definition and, when roster is not nil, makes the
// roster exactly roster: people are added or updated by id, and people
// missing from it are marked removed and their badges revoked. A changed
// code revokes the person's old code (a reprint). Everything happens in
// one transaction: on any error nothing is written.
//
// ev must be validated. Returns EINVALID when the database holds another
// event, when the new definition drops a space someone is recorded in, or
// when a code belongs to another person (on this roster or a past one).
func (db *DB) Load(ctx context.Context, ev *checkin.Event, roster []checkin.Person) (LoadResult, error) {
	return db.LoadAll(ctx, ev, roster, nil)
}

// LoadAll is Load with a revocation list: when revoked is not nil it
// replaces the list of explicitly revoked badge serials, in the same
// transaction.
func (db *DB) LoadAll(ctx context.Context, ev *checkin.Event, roster []checkin.Person, revoked []checkin.Revocation) (LoadResult, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	var res LoadResult
	def, err := json.Marshal(ev)
	if err != nil {
		return res, fmt.Errorf("encode event: %w", err)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("load: %w", err)
	}
	defer tx.Rollback()

	var current string
	switch err := tx.QueryRowContext(ctx, `SELECT event_id FROM event WHERE id = 1`).Scan(&current); {
	case err == sql.ErrNoRows:
	case err != nil:
		return res, fmt.Errorf("load: %w", err)
	case current != ev.ID:
		return res, checkin.Errorf(checkin.EINVALID, "this database holds event %q; load event %q into a new database", current, ev.ID)
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
		if res, err = upsertRoster(ctx, tx, roster); err != nil {
			return res, err
		}
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

func replaceRevocations(ctx context.Context, tx *sql.Tx, revoked []checkin.Revocation) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM revocations`); err != nil {
		return fmt.Errorf("revocations: %w", err)
	}
	for _, r := range revoked {
		if _, err := tx.ExecContext(ctx, `INSERT INTO revocations (person_id, serial) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			r.PersonID, r.Serial); err != nil {
			return fmt.Errorf("revocations: %w", err)
		}
	}
	return nil
}

func upsertRoster(ctx context.Context, tx *sql.Tx, roster []checkin.Person) (LoadResult, error) {
	var res LoadResult
	people, codes, err := readRoster(ctx, tx)
	if err != nil {
		return res, err
	}
	insPerson, err := tx.PrepareContext(ctx, `
		INSERT INTO people (id, name, company, email, category, tags, serial, removed, walkup) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, company = excluded.company, email = excluded.email,
			category = excluded.category, tags = excluded.tags, serial = excluded.serial, removed = 0, walkup = 0`)
	if err != nil {
		return res, err
	}
	defer insPerson.Close()
	insCode, err := tx.PrepareContext(ctx, `
		INSERT INTO codes (code, person_id, revoked) VALUES (?, ?, 0)
		ON CONFLICT (code) DO UPDATE SET revoked = 0`)
	if err != nil {
		return res, err
	}
	defer insCode.Close()
	revoke, err := tx.PrepareContext(ctx, `UPDATE codes SET revoked = 1 WHERE person_id = ? AND code <> ? AND revoked = 0`)
	if err != nil {
		return res, err
	}
	defer revoke.Close()

	seen := make(map[string]bool, len(roster))
	codeOf := make(map[string]string, len(roster))
	for _, p := range roster {
		if seen[p.ID] {
			return res, checkin.Errorf(checkin.EINVALID, "person %s appears twice in the roster", p.ID)
		}
		if other, dup := codeOf[p.Code]; dup {
			return res, checkin.Errorf(checkin.EINVALID, "code %q is given to both %s and %s", p.Code, other, p.ID)
		}
		if p.ID == "" || p.Code == "" || p.Name == "" {
			return res, checkin.Errorf(checkin.EINVALID, "person %q lacks an id, a name or a code", p.ID)
		}
		seen[p.ID], codeOf[p.Code] = true, p.ID
		if owner, ok := codes[p.Code]; ok && owner != p.ID {
			return res, checkin.Errorf(checkin.EINVALID, "person %s: code %q already belongs to person %s", p.ID, p.Code, owner)
		}
		old, ok := people[p.ID]
		switch {
		case !ok:
			res.Added++
		case !old.removed && !old.walkup && samePerson(old.p, p):
			res.Unchanged++
			continue
		default:
			res.Updated++
		}
		if _, err := insPerson.ExecContext(ctx, p.ID, p.Name, p.Company, p.Email, p.Category, joinTags(p.Tags), p.Serial); err != nil {
			return res, fmt.Errorf("person %s: %w", p.ID, err)
		}
		if _, err := insCode.ExecContext(ctx, p.Code, p.ID); err != nil {
			return res, fmt.Errorf("person %s: %w", p.ID, err)
		}
		if ok && old.p.Code != p.Code {
			if _, err := revoke.ExecContext(ctx, p.ID, p.Code); err != nil {
				return res, fmt.Errorf("person %s: %w", p.ID, err)
			}
		}
	}
	for id, old := range people {
		if seen[id] || old.removed || old.walkup {
			continue // a walk-up registered after this roster was made stays
		}
		res.Removed++
		if _, err := tx.ExecContext(ctx, `UPDATE people SET removed = 1 WHERE id = ?`, id); err != nil {
			return res, fmt.Errorf("remove %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE codes SET revoked = 1 WHERE code = ?`, old.p.Code); err != nil {
			return res, fmt.Errorf("remove %s: %w", id, err)
		}
	}
	return res, nil
}

// readRoster reads the stored people with their current code, and the
// owner of every code ever issued.
func readRoster(ctx context.Context, tx *sql.Tx) (map[string]existing, map[string]string, error) {
	people := map[string]existing{}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, company, email, category, tags, serial, removed, walkup FROM people`)
	if err != nil {
		return nil, nil, fmt.Errorf("read roster: %w", err)
	}
	for rows.Next() {
		var (
			e    existing
			tags string
		)
		if err := rows.Scan(&e.p.ID, &e.p.Name, &e.p.Company, &e.p.Email, &e.p.Category, &tags, &e.p.Serial, &e.removed, &e.walkup); err != nil {
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
		a.Code == b.Code && a.Serial == b.Serial && slices.Equal(a.Tags, b.Tags)
}
