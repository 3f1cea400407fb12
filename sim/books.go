package sim

import (
	"encoding/json"
	"fmt"

	"usher/checkin"
	"usher/sync/wire"
)

// readKiosk reads the rights rows a kiosk logged since the last check.
func (w *World) readKiosk(k *kiosk) error {
	rows, err := k.rows.QueryContext(w.ctx, k.readSeq)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq  int64
			text string
		)
		if err := rows.Scan(&seq, &text); err != nil {
			return err
		}
		var changes []checkin.RightChange
		if err := json.Unmarshal([]byte(text), &changes); err != nil {
			return fmt.Errorf("kiosk %d row %d: %v", k.i, seq, err)
		}
		for _, c := range changes {
			k.bal[c.Counter] += c.Delta()
			if k.open[c.Counter] == nil {
				k.open[c.Counter] = map[int64]bool{}
			}
			switch c.Kind {
			case checkin.RightSpend:
				k.spent[c.Counter]++
				k.open[c.Counter][seq] = true
			case checkin.RightCredit:
				// Only an admission of this kiosk still open may be
				// credited, and only once: anything else makes a right.
				if !k.open[c.Counter][c.Ref] {
					return fmt.Errorf("kiosk %d row %d credits %s for admission %d, which is not an open admission of this kiosk", k.i, seq, c.Counter, c.Ref)
				}
				delete(k.open[c.Counter], c.Ref)
				k.credit[c.Counter]++
			case checkin.RightGrant:
				k.applied[c.Counter] += c.N
			case checkin.RightReturn:
				k.ret[c.Counter] += c.N
			}
			if k.bal[c.Counter] < 0 {
				return fmt.Errorf("kiosk %d holds %d rights of %s after row %d", k.i, k.bal[c.Counter], c.Counter, seq)
			}
		}
		k.readSeq = seq
	}
	return rows.Err()
}

// counterBooks is the center's row of one counter: its capacity,
// reserve and debt; inside is the open stays; pending the stays the
// center closed whose kiosk has yet to credit the right back.
type counterBooks struct{ cap, reserve, debt, inside, pending int }

// centerRights reads the center's books of every counter.
func (w *World) centerRights() (map[string]counterBooks, error) {
	books := map[string]counterBooks{}
	rows, err := w.center.sql.QueryContext(w.ctx, `SELECT counter, cap, reserve, debt, inside,
		(SELECT count(*) FROM spends s WHERE s.counter = r.counter AND s.closed = 2) FROM rights r`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c string
			b counterBooks
		)
		if err := rows.Scan(&c, &b.cap, &b.reserve, &b.debt, &b.inside, &b.pending); err != nil {
			return nil, err
		}
		books[c] = b
	}
	return books, rows.Err()
}

// perKiosk reads rows of (kiosk id, counter, n) from the center.
func (w *World) perKiosk(query string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	rows, err := w.center.sql.QueryContext(w.ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k, c string
			n    int
		)
		if err := rows.Scan(&k, &c, &n); err != nil {
			return nil, err
		}
		if out[k] == nil {
			out[k] = map[string]int{}
		}
		out[k][c] = n
	}
	return out, rows.Err()
}

// granted returns what the center granted each kiosk, per counter.
func (w *World) granted() (map[string]map[string]int, error) {
	return w.perKiosk(`SELECT kiosk_id, counter, sum(n) FROM grants GROUP BY kiosk_id, counter`)
}

// holdings returns the center's view of each kiosk's rights.
func (w *World) holdings() (map[string]map[string]int, error) {
	return w.perKiosk(`SELECT kiosk_id, counter, n FROM holdings`)
}

// transit returns the rights on their way: granted by the center and not
// yet applied by their kiosk, and returned by a kiosk and not yet
// received by the center. Neither part may be negative.
func (w *World) transit(granted map[string]map[string]int) (map[string]int, error) {
	if err := w.readReceived(); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, k := range w.kiosks {
		for _, sp := range w.ev.Spaces {
			c := sp.ID
			g := granted[k.id][c] - k.applied[c]
			r := k.ret[c] - w.received[k.id][c]
			if g < 0 || r < 0 {
				return nil, fmt.Errorf("kiosk %d, %s: granted %d, applied %d; returned %d, received %d",
					k.i, c, granted[k.id][c], k.applied[c], k.ret[c], w.received[k.id][c])
			}
			out[c] += g + r
		}
	}
	return out, nil
}

// readReceived reads the rights changes the center stored since the last
// check: returns received, and spends less credits per kiosk.
func (w *World) readReceived() error {
	for _, k := range w.kiosks {
		if err := w.readReceivedFrom(k); err != nil {
			return err
		}
	}
	return nil
}

// readReceivedFrom reads the events of kiosk k the center stored since
// the last check, push by push (events.rseq, one value per push): a
// forked log's events are filed under seqs far above the others, so the
// seq is no cursor. Every event of an honest kiosk must be believed, and
// on its own log: one refused, or kept on a branch, is a violation.
func (w *World) readReceivedFrom(k *kiosk) error {
	rows, err := w.center.sql.QueryContext(w.ctx, `SELECT seq, rseq, coalesce(rights, ''), refused FROM events
		WHERE kiosk_id = ? AND rseq > ? ORDER BY rseq, seq`, k.id, w.centerRSeq[k.id])
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq, rseq     int64
			text, refused string
		)
		if err := rows.Scan(&seq, &rseq, &text, &refused); err != nil {
			return err
		}
		w.centerRSeq[k.id] = rseq
		switch {
		case refused != "":
			return fmt.Errorf("the center refused kiosk %d's event %d: %s", k.i, seq, refused)
		case seq >= wire.MaxSeq:
			return fmt.Errorf("the center kept kiosk %d's event %d on branch %d of its log, as if it had forked", k.i, seq%wire.MaxSeq, seq/wire.MaxSeq)
		case text == "":
			continue
		}
		var changes []checkin.RightChange
		if err := json.Unmarshal([]byte(text), &changes); err != nil {
			return err
		}
		if w.received[k.id] == nil {
			w.received[k.id], w.pushed[k.id] = map[string]int{}, map[string]int{}
		}
		for _, c := range changes {
			switch c.Kind {
			case checkin.RightReturn:
				w.received[k.id][c.Counter] += c.N
			case checkin.RightSpend:
				w.pushed[k.id][c.Counter]++
			case checkin.RightCredit:
				w.pushed[k.id][c.Counter]--
			}
		}
	}
	return rows.Err()
}
