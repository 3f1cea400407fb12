package centralstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"usher/badge"
	"usher/checkin"
	"usher/roster"
)

// Roster edits at the center: one person added, removed or given a new
// badge, each in one transaction that takes new values of the server
// sequence, so kiosks get the change on their next pull. Each takes the
// sequence first: its row lock orders the edit after any roster change
// in progress, so the checks below read what the edit will follow.
//
// Each marks the person edited (people.edited), and a re-import keeps
// the edit above the file's rows unless asked to replace it (see
// ImportWith): someone added here stays when the file lacks them, one
// removed here stays removed, a reprint's code and serial stay.

// reservedCode reports whether code has a prefix the store uses for the
// codes of removed people and of codes being moved (see upsertRoster).
func reservedCode(code string) bool {
	return strings.HasPrefix(code, "removed:") || strings.HasPrefix(code, "moving:")
}

// checkNewCode returns EINVALID for a code no badge could carry.
func checkNewCode(code string) error {
	switch {
	case !checkin.PlausibleCode(code):
		return checkin.Errorf(checkin.EINVALID, "%q is not a plausible badge code (printable, at most %d bytes)", code, checkin.MaxCodeLen)
	case reservedCode(code):
		return checkin.Errorf(checkin.EINVALID, "code %q: codes starting removed: or moving: are reserved", code)
	case badge.IsBadge(code):
		return checkin.Errorf(checkin.EINVALID, "code %q: it would be read as a signed badge, which it is not", code)
	}
	return nil
}

