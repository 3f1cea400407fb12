package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"usher/checkin"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// byzantine is a kiosk identity in the wrong hands (Config.Byzantine):
// a real token for one door, and no database behind it. It sends the
// center whatever it likes, straight to the center's handler, so the
// server's own checks run on it: the center must believe events, never
// numbers (docs/design.md "Trust"). It keeps only what it sent, to replay.
type byzantine struct {
	id, token, door string
	seq             int64        // its log's last seq, as it counts them
	sent            []wire.Event // the events of its pushes the center took
}

// byzantineDoor is where the byzantine kiosk is enrolled: the stage has
// a capacity of 2, so every right it steals or makes up would show.
const byzantineDoor = "stage"

// enrollByzantine enrolls the byzantine kiosk through the real
// enrollment API, with a code the center made for its door.
func (w *World) enrollByzantine() error {
	code, err := w.center.db.CreateEnrollment(w.ctx, byzantineDoor)
	if err != nil {
		return err
	}
	rec, err := w.call(http.MethodPost, wire.PathEnroll, "", wire.EnrollRequest{Token: code, Name: "byzantine"})
	if err != nil {
		return err
	}
	if rec.Code != http.StatusOK {
		return fmt.Errorf("enroll the byzantine kiosk: %d %s", rec.Code, rec.Body)
	}
	var resp wire.EnrollResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		return fmt.Errorf("enroll the byzantine kiosk: %v", err)
	}
	w.byz = &byzantine{id: resp.KioskID, token: resp.Token, door: resp.Door}
	return nil
}

// byzantineActs: the byzantine kiosk pushes a batch of events, or asks
// for rights.
func (w *World) byzantineActs() error {
	if w.rng.IntN(3) == 0 {
		return w.byzantineRights()
	}
	return w.byzantinePush()
}

// byzantinePush sends a batch of 1 to 6 events. A batch wire validation
// refuses must be answered 400 with nothing stored; any other is stored
// whole (each event new, a duplicate or a fork) and answered 200, and
// the events the center says it refused are those it stored as refused.
func (w *World) byzantinePush() error {
	b := w.byz
	events := make([]wire.Event, 1+w.rng.IntN(6))
	for i := range events {
		e, err := w.byzantineEvent()
		if err != nil {
			return err
		}
		events[i] = e
	}
	if w.rng.IntN(12) == 0 {
		i := w.rng.IntN(len(events))
		events[i] = w.spoil(events[i])
	}
	valid := true
	for _, e := range events {
		if e.Check() != nil {
			valid = false
		}
	}
	stored, refused, err := w.byzantineRows()
	if err != nil {
		return err
	}
	rec, err := w.call(http.MethodPost, wire.PathPush, b.token, wire.PushRequest{Events: events})
	if err != nil {
		return err
	}
	w.stats.Byzantine += len(events)
	stored2, refused2, err := w.byzantineRows()
	if err != nil {
		return err
	}
	if !valid {
		if rec.Code != http.StatusBadRequest || stored2 != stored {
			return fmt.Errorf("the byzantine kiosk pushed a batch that fails validation: the center answered %d and stored %d events of it (%s)",
				rec.Code, stored2-stored, rec.Body)
		}
		w.stats.ByzantineInvalid += len(events)
		return nil
	}
	if rec.Code != http.StatusOK {
		return fmt.Errorf("the byzantine kiosk pushed %d events: the center answered %d: %s", len(events), rec.Code, rec.Body)
	}
	var resp wire.PushResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		return fmt.Errorf("the byzantine kiosk's push: answer: %v", err)
	}
	if int64(len(resp.Refused)) != refused2-refused || int64(resp.Accepted) != stored2-stored {
		return fmt.Errorf("the center answered the byzantine kiosk's push of %d events with %d stored, %d refused; it stored %d, %d of them refused",
			len(events), resp.Accepted, len(resp.Refused), stored2-stored, refused2-refused)
	}
	w.stats.ByzantineRefused += len(resp.Refused)
	w.stats.ByzantineDuplicates += resp.Duplicates
	b.sent = append(b.sent, events...)
	return w.center.sql.QueryRowContext(w.ctx, `SELECT forks FROM kiosks WHERE id = ?`, b.id).Scan(&w.stats.ByzantineForks)
}

