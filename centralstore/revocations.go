package centralstore

import (
	"context"
	"database/sql"
	"fmt"

	"usher/badge"
	"usher/checkin"
)

// revocations is when each credential stopped being valid, in Unix
// milliseconds, as the center's conflicts list reads an admission
// against it: the kiosks deny the same (store's lookups).
type revocations struct {
	// people: a person removed from the roster, or revoked as a person
	// (badge.AllSerials): every credential of theirs, the earliest time.
	people map[string]int64
	// serials: the revocations of each person's badge serials, each of
	// which revokes that serial and below (badge.Revokes).
	serials map[string][]revocation
}

type revocation struct {
	checkin.Revocation
	at int64
}

// before reports whether an admission of person at at, by code (a roster
// code, a signed badge, or "" by name), came after a revocation of it.
func (r revocations) before(person, code string, at int64) bool {
	if t, ok := r.people[person]; ok && t < at {
		return true
	}
	if !badge.IsBadge(code) {
		return false
	}
	p, _, _, err := badge.Parse(code)
	if err != nil {
		return false
	}
	for _, rev := range r.serials[person] {
		if rev.at < at && badge.Revokes(rev.Revocation, person, p.Serial) {
			return true
		}
	}
	return false
}

// revocationTimes reads when each person was removed or revoked, and
// each badge serial revoked. Revocations stored before their time was
// kept (at 0) are left out: they cannot be placed before any admission.
func (db *DB) revocationTimes(ctx context.Context, tx *sql.Tx) (revocations, error) {
	r := revocations{people: map[string]int64{}, serials: map[string][]revocation{}}
	earliest := func(id string, at int64) {
		if t, ok := r.people[id]; !ok || at < t {
			r.people[id] = at
		}
	}
	rows, err := db.query(ctx, tx, `SELECT id, removed_at FROM people WHERE removed = 1 AND removed_at > 0`)
	if err != nil {
		return r, fmt.Errorf("status: %w", err)
	}
	for rows.Next() {
		var (
			id string
			at int64
		)
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return r, err
		}
		earliest(id, at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("status: %w", err)
	}
	rows, err = db.query(ctx, tx, `SELECT person_id, serial, at FROM revocations WHERE at > 0`)
	if err != nil {
		return r, fmt.Errorf("status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rev    revocation
			serial int64
		)
		if err := rows.Scan(&rev.PersonID, &serial, &rev.at); err != nil {
			return r, err
		}
		rev.Serial = uint32(serial)
		if badge.RevokesPerson(rev.Revocation) {
			earliest(rev.PersonID, rev.at)
		} else {
			r.serials[rev.PersonID] = append(r.serials[rev.PersonID], rev)
		}
	}
	return r, rows.Err()
}
