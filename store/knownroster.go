package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// The two knownRosters (load.go) that read the stored roster: one reads
// a whole batch of people in two queries, the other one person or code
// at a time.

// rosterOf reads the stored people of ids, with their current code, and
// the owners of codes, in two queries.
func rosterOf(ctx context.Context, tx *sql.Tx, ids, codes []string) (loadedRoster, error) {
	r := loadedRoster{people: make(map[string]existing, len(ids)), codes: make(map[string]string, len(codes))}
	idList, _ := json.Marshal(ids)
	codeList, _ := json.Marshal(codes)
	rows, err := tx.QueryContext(ctx, `
		SELECT id, name, company, email, category, tags, serial, revoked_why, removed, walkup,
			coalesce((SELECT code FROM codes WHERE person_id = people.id AND revoked = 0 ORDER BY code DESC LIMIT 1), '')
		FROM people WHERE id IN (SELECT value FROM json_each(?))`, string(idList))
	if err != nil {
		return r, fmt.Errorf("read people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e    existing
			tags string
		)
		if err := rows.Scan(&e.p.ID, &e.p.Name, &e.p.Company, &e.p.Email, &e.p.Category, &tags,
			&e.p.Serial, &e.p.Revoked, &e.removed, &e.walkup, &e.p.Code); err != nil {
			return r, fmt.Errorf("read people: %w", err)
		}
		e.p.Tags = splitTags(tags)
		r.people[e.p.ID] = e
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("read people: %w", err)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT code, person_id FROM codes WHERE code IN (SELECT value FROM json_each(?))`, string(codeList))
	if err != nil {
		return r, fmt.Errorf("read code owners: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, owner string
		if err := rows.Scan(&code, &owner); err != nil {
			return r, fmt.Errorf("read code owners: %w", err)
		}
		r.codes[code] = owner
	}
	return r, rows.Err()
}

// storedRoster answers an upsert's questions from the database, one
// person or code at a time.
type storedRoster struct {
	personStmt, ownerStmt *sql.Stmt
}

func newStoredRoster(ctx context.Context, tx *sql.Tx) (*storedRoster, error) {
	var (
		r   storedRoster
		err error
	)
	// A person's current code is their one code not revoked; were there
	// several, the greatest, as readRoster would find.
	if r.personStmt, err = tx.PrepareContext(ctx, `
		SELECT id, name, company, email, category, tags, serial, revoked_why, removed, walkup,
			coalesce((SELECT code FROM codes WHERE person_id = people.id AND revoked = 0 ORDER BY code DESC LIMIT 1), '')
		FROM people WHERE id = ?`); err != nil {
		return nil, fmt.Errorf("prepare roster lookup: %w", err)
	}
	if r.ownerStmt, err = tx.PrepareContext(ctx, `SELECT person_id FROM codes WHERE code = ?`); err != nil {
		r.personStmt.Close()
		return nil, fmt.Errorf("prepare roster lookup: %w", err)
	}
	return &r, nil
}

func (r *storedRoster) person(ctx context.Context, id string) (existing, bool, error) {
	var (
		e    existing
		tags string
	)
	err := r.personStmt.QueryRowContext(ctx, id).Scan(&e.p.ID, &e.p.Name, &e.p.Company, &e.p.Email, &e.p.Category, &tags,
		&e.p.Serial, &e.p.Revoked, &e.removed, &e.walkup, &e.p.Code)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	} else if err != nil {
		return e, false, fmt.Errorf("read person %s: %w", id, err)
	}
	e.p.Tags = splitTags(tags)
	return e, true, nil
}

func (r *storedRoster) owner(ctx context.Context, code string) (string, bool, error) {
	var id string
	err := r.ownerStmt.QueryRowContext(ctx, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("read code owner: %w", err)
	}
	return id, true, nil
}