// byzantineRows counts the byzantine kiosk's events the center stored,
// and of them those it refused.
func (w *World) byzantineRows() (stored, refused int64, err error) {
	err = w.center.sql.QueryRowContext(w.ctx, `SELECT count(*), coalesce(sum(refused <> ''), 0) FROM events WHERE kiosk_id = ?`,
		w.byz.id).Scan(&stored, &refused)
	return stored, refused, err
}

// byzantineEvent makes one event for the byzantine kiosk to send: true
// or false, at its door or another, of someone real or made up. A new
// event gets a seq and clocks of any kind (seqAndTimes); a replay or a
// copy keeps the clocks it had.
func (w *World) byzantineEvent() (wire.Event, error) {
	b := w.byz
	door := w.ev.Door(b.door)
	e := wire.Event{Door: b.door, Direction: string(checkin.Entry), Method: string(checkin.ByBadge)}
	var err error
	switch n := w.rng.IntN(17); {
	case n < 4:
		// An admission at its door, spending its rights: within what it
		// holds now and then, beyond it often. Of someone the center
		// counts elsewhere, it closes their stays there.
		err = w.admitEvent(&e, door)
	case n < 6:
		// Someone real leaving through its door, whether they did or not:
		// the center cannot tell, and closes their stays.
		err = w.exitEvent(&e, door)
	case n < 8:
		err = w.anyDoorEvent(&e)
	case n < 10:
		w.returnEvent(&e)
	case n < 11:
		err = w.creditEvent(&e, door)
	case n < 12:
		w.headcountEvent(&e)
	case n < 14 && len(b.sent) > 0:
		return w.replayEvent(), nil
	case n < 16:
		// Another kiosk's event, as the center holds it, as its own; an
		// admission at its door while the center holds none.
		var copied bool
		if copied, err = w.copyEvent(&e); err != nil || copied {
			return e, err
		}
		err = w.admitEvent(&e, door)
	default:
		err = w.admitEvent(&e, door)
	}
	if err != nil {
		return e, err
	}
	w.seqAndTimes(&e)
	return e, nil
}

// anyDoorEvent makes e a move through another door, or through its own
// into a space that door does not join: an admission or an exit, now
// and then to a place the door does not lead.
func (w *World) anyDoorEvent(e *wire.Event) error {
	d := &w.ev.Doors[w.rng.IntN(len(w.ev.Doors))]
	e.Door = d.ID
	if w.rng.IntN(2) == 0 {
		if err := w.admitEvent(e, d); err != nil {
			return err
		}
	} else if err := w.exitEvent(e, d); err != nil {
		return err
	}
	if w.rng.IntN(3) == 0 {
		e.Location = w.anyPlace()
	}
	return nil
}

// returnEvent makes e a return of rights, of any counter: a few, or a
// million.
func (w *World) returnEvent(e *wire.Event) {
	e.Method, e.Decision, e.Reason = "rights", "rights", "rights_returned"
	r := checkin.RightChange{Counter: w.anyCounter(), Kind: checkin.RightReturn, N: 1 + w.rng.IntN(3)}
	if w.rng.IntN(2) == 0 {
		r.N = 1 + w.rng.IntN(wire.MaxHolding)
	}
	e.Rights = []checkin.RightChange{r}
}

// creditEvent makes e an exit through door crediting an admission it
// names at random.
func (w *World) creditEvent(e *wire.Event, door *checkin.Door) error {
	if err := w.exitEvent(e, door); err != nil {
		return err
	}
	e.Rights = []checkin.RightChange{{Counter: w.anyCounter(), Kind: checkin.RightCredit, N: 1, Ref: 1 + int64(w.rng.IntN(int(w.byz.seq)+5))}}
	return nil
}

