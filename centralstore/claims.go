package centralstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"usher/checkin"
	"usher/sync/wire"
)

// claims checks a kiosk's events against what the center knows of it
// (docs/design.md "Trust"): a kiosk holding a valid token may still be stolen,
// copied or running a bad build, so the center believes an event only
// for the kiosk's own door, moves across that door, and rights the
// center granted it and has not seen it use.
type claims struct {
	db    *DB
	tx    *sql.Tx
	t     *tally
	ev    *checkin.Event
	kiosk string
	door  string           // the door the kiosk was enrolled for
	base  map[string]int64 // the kiosk's holdings as stored before this push, by counter, read once
}

// check returns why e cannot be believed, or "".
func (c *claims) check(ctx context.Context, e wire.Event) (string, error) {
	d := c.ev.Door(e.Door)
	switch {
	case d == nil:
		return fmt.Sprintf("door %q is not in the event", e.Door), nil
	case e.Door != c.door:
		return fmt.Sprintf("an event at door %q from a kiosk enrolled for door %q", e.Door, c.door), nil
	case e.Delta != 0 && (e.Person != "" || e.From != d.From || e.Location != d.To):
		return fmt.Sprintf("a headcount change at door %q must count someone without a badge from %q into %q",
			e.Door, d.From, d.To), nil
	case !c.place(e.From) || !c.place(e.Location):
		return fmt.Sprintf("a move from %q to %q, which the event does not have", e.From, e.Location), nil
	case e.Location != e.From && e.Decision != string(checkin.Undo) && e.Location != d.From && e.Location != d.To:
		// An undo puts the person back where they were, wherever that is.
		return fmt.Sprintf("a move into %q through door %q, which joins %q and %q", e.Location, e.Door, d.From, d.To), nil
	}
	counters := c.ev.Counters(e.Door)
	spends := 0
	// What the kiosk may spend or return of each counter in this event:
	// what it holds, and the right its credit in this same row frees (an
	// exit that returns it at once, a re-admission that spends it again).
	avail := map[string]int64{}
	for _, r := range e.Rights {
		if c.ev.Space(r.Counter) == nil {
			return fmt.Sprintf("rights of %q, which is not in the event", r.Counter), nil
		}
		switch r.Kind {
		case checkin.RightSpend:
			if !slices.Contains(counters, r.Counter) {
				return fmt.Sprintf("a right of %s spent at door %q, which does not lead into it", r.Counter, e.Door), nil
			}
			if e.Decision != string(checkin.Admit) && e.Decision != string(checkin.Undo) {
				return fmt.Sprintf("a right of %s spent by a %s", r.Counter, e.Decision), nil
			}
			spends++
		case checkin.RightReturn:
		default:
			continue
		}
		if _, ok := avail[r.Counter]; !ok {
			has, err := c.holding(ctx, r.Counter)
			if err != nil {
				return "", err
			}
			freed, err := c.freed(ctx, e, r.Counter)
			if err != nil {
				return "", err
			}
			avail[r.Counter] = has + freed
		}
		if int64(r.N) > avail[r.Counter] {
			return fmt.Sprintf("%s %d of %s; the center counts %d held by this kiosk", verb(r.Kind), r.N, r.Counter, max(avail[r.Counter], 0)), nil
		}
		avail[r.Counter] -= int64(r.N)
	}
	if spends > 0 && e.Person == "" && e.Delta <= 0 {
		return "an admission of nobody", nil
	}
	return "", nil
}

// place reports whether loc is "" (no move), outside, or a space of the
// event.
func (c *claims) place(loc string) bool {
	return loc == "" || loc == checkin.Outside || c.ev.Space(loc) != nil
}

// holding is what the kiosk holds of counter as far as the center
// knows: granted, less returned and spent, plus what its credits gave
// back: as stored, and the changes this push booked so far (the tally).
func (c *claims) holding(ctx context.Context, counter string) (int64, error) {
	if _, ok := c.base[counter]; !ok {
		var n int64
		err := c.db.queryRow(ctx, c.tx, `SELECT n FROM holdings WHERE kiosk_id = ? AND counter = ?`, c.kiosk, counter).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("holdings of %s: %w", c.kiosk, err)
		}
		c.base[counter] = n
	}
	return c.base[counter] + c.t.holding[[2]string{c.kiosk, counter}], nil
}

// freed is the right of counter e's own credit gives back: 1 when it
// credits an admission of this kiosk's that the center holds and has not
// credited yet.
func (c *claims) freed(ctx context.Context, e wire.Event, counter string) (int64, error) {
	for _, r := range e.Rights {
		if r.Kind != checkin.RightCredit || r.Counter != counter || r.Ref >= e.Seq {
			continue
		}
		s, err := c.db.spend(ctx, c.tx, c.t.v, spendKey{c.kiosk, r.Ref, counter})
		if err != nil {
			return 0, fmt.Errorf("credits of %s: %w", c.kiosk, err)
		}
		if s.ok && s.closed != 1 {
			return 1, nil
		}
		return 0, nil
	}
	return 0, nil
}

func verb(k checkin.RightKind) string {
	if k == checkin.RightSpend {
		return "spends"
	}
	return "returns"
}
