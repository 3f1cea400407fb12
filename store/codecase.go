package store

import (
	"context"
	"database/sql"
	"fmt"

	"usher/checkin"
)

// lookupAnyCase finds the roster code that a scanned code, matching no
// code exactly, is in another case: a scanner in caps lock, or a badge
// printed in capitals, reads a roster code so. It folds ASCII letters as
// roster.FoldCode does, through the index codes_fold. Two codes that fold
// alike (a roster load refuses them, a pull may bring them) match
// neither rather than a guess. Only a code that matched nothing exactly
// comes here, so the usual scan pays nothing for it.
func lookupAnyCase(ctx context.Context, tx *sql.Tx, code string) (checkin.Badge, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.code, p.id, p.name, p.company, p.category, p.tags, p.serial, p.revoked_why, c.revoked OR `+listedSQL+`, p.removed
		FROM codes c JOIN people p ON p.id = c.person_id WHERE lower(c.code) = lower(?) LIMIT 2`, code)
	if err != nil {
		return checkin.Badge{}, fmt.Errorf("look up code: %w", err)
	}
	defer rows.Close()
	var found []checkin.Badge
	for rows.Next() {
		var (
			p                checkin.Person
			tags             string
			revoked, removed bool
		)
		if err := rows.Scan(&p.Code, &p.ID, &p.Name, &p.Company, &p.Category, &tags, &p.Serial, &p.Revoked, &revoked, &removed); err != nil {
			return checkin.Badge{}, fmt.Errorf("look up code: %w", err)
		}
		p.Tags = splitTags(tags)
		found = append(found, checkin.Badge{Person: &p, Revoked: revoked || removed})
	}
	if err := rows.Err(); err != nil {
		return checkin.Badge{}, fmt.Errorf("look up code: %w", err)
	}
	if len(found) != 1 {
		return checkin.Badge{}, nil
	}
	return found[0], nil
}