// codeHolder returns the id of the person holding code, or "": kiosks
// match codes whatever the case of their letters (roster.FoldCode), so
// a code that differs only so is held too.
func (db *DB) codeHolder(ctx context.Context, tx *sql.Tx, code string) (string, error) {
	var id string
	err := db.queryRow(ctx, tx, `SELECT person_id FROM codes WHERE code = ?`, code).Scan(&id)
	if err == nil {
		return id, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("look up code: %w", err)
	}
	rows, err := db.query(ctx, tx, `SELECT person_id, code FROM codes WHERE lower(code) = lower(?)`, code)
	if err != nil {
		return "", fmt.Errorf("look up code: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var held string
		if err := rows.Scan(&id, &held); err != nil {
			return "", fmt.Errorf("look up code: %w", err)
		}
		if roster.FoldCode(held) == roster.FoldCode(code) {
			return id, nil
		}
	}
	return "", rows.Err()
}

// personRow is a stored person and whether they were removed.
type personRow struct {
	p       checkin.Person
	removed bool
}

// person reads one person, or returns ENOTFOUND.
func (db *DB) person(ctx context.Context, tx *sql.Tx, id string) (personRow, error) {
	var (
		r       personRow
		tags    string
		serial  int64
		removed int
	)
	err := db.queryRow(ctx, tx, `SELECT id, name, company, email, category, tags, code, serial, removed FROM people WHERE id = ?`, id).
		Scan(&r.p.ID, &r.p.Name, &r.p.Company, &r.p.Email, &r.p.Category, &tags, &r.p.Code, &serial, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return r, checkin.Errorf(checkin.ENOTFOUND, "no person %q on the roster", id)
	} else if err != nil {
		return r, fmt.Errorf("read person %s: %w", id, err)
	}
	r.p.Tags, r.p.Serial, r.removed = splitTags(tags), uint32(serial), removed != 0
	return r, nil
}

// AddPerson adds one person to the roster. Their fields are trimmed of
// spaces and their category may be given by an alias. Returns EINVALID
// when the id, name, category or code is missing or unusable (the
// category must reach a space of the stored event), and ECONFLICT when
// the id is already on the roster (removed people included) or another
// person holds the code.
func (db *DB) AddPerson(ctx context.Context, p checkin.Person) error {
	p, err := newPersonInput(p)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		seq, err := db.nextSeq(ctx, tx, 1)
		if err != nil {
			return err
		}
		ev, _, err := db.event(ctx, tx)
		if err != nil {
			return err
		}
		category, err := ev.ResolveReachingCategory(p.Category)
		if err != nil {
			return err
		}
		p.Category = category
		switch old, err := db.person(ctx, tx, p.ID); {
		case err == nil && old.removed:
			return checkin.Errorf(checkin.ECONFLICT, "person %s was on the roster and was removed; give the new person another id", p.ID)
		case err == nil:
			return checkin.Errorf(checkin.ECONFLICT, "person %s is already on the roster (%s)", p.ID, old.p.Name)
		case checkin.ErrorCode(err) != checkin.ENOTFOUND:
			return err
		}
		if holder, err := db.codeHolder(ctx, tx, p.Code); err != nil {
			return err
		} else if holder != "" {
			return checkin.Errorf(checkin.ECONFLICT, "code %q is already %s's", p.Code, holder)
		}
		if _, err := db.exec(ctx, tx, `INSERT INTO codes (code, person_id) VALUES (?, ?)`, p.Code, p.ID); err != nil {
			return fmt.Errorf("add person %s: %w", p.ID, err)
		}
		if _, err := db.exec(ctx, tx, `
			INSERT INTO people (id, name, company, email, category, tags, code, serial, removed, edited, seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
			p.ID, p.Name, p.Company, p.Email, p.Category, strings.Join(p.Tags, ";"), p.Code, int64(p.Serial), editAdded, seq); err != nil {
			return fmt.Errorf("add person %s: %w", p.ID, err)
		}
		return nil
	})
}

// newPersonInput returns p as an organizer typed it, trimmed of spaces
// and without empty tags, or EINVALID naming what is missing or
// unusable: the id, name, category or code missing, text that is not
// printable, a tag with a ";", a code no badge could carry.
func newPersonInput(p checkin.Person) (checkin.Person, error) {
	p.ID, p.Name, p.Company, p.Email = strings.TrimSpace(p.ID), strings.TrimSpace(p.Name), strings.TrimSpace(p.Company), strings.TrimSpace(p.Email)
	p.Category, p.Code = strings.TrimSpace(p.Category), strings.TrimSpace(p.Code)
	var tags []string
	for _, t := range p.Tags {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	p.Tags = tags
	var missing []string
	for _, f := range []struct{ name, v string }{{"id", p.ID}, {"name", p.Name}, {"category", p.Category}, {"code", p.Code}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return p, checkin.Errorf(checkin.EINVALID, "a new person needs %s", strings.Join(missing, ", "))
	}
	if !checkin.Printable(p.ID) || len(p.ID) > 128 {
		return p, checkin.Errorf(checkin.EINVALID, "id %q must be at most 128 printable characters", p.ID)
	}
	for _, f := range []struct{ name, v string }{{"name", p.Name}, {"company", p.Company}, {"email", p.Email}} {
		if !checkin.Printable(f.v) {
			return p, checkin.Errorf(checkin.EINVALID, "person %s: the %s must be printable text", p.ID, f.name)
		}
	}
	for _, t := range p.Tags {
		if !checkin.Printable(t) || strings.Contains(t, ";") {
			return p, checkin.Errorf(checkin.EINVALID, "person %s: tag %q must be printable and without ;", p.ID, t)
		}
	}
	return p, checkNewCode(p.Code)
}

// RevokePerson removes a person from the roster, as an import whose
// roster lacks them does: kiosks deny their code and signed badges after
// their next pull. Returns ENOTFOUND for an id not on the roster and
// ECONFLICT for a person already removed.
func (db *DB) RevokePerson(ctx context.Context, id string) error {
	id = strings.TrimSpace(id)
	if id == "" {
		return checkin.Errorf(checkin.EINVALID, "which person? the id is empty")
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		seq, err := db.nextSeq(ctx, tx, 1)
		if err != nil {
			return err
		}
		old, err := db.person(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.removed {
			return checkin.Errorf(checkin.ECONFLICT, "person %s is already removed from the roster", id)
		}
		if _, err := db.exec(ctx, tx, `UPDATE people SET removed = 1, removed_at = ?, code = ?, edited = ?, seq = ? WHERE id = ?`,
			db.Now().UnixMilli(), "removed:"+id, editRemoved, seq, id); err != nil {
			return fmt.Errorf("remove %s: %w", id, err)
		}
		return nil
	})
}

// ReprintBadge gives a person a new badge: it raises their badge serial
// and, when newCode is not empty, replaces their roster code with it.
// Kiosks then deny the old code and signed badges with a lower serial
// after their next pull; the serial the old badge was printed with also
// goes on the revocation list, so the center's conflicts list sees
// admissions with it. It returns the new serial, which the new badge
// must carry.
//
// A badge is printed with the person's serial, but at least 1 (see
// badge.Code), so the new serial is one more than the old badge's:
// max(serial, 1) + 1.
//
// Returns ENOTFOUND for an id not on the roster, ECONFLICT for a removed
// person or a code another person holds, and EINVALID for an unusable
// code or the person's own. Over 60 lines: its checks and writes are one
// transaction, read top to bottom.
func (db *DB) ReprintBadge(ctx context.Context, id string, newCode string) (uint32, error) {
	id, newCode = strings.TrimSpace(id), strings.TrimSpace(newCode)
	if id == "" {
		return 0, checkin.Errorf(checkin.EINVALID, "which person? the id is empty")
	}
	if newCode != "" {
		if err := checkNewCode(newCode); err != nil {
			return 0, err
		}
	}
	var serial uint32
	err := db.write(ctx, func(tx *sql.Tx) error {
		seq, err := db.nextSeq(ctx, tx, 2)
		if err != nil {
			return err
		}
		old, err := db.person(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case old.removed:
			return checkin.Errorf(checkin.ECONFLICT, "person %s was removed from the roster; add them again before printing a badge", id)
		case newCode == old.p.Code:
			return checkin.Errorf(checkin.EINVALID, "%q is already %s's code; give a new one, or none to keep it", newCode, id)
		case old.p.Serial == math.MaxUint32:
			return checkin.Errorf(checkin.EINVALID, "person %s: badge serial %d cannot be raised", id, old.p.Serial)
		}
		printed := max(old.p.Serial, 1)
		serial = printed + 1
		code := old.p.Code
		if newCode != "" {
			if holder, err := db.codeHolder(ctx, tx, newCode); err != nil {
				return err
			} else if holder != "" {
				return checkin.Errorf(checkin.ECONFLICT, "code %q is already %s's", newCode, holder)
			}
			if _, err := db.exec(ctx, tx, `INSERT INTO codes (code, person_id) VALUES (?, ?)`, newCode, id); err != nil {
				return fmt.Errorf("reprint %s: %w", id, err)
			}
			code = newCode
		}
		if _, err := db.exec(ctx, tx, `INSERT INTO revocations (person_id, serial, seq, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			id, int64(printed), seq, db.Now().UnixMilli()); err != nil {
			return fmt.Errorf("revoke %s serial %d: %w", id, printed, err)
		}
		edit := 0
		if newCode != "" {
			edit = editCode
		}
		if _, err := db.exec(ctx, tx, `UPDATE people SET code = ?, serial = ?, edited = edited | ?, seq = ? WHERE id = ?`,
			code, int64(serial), edit, seq+1, id); err != nil {
			return fmt.Errorf("reprint %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return serial, nil
}
