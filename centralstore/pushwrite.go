package centralstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"usher/sync/wire"
)

// A push writes its new events and the stays they open at its end, many
// rows to a statement, rather than one statement per row as it books
// them: a statement's fixed cost, not the row, is most of what storing a
// row costs here. Until then the rows live in the view, which the rules
// read (pushView), and anything that reads these tables from the
// database writes them first (writeHeld).

// heldRows are the rows of one table a push holds back, in the order it
// booked them.
type heldRows struct {
	rows [][]any
}

// held is what a push has booked but not written yet.
type held struct {
	events heldRows
	seqs   map[int64]int // the held events' rows, by seq
	spends heldRows
	stays  map[spendKey]int // the held spends' rows, by key
}

func newHeld() held {
	return held{seqs: map[int64]int{}, stays: map[spendKey]int{}}
}

// Columns of the held rows, in the order their values are held.
const (
	eventColumns = `kiosk_id, seq, hlc, at, door, direction, method, code, person_id, decision, reason,
		space, note, from_loc, location, delta, undoes, received_at, flagged, rights, cursor, rseq, t, terr, refused, closes`
	spendColumns = `kiosk_id, seq, counter, person_id, hlc, rseq, closed, dest, t, terr, closed_hlc, pseq, cursor`
	eventCloses  = 25 // the index of closes in an event's values
	// The values of a held spend its close changes.
	spendClosed, spendClosedHLC, spendPSeq = 6, 10, 11
)

// rowsPerInsert is how many rows one INSERT writes: 26 values each, well
// under SQLite's and PostgreSQL's limits on a statement's parameters.
const rowsPerInsert = 64

// holdEvent holds a new event's row; it must be the first under its seq.
func (h *held) holdEvent(seq int64, values []any) {
	h.seqs[seq] = len(h.events.rows)
	h.events.rows = append(h.events.rows, values)
}

// setCloses sets how many stays the held event at seq closed.
func (h *held) setCloses(seq, n int64) {
	h.events.rows[h.seqs[seq]][eventCloses] = n
}

// holdSpend holds a new stay's row.
func (h *held) holdSpend(k spendKey, values []any) {
	h.stays[k] = len(h.spends.rows)
	h.spends.rows = append(h.spends.rows, values)
}

// closeHeld closes the held stay at k, if it is held, and reports
// whether it was.
func (h *held) closeHeld(k spendKey, closed int, closedHLC, pseq int64, setTime bool) bool {
	i, ok := h.stays[k]
	if !ok {
		return false
	}
	r := h.spends.rows[i]
	r[spendClosed] = closed
	if setTime {
		r[spendClosedHLC], r[spendPSeq] = closedHLC, pseq
	}
	return true
}

// writeHeld writes every held row, events first.
func (db *DB) writeHeld(ctx context.Context, tx *sql.Tx, h *held) error {
	if err := db.insertRows(ctx, tx, "events", eventColumns, h.events.rows); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if err := db.insertRows(ctx, tx, "spends", spendColumns, h.spends.rows); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	*h = newHeld()
	return nil
}

// insertRows inserts rows into table, rowsPerInsert to a statement and
// the rest one by one, so that two statements serve every count.
func (db *DB) insertRows(ctx context.Context, tx *sql.Tx, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	many := `INSERT INTO ` + table + ` (` + columns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", rowsPerInsert), ", ")
	args := make([]any, 0, rowsPerInsert*len(rows[0]))
	for len(rows) >= rowsPerInsert {
		args = args[:0]
		for _, r := range rows[:rowsPerInsert] {
			args = append(args, r...)
		}
		if _, err := db.exec(ctx, tx, many, args...); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		rows = rows[rowsPerInsert:]
	}
	for _, r := range rows {
		if _, err := db.exec(ctx, tx, `INSERT INTO `+table+` (`+columns+`) VALUES `+one, r...); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// storedSeqs returns which of the seqs of events (sorted by seq) the
// center holds for kiosk already: a retried push's, or a forked log's.
func (db *DB) storedSeqs(ctx context.Context, tx *sql.Tx, kiosk string, events []wire.Event) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(events) == 0 {
		return out, nil
	}
	rows, err := db.query(ctx, tx, `SELECT seq FROM events WHERE kiosk_id = ? AND seq >= ? AND seq <= ?`,
		kiosk, events[0].Seq, events[len(events)-1].Seq)
	if err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		out[seq] = true
	}
	return out, rows.Err()
}
