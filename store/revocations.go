package store

import (
	"context"
	"database/sql"
	"fmt"

	"usher/badge"
	"usher/checkin"
)

// The revocation list (table revocations) holds (person, serial) pairs,
// as a load's list or the center's pull gives them. A pair revokes the
// person's signed badges of that serial and below; the serial
// badge.AllSerials revokes the person: every credential of theirs, their
// roster code and admission by name too (badge.Revokes, RevokesPerson).

// listedWhy is why the name search says a person the revocation list
// revokes is not valid (checkin.Person.Revoked).
const listedWhy = "on the revocation list"

// listedSQL is true for the row p of people when the revocation list
// revokes that person.
var listedSQL = fmt.Sprintf(`EXISTS (SELECT 1 FROM revocations r WHERE r.person_id = p.id AND r.serial = %d)`, uint32(badge.AllSerials))

// badgeListed reports whether the revocation list revokes person's
// signed badge of serial: a revocation of that serial or a higher one,
// the person's included.
func badgeListed(ctx context.Context, tx *sql.Tx, person string, serial uint32) (bool, error) {
	var listed bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM revocations WHERE person_id = ? AND serial >= ?)`,
		person, serial).Scan(&listed); err != nil {
		return false, fmt.Errorf("check revocations: %w", err)
	}
	return listed, nil
}

// replaceRevocations makes the revocation list revoked.
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
