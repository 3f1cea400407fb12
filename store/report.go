package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"usher/checkin"
	"usher/report"
)

// ReportLog is this kiosk's history for reports: every move it logged,
// in log order, each named by its seq (an undo also by the seq it takes
// back, so reports leave both out), and as conflicts the exits of people
// it had not recorded inside (the center's exit_without_admission).
func (db *DB) ReportLog(ctx context.Context) (report.Log, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.catchUp(ctx, nil); err != nil {
		return report.Log{}, err
	}
	if db.ev == nil {
		return report.Log{}, checkin.Errorf(checkin.ENOTFOUND, "no event is loaded; run usher load first")
	}
	log := report.Log{Event: db.ev}
	kiosk, err := setting(ctx, db.db, keyKioskID) // "" when standalone
	if err != nil {
		return report.Log{}, err
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT s.seq, s.at, s.door, s.person_id, s.from_loc, s.location, s.delta, s.undoes, s.reason, p.category
		FROM scans s LEFT JOIN people p ON p.id = s.person_id
		WHERE s.location IS NOT NULL OR s.reason = ? ORDER BY s.seq`, string(checkin.NotInside))
	if err != nil {
		return report.Log{}, fmt.Errorf("read scan log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq, at, delta             int64
			undoes                     sql.NullInt64
			door, reason               string
			person, from, to, category sql.NullString
		)
		if err := rows.Scan(&seq, &at, &door, &person, &from, &to, &delta, &undoes, &reason, &category); err != nil {
			return report.Log{}, fmt.Errorf("read scan log: %w", err)
		}
		when := time.UnixMilli(at).UTC()
		if !to.Valid {
			log.Conflicts = append(log.Conflicts, report.Conflict{Kind: "exit_without_admission", Person: person.String,
				Kiosk: kiosk, Door: door, At: when})
			continue
		}
		if delta == 0 && !person.Valid {
			continue
		}
		m := report.Move{At: when, Person: person.String, Category: category.String,
			From: from.String, To: to.String, Delta: int(delta), Door: door, ID: strconv.FormatInt(seq, 10)}
		if undoes.Valid {
			m.Undoes = strconv.FormatInt(undoes.Int64, 10)
		}
		log.Moves = append(log.Moves, m)
	}
	return log, rows.Err()
}