// headcountEvent makes e a staff +1 or −1 at any door, between any two
// places, now and then naming someone made up, spending or leaving a
// right or not.
func (w *World) headcountEvent(e *wire.Event) {
	d := w.ev.Doors[w.rng.IntN(len(w.ev.Doors))]
	e.Door, e.From, e.Location = d.ID, d.From, d.To
	if w.rng.IntN(3) == 0 {
		e.From, e.Location = w.anyPlace(), w.anyPlace()
	}
	if w.rng.IntN(5) == 0 {
		e.Person, _, _ = w.anyone(false)
	}
	if w.rng.IntN(2) == 0 {
		e.Delta, e.Decision, e.Reason = 1, string(checkin.Admit), string(checkin.HeadcountAdded)
		if w.rng.IntN(2) == 0 {
			e.Rights = spends(w.ev.Counters(d.ID))
		}
	} else {
		e.Delta, e.Decision, e.Reason = -1, string(checkin.Leave), string(checkin.HeadcountRemoved)
		if w.rng.IntN(2) == 0 {
			e.Rights = []checkin.RightChange{{Counter: d.To, Kind: checkin.RightLeft, N: 1}}
		}
	}
}

// replayEvent is one of the byzantine kiosk's own events again: the same
// (a duplicate), or under the same seq with another clock (a fork: a
// restored backup).
func (w *World) replayEvent() wire.Event {
	b := w.byz
	e := b.sent[w.rng.IntN(len(b.sent))]
	if w.rng.IntN(2) == 0 {
		e.HLC++
	}
	return e
}

// admitEvent makes e an admission through door of someone real or made
// up, spending a right of every counter the door increases.
func (w *World) admitEvent(e *wire.Event, door *checkin.Door) error {
	var err error
	if e.Person, e.Code, err = w.anyone(w.rng.IntN(3) > 0); err != nil {
		return err
	}
	e.Decision, e.Reason = string(checkin.Admit), string(checkin.Admitted)
	e.From, e.Location = door.From, door.To
	e.Rights = spends(w.ev.Counters(door.ID))
	return nil
}

// exitEvent makes e an exit through door of someone real, leaving the
// counters it crosses.
func (w *World) exitEvent(e *wire.Event, door *checkin.Door) error {
	var err error
	if e.Person, e.Code, err = w.anyone(true); err != nil {
		return err
	}
	e.Direction, e.Decision, e.Reason = string(checkin.Exit), string(checkin.Leave), string(checkin.ExitRecorded)
	e.From, e.Location = door.To, door.From
	e.Rights = nil
	for _, c := range w.ev.Counters(door.ID) {
		e.Rights = append(e.Rights, checkin.RightChange{Counter: c, Kind: checkin.RightLeft, N: 1})
	}
	return nil
}

// spends is a spend of one right of each counter.
func spends(counters []string) []checkin.RightChange {
	var out []checkin.RightChange
	for _, c := range counters {
		out = append(out, checkin.RightChange{Counter: c, Kind: checkin.RightSpend, N: 1})
	}
	return out
}

// anyone returns someone on the roster (half the time someone the
// center counts inside, as a kiosk's pull shows them), or someone made
// up.
func (w *World) anyone(real bool) (id, code string, err error) {
	if !real || len(w.people) == 0 {
		n := w.rng.IntN(1000)
		return fmt.Sprintf("X%03d", n), fmt.Sprintf("FAKE-%03d", n), nil
	}
	p := w.people[w.rng.IntN(len(w.people))]
	if w.rng.IntN(2) == 0 {
		var inside []string
		rows, err := w.center.sql.QueryContext(w.ctx, `SELECT DISTINCT person_id FROM spends WHERE closed = 0 AND person_id <> ''
			ORDER BY person_id`)
		if err != nil {
			return "", "", err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return "", "", err
			}
			inside = append(inside, id)
		}
		if err := rows.Err(); err != nil {
			return "", "", err
		}
		if len(inside) > 0 {
			id := inside[w.rng.IntN(len(inside))]
			for _, q := range w.people {
				if q.id == id {
					p = q
				}
			}
		}
	}
	return p.id, p.code, nil
}

// anyCounter returns a space of the event, or now and then one it does
// not have.
func (w *World) anyCounter() string {
	if w.rng.IntN(8) == 0 {
		return "nowhere"
	}
	return w.ev.Spaces[w.rng.IntN(len(w.ev.Spaces))].ID
}

