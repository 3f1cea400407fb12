package benchfix

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/sync/wire"
)

// DefaultCenterEvents is how many events the center the status poll is
// measured on holds: a large event's days from many kiosks.
const DefaultCenterEvents = 1_000_000

// CenterKiosks is how many kiosks pushed them.
const CenterKiosks = 500

// CenterPeople is the roster of that center.
const CenterPeople = 50_000

// CenterEvents returns how many events to build the center with:
// USHER_BENCH_CENTER_EVENTS when set (for quick runs), else
// DefaultCenterEvents. It panics on a value that is not a whole number
// from 10,000 up.
func CenterEvents() int {
	s := os.Getenv("USHER_BENCH_CENTER_EVENTS")
	if s == "" {
		return DefaultCenterEvents
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || n < 10_000 {
		panic(fmt.Sprintf("USHER_BENCH_CENTER_EVENTS=%q: want a whole number of events from 10000 up", s))
	}
	return n
}

// CenterStart is when the center's first event was scanned.
var CenterStart = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// centerSpan is the time the events are spread over: three days.
const centerSpan = 3 * 24 * time.Hour

// Center fills the empty center database at dsn (SQLite or PostgreSQL)
// with the demo event, its roster of CenterPeople and n events from
// CenterKiosks kiosks at its six doors, pushed through
// centralstore.Ingest as kiosks push them: in batches of 100, every
// kiosk in turn, each kiosk's people coming and going through its door
// with a few inside at a time, rights granted by the center and credited
// back by the exits. One event in a thousand is an exit of someone not
// inside, which the center lists as a conflict. The center's clock
// follows the scans, so none is flagged. It returns the clock after the
// last push.
func Center(ctx context.Context, dsn string, n int) (time.Time, error) {
	db, err := centralstore.Open(dsn)
	if err != nil {
		return time.Time{}, err
	}
	defer db.Close()
	clock := CenterStart.Add(-time.Hour)
	db.Now = func() time.Time { return clock }
	ev := centerEvent()
	people := demo.Roster(CenterPeople)
	if _, err := db.Import(ctx, ev, people, nil); err != nil {
		return clock, fmt.Errorf("center fixture: import: %w", err)
	}
	ks, err := enrollKiosks(ctx, db, ev)
	if err != nil {
		return clock, err
	}
	const batch = 100
	step := centerSpan / time.Duration(n)
	at := CenterStart
	for made := 0; made < n; {
		for _, k := range ks {
			if made >= n {
				break
			}
			var es []wire.Event
			for range min(batch, n-made) {
				made++
				at = at.Add(step)
				es = append(es, k.scan(ev, people, made, at))
			}
			clock = at.Add(time.Second)
			res, err := db.Ingest(ctx, k.id, es)
			if err != nil {
				return clock, fmt.Errorf("center fixture: push: %w", err)
			}
			if len(res.Refused) > 0 {
				return clock, fmt.Errorf("center fixture: the center refused %d events, the first because %s", len(res.Refused), res.Refused[0].Why)
			}
		}
	}
	return clock, nil
}

// centerEvent is the demo event with room for the center's CenterKiosks
// kiosks to share: 1,000,000 people in a venue, 100,000 in a room.
func centerEvent() *checkin.Event {
	ev := demo.Event()
	for i := range ev.Spaces {
		ev.Spaces[i].Capacity = 100_000
		if ev.Spaces[i].Parent == "" {
			ev.Spaces[i].Capacity = 1_000_000
		}
	}
	return ev
}

// centerKiosk is one of the kiosks Center pushes from.
type centerKiosk struct {
	id, door string
	i        int // its place among the kiosks
	seq      int64
	inside   []wire.Event // admissions not yet out, oldest first
	admitted int
	room     int // people it lets be inside at once: its rights
}

// enrollKiosks enrolls CenterKiosks kiosks at the event's doors in turn,
// then has each ask for its rights, once all are enrolled: the center
// splits each door's share among the door's kiosks.
func enrollKiosks(ctx context.Context, db *centralstore.DB, ev *checkin.Event) ([]*centerKiosk, error) {
	ks := make([]*centerKiosk, CenterKiosks)
	for i := range ks {
		door := ev.Doors[i%len(ev.Doors)].ID
		tok, err := db.CreateEnrollment(ctx, door)
		if err != nil {
			return nil, fmt.Errorf("center fixture: %w", err)
		}
		e, err := db.Enroll(ctx, tok, fmt.Sprintf("kiosk %d", i))
		if err != nil {
			return nil, fmt.Errorf("center fixture: %w", err)
		}
		ks[i] = &centerKiosk{id: e.KioskID, door: door, i: i, room: 8}
	}
	for _, k := range ks {
		if err := k.takeRights(ctx, db, ev); err != nil {
			return nil, err
		}
	}
	return ks, nil
}

// takeRights asks the center for the kiosk's rights, and lets it hold
// as many people inside at once as it was granted rights of every space
// its door counts, and at most 8.
func (k *centerKiosk) takeRights(ctx context.Context, db *centralstore.DB, ev *checkin.Event) error {
	resp, err := db.Rights(ctx, k.id, wire.RightsRequest{})
	if err != nil {
		return fmt.Errorf("center fixture: rights: %w", err)
	}
	for _, c := range ev.Counters(k.door) {
		got := 0
		for _, g := range resp.Grants {
			if g.Counter == c {
				got += g.N
			}
		}
		k.room = min(k.room, got)
	}
	if k.room < 1 {
		return fmt.Errorf("center fixture: kiosk %d at %s was granted no rights: %+v", k.i, k.door, resp)
	}
	return nil
}

// scan is the kiosk's next event, the made-th of the fixture, at at: one
// in a thousand an exit of someone its door never let in; else an
// admission while it has room for one more inside, or the exit of the
// person inside longest.
func (k *centerKiosk) scan(ev *checkin.Event, people []checkin.Person, made int, at time.Time) wire.Event {
	k.seq++
	e := wire.Event{Seq: k.seq, HLC: uint64(at.UnixMilli()) << 16, At: at.UnixMilli(), Door: k.door,
		Method: "badge", Stamp: &checkin.Stamp{T: at.UnixMilli(), Err: 50}}
	d := ev.Door(k.door)
	switch {
	case made%1000 == 0:
		// An exit of someone this door never let in.
		p := people[(made*7)%len(people)]
		e.Direction, e.Person, e.Code, e.Decision, e.Reason = string(checkin.Exit), p.ID, p.Code, string(checkin.Leave), string(checkin.NotInside)
		e.From, e.Location = d.To, d.From
		for _, c := range ev.Counters(k.door) {
			e.Rights = append(e.Rights, checkin.RightChange{Counter: c, Kind: checkin.RightLeft, N: 1})
		}
	case len(k.inside) < k.room:
		// People of this kiosk's own: kiosk i admits i, i+500, …
		p := people[(k.admitted*CenterKiosks+k.i)%len(people)]
		k.admitted++
		e.Direction, e.Person, e.Code, e.Decision, e.Reason = string(checkin.Entry), p.ID, p.Code, string(checkin.Admit), "admitted"
		e.From, e.Location, e.Rights = d.From, d.To, checkin.Spends(ev, k.door)
		k.inside = append(k.inside, e)
	default:
		in := k.inside[0]
		k.inside = k.inside[1:]
		e.Direction, e.Person, e.Code, e.Decision, e.Reason = string(checkin.Exit), in.Person, in.Code, string(checkin.Leave), "exit_recorded"
		e.From, e.Location = d.To, d.From
		for _, c := range ev.Counters(k.door) {
			e.Rights = append(e.Rights, checkin.RightChange{Counter: c, Kind: checkin.RightCredit, N: 1, Ref: in.Seq})
		}
	}
	return e
}