// anyPlace returns outside, a space, or a place the event does not have.
func (w *World) anyPlace() string {
	switch n := w.rng.IntN(len(w.ev.Spaces) + 2); n {
	case 0:
		return checkin.Outside
	case 1:
		return "nowhere"
	default:
		return w.ev.Spaces[n-2].ID
	}
}

// seqAndTimes gives e a seq (the next, one of its earlier ones, any, or
// one just under wire.MaxSeq) and its clocks (now, or far ahead or
// behind the center's), and a pull cursor that may claim any pull.
func (w *World) seqAndTimes(e *wire.Event) {
	b := w.byz
	switch n := w.rng.IntN(10); {
	case n < 6 || len(b.sent) == 0:
		b.seq++
		e.Seq = b.seq
	case n < 8:
		e.Seq = b.sent[w.rng.IntN(len(b.sent))].Seq
	case n < 9:
		e.Seq = 1 + int64(w.rng.IntN(int(b.seq)+10))
	default:
		e.Seq = wire.MaxSeq - 1 - int64(w.rng.IntN(1000))
	}
	e.HLC = uint64(hlc.Make(w.anyTime(), uint16(w.rng.IntN(100))))
	e.At = w.anyTime().UnixMilli()
	e.Stamp = nil
	if w.rng.IntN(4) > 0 {
		e.Stamp = &checkin.Stamp{T: w.anyTime().UnixMilli(), Err: int64(w.rng.IntN(2000))}
	}
	switch w.rng.IntN(3) {
	case 0:
		e.Cursor = 0
	case 1:
		e.Cursor = int64(w.rng.IntN(100_000))
	default:
		e.Cursor = wire.MaxSeq
	}
}

// anyTime is the center's time now, within minutes of it, or months or
// years ahead or behind (past FlagAhead and FlagBehind).
func (w *World) anyTime() time.Time {
	switch n := w.rng.IntN(10); {
	case n < 5:
		return w.now
	case n < 7:
		return w.now.Add(time.Duration(w.rng.IntN(20*60)-10*60) * time.Second)
	case n < 9:
		return w.now.Add(time.Duration(1+w.rng.IntN(2*365*24)) * time.Hour)
	default:
		return w.now.Add(-time.Duration(31*24+w.rng.IntN(5*365*24)) * time.Hour)
	}
}

// copyEvent makes e a copy of another kiosk's event the center holds,
// under the byzantine kiosk's own identity; false when there is none.
// Half keep their seq (most are the byzantine's too: forks).
func (w *World) copyEvent(e *wire.Event) (bool, error) {
	var n int
	if err := w.center.sql.QueryRowContext(w.ctx, `SELECT count(*) FROM events WHERE kiosk_id <> ?`, w.byz.id).Scan(&n); err != nil {
		return false, err
	}
	if n == 0 {
		return false, nil
	}
	var (
		h      int64
		rights string
		st     checkin.Stamp
	)
	err := w.center.sql.QueryRowContext(w.ctx, `
		SELECT seq, hlc, at, door, direction, method, code, coalesce(person_id, ''), decision, reason, space, note,
			coalesce(from_loc, ''), coalesce(location, ''), delta, coalesce(undoes, 0), coalesce(rights, ''), cursor, t, terr
		FROM events WHERE kiosk_id <> ? ORDER BY rseq, seq LIMIT 1 OFFSET ?`, w.byz.id, w.rng.IntN(n)).
		Scan(&e.Seq, &h, &e.At, &e.Door, &e.Direction, &e.Method, &e.Code, &e.Person, &e.Decision, &e.Reason, &e.Space, &e.Note,
			&e.From, &e.Location, &e.Delta, &e.Undoes, &rights, &e.Cursor, &st.T, &st.Err)
	if err != nil {
		return false, fmt.Errorf("copy an event for the byzantine kiosk: %v", err)
	}
	e.HLC = uint64(h)
	if st.Known() && st.T > 0 {
		e.Stamp = &st
	}
	if rights != "" {
		if err := json.Unmarshal([]byte(rights), &e.Rights); err != nil {
			return false, err
		}
	}
	if w.rng.IntN(2) == 0 {
		w.byz.seq++
		e.Seq = w.byz.seq
	}
	return true, nil
}

// spoil makes e fail wire validation, one way or another.
func (w *World) spoil(e wire.Event) wire.Event {
	switch w.rng.IntN(8) {
	case 0:
		e.Seq = 0
	case 1:
		e.Seq = wire.MaxSeq + int64(w.rng.IntN(1000))
	case 2:
		e.HLC = 0
	case 3:
		e.Delta = 2 + w.rng.IntN(100)
	case 4:
		e.Direction = "sideways"
	case 5:
		e.Rights = append(e.Rights, checkin.RightChange{Counter: w.ev.Spaces[0].ID, Kind: checkin.RightReturn, N: wire.MaxHolding + 1})
	case 6:
		e.Rights = append(e.Rights, checkin.RightChange{Counter: w.ev.Spaces[0].ID, Kind: checkin.RightCredit, N: 1})
	default:
		e.Decision = ""
	}
	return e
}

// byzantineRights asks the center for rights with a made-up report: for
// its own door (urgent or not, as an exit kiosk or not, any balance and
// demand), with counters of other doors, or naming another door, which
// the center must refuse (409) and grant nothing for.
func (w *World) byzantineRights() error {
	b := w.byz
	req := wire.RightsRequest{Urgent: w.rng.IntN(2) == 0, Exits: w.rng.IntN(8) == 0}
	switch w.rng.IntN(4) {
	case 0:
		req.Door = b.door
	case 1:
		req.Door = w.ev.Doors[w.rng.IntN(len(w.ev.Doors))].ID
	}
	// Any balance and demand, mostly none (to be granted its share
	// again and again), now and then one that fails validation.
	number := func() int {
		switch n := w.rng.IntN(16); {
		case n < 8:
			return 0
		case n < 11:
			return 1 + w.rng.IntN(3)
		case n < 15:
			return w.rng.IntN(wire.MaxHolding + 1)
		}
		return -1
	}
	for range w.rng.IntN(3) {
		req.Holdings = append(req.Holdings, wire.Holding{Counter: w.anyCounter(), Balance: number(), Demand: number()})
	}
	var want int
	switch {
	case req.Check() != nil:
		want = http.StatusBadRequest
	case req.Door != "" && req.Door != b.door:
		want = http.StatusConflict
	default:
		want = http.StatusOK
	}
	granted, err := w.byzantineGranted()
	if err != nil {
		return err
	}
	rec, err := w.call(http.MethodPost, wire.PathRights, b.token, req)
	if err != nil {
		return err
	}
	w.stats.ByzantineRights++
	if rec.Code != want {
		return fmt.Errorf("the byzantine kiosk asked for rights (door %q, holdings %+v, urgent %v): the center answered %d, not %d: %s",
			req.Door, req.Holdings, req.Urgent, rec.Code, want, rec.Body)
	}
	if want != http.StatusOK {
		w.stats.ByzantineRightsRefused++
		if after, err := w.byzantineGranted(); err != nil {
			return err
		} else if after != granted {
			return fmt.Errorf("the center refused the byzantine kiosk's request for rights at door %q (%d) and granted %d rights all the same",
				req.Door, rec.Code, after-granted)
		}
	}
	return nil
}

// byzantineGranted is every right the center ever granted the byzantine
// kiosk.
func (w *World) byzantineGranted() (int64, error) {
	var n int64
	err := w.center.sql.QueryRowContext(w.ctx, `SELECT coalesce(sum(n), 0) FROM grants WHERE kiosk_id = ?`, w.byz.id).Scan(&n)
	return n, err
}

// byzantineOpen is, per counter, the byzantine kiosk's admissions the
// center believed and counts inside or closed awaiting its credit: what
// stands in for "spent less credited" of a kiosk that keeps no log.
func (w *World) byzantineOpen() (map[string]int, error) {
	out := map[string]int{}
	rows, err := w.center.sql.QueryContext(w.ctx, `SELECT counter, count(*) FROM spends WHERE kiosk_id = ? AND closed IN (0, 2) GROUP BY counter`,
		w.byz.id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c string
			n int
		)
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}
