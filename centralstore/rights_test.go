package centralstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/internal/pgtest"
	"usher/sync/wire"
)

// smallEvent is the demo event with the venue's and the ballroom's
// capacities set, so a test runs out of rights quickly.
func smallEvent(tb testing.TB, venue, ballroom int) *checkin.Event {
	tb.Helper()
	ev := demo.Event()
	for i := range ev.Spaces {
		switch ev.Spaces[i].ID {
		case "venue":
			ev.Spaces[i].Capacity = venue
		case "ballroom":
			ev.Spaces[i].Capacity = ballroom
		}
	}
	if err := ev.Validate(); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// rig is a center with a fixed clock and kiosks that log events.
type rig struct {
	t      *testing.T
	ctx    context.Context
	db     *centralstore.DB
	clock  time.Time
	seqs   map[string]int64
	stamps int64
}

func newRig(t *testing.T, dsn string, venue, ballroom int) *rig {
	r := &rig{t: t, ctx: context.Background(), db: MustOpen(t, dsn),
		clock: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), seqs: map[string]int64{}}
	r.db.Now = func() time.Time { return r.clock }
	if _, err := r.db.Import(r.ctx, smallEvent(t, venue, ballroom), demo.Roster(10), nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) enroll(door string) string {
	r.t.Helper()
	return MustEnroll(r.t, r.db, door)
}

func (r *rig) rights(kiosk string, hs ...wire.Holding) wire.RightsResponse {
	r.t.Helper()
	resp, err := r.db.Rights(r.ctx, kiosk, wire.RightsRequest{Holdings: hs})
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

func (r *rig) push(kiosk string, es ...wire.Event) int {
	r.t.Helper()
	n, err := r.db.Push(r.ctx, kiosk, es)
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// event is the kiosk's next log row at door: decision "admit" moves the
// person in, "exit" out, "rights" moves only rights. cursor is the
// kiosk's pull cursor when it logged it.
func (r *rig) event(kiosk, door, decision, person string, cursor int64, rights ...checkin.RightChange) wire.Event {
	r.seqs[kiosk]++
	r.stamps++
	e := wire.Event{Seq: r.seqs[kiosk], HLC: uint64(r.clock.UnixMilli()+r.stamps) << 16, At: r.clock.UnixMilli(),
		Door: door, Direction: string(checkin.Entry), Method: "badge", Person: person, Decision: decision,
		Reason: "admitted", Rights: rights, Cursor: cursor}
	d := demo.Event().Door(door)
	switch decision {
	case "admit":
		e.From, e.Location = d.From, d.To
	case "exit":
		e.Direction, e.Reason, e.From, e.Location = string(checkin.Exit), string(checkin.NotInside), d.To, d.From
		// As a kiosk does: a counter the exit does not credit here is
		// listed as left, for the center to match.
		for _, c := range demo.Event().Counters(door) {
			if !slices.ContainsFunc(rights, func(r checkin.RightChange) bool { return r.Counter == c && r.Kind == checkin.RightCredit }) {
				e.Rights = append(e.Rights, checkin.RightChange{Counter: c, Kind: checkin.RightLeft, N: 1})
			}
		}
	case "rights":
		e.Reason, e.Method = "rights_returned", "rights"
	}
	return e
}

// cursor is where a kiosk pulling now would stand.
func (r *rig) cursor() int64 {
	r.t.Helper()
	_, c := pullAll(r.t, r.db, 0, wire.MaxPullLimit)
	return c
}

func (r *rig) pull(kiosk string, cursor int64) wire.PullResponse {
	r.t.Helper()
	p, err := r.db.Pull(r.ctx, kiosk, cursor, wire.MaxPullLimit)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// books returns one counter's books, after checking every counter's:
// inside + pending + held + reserve = cap + debt, nothing negative.
func (r *rig) books(counter string) centralstore.CounterRights {
	r.t.Helper()
	st, err := r.db.Status(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	var out centralstore.CounterRights
	for _, b := range st.Rights {
		if b.Inside+b.Pending+b.Held+b.Reserve != b.Cap+b.Debt || b.Inside < 0 || b.Pending < 0 || b.Held < 0 || b.Reserve < 0 || b.Debt < 0 {
			r.t.Errorf("books of %s do not balance: %+v", b.Counter, b)
		}
		if b.Counter == counter {
			out = b
		}
	}
	if out.Counter == "" {
		r.t.Fatalf("no books of %s in %+v", counter, st.Rights)
	}
	return out
}

func spend(c string) checkin.RightChange {
	return checkin.RightChange{Counter: c, Kind: checkin.RightSpend, N: 1}
}

func ret(c string, n int) checkin.RightChange {
	return checkin.RightChange{Counter: c, Kind: checkin.RightReturn, N: n}
}

func credit(c string, ref int64) checkin.RightChange {
	return checkin.RightChange{Counter: c, Kind: checkin.RightCredit, N: 1, Ref: ref}
}

func granted(resp wire.RightsResponse, counter string) int {
	n := 0
	for _, g := range resp.Grants {
		if g.Counter == counter {
			n += g.N
		}
	}
	return n
}

func TestRightsGrantsWithinReserve(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main, east := r.enroll("main"), r.enroll("east")
		if b := r.books("venue"); b.Cap != 10 || b.Reserve != 10 || b.Held != 0 {
			t.Fatalf("books after import: %+v, want cap and reserve 10", b)
		}

		// Two doors into the venue: the center keeps a pool of one place
		// per door for a door whose share runs out while it answers, and
		// the doors share the rest, half each, whichever kiosk asks first.
		a := r.rights(main, wire.Holding{Counter: "venue"})
		if len(a.Grants) != 1 || a.Grants[0].Counter != "venue" || a.Grants[0].N != 4 || a.Free["venue"] != 6 {
			t.Fatalf("first kiosk: %+v, want a grant of 4 and 6 free elsewhere", a)
		}
		b := r.rights(east, wire.Holding{Counter: "venue"})
		if granted(b, "venue") != 4 {
			t.Fatalf("second kiosk: %+v, want a grant of 4", b)
		}
		// What is left is the pool: a busy door's share grows with its
		// queue, but its rounds take nothing from the pool.
		if c := r.rights(main, wire.Holding{Counter: "venue", Balance: 4, Demand: 50}); len(c.Grants) != 0 {
			t.Errorf("a busy door's round took from the center's pool: %+v", c.Grants)
		}
		// Once its rights are spent with someone waiting, it asks on the
		// spot and is given from the pool, never more than it holds.
		more, err := r.db.Rights(r.ctx, main, wire.RightsRequest{Urgent: true,
			Holdings: []wire.Holding{{Counter: "venue", Balance: 0, Demand: 50}}})
		if err != nil {
			t.Fatal(err)
		}
		if granted(more, "venue") != 2 {
			t.Errorf("an urgent request with the pool at 2: %+v, want both", more.Grants)
		}
		if c := r.rights(main, wire.Holding{Counter: "venue", Balance: 6, Demand: 50}); len(c.Grants) != 0 {
			t.Errorf("grant beyond the reserve: %+v", c.Grants)
		}
		if bk := r.books("venue"); bk.Reserve != 0 || bk.Held != 10 {
			t.Errorf("books %+v, want reserve 0 and 10 held", bk)
		}
		// A kiosk far above its share (none of the 10, next to a door
		// with demand 50) is asked to give back the excess.
		if c := r.rights(east, wire.Holding{Counter: "venue", Balance: 4}); c.Return["venue"] != 4 || len(c.Grants) != 0 {
			t.Errorf("a kiosk holding 4 of a share of 0: %+v, want to return 4", c)
		}

		// Each kiosk's pull brings its own grants, once.
		if p := r.pull(main, 0); len(p.Grants) != 2 || p.Grants[0] != a.Grants[0] || p.Grants[1] != more.Grants[0] {
			t.Errorf("main's pull grants %+v, want %+v and %+v", p.Grants, a.Grants, more.Grants)
		}
		if p := r.pull(east, 0); len(p.Grants) != 1 || p.Grants[0] != b.Grants[0] {
			t.Errorf("east's pull grants %+v, want %+v", p.Grants, b.Grants)
		}
		if p := r.pull(main, more.Grants[0].ID); len(p.Grants) != 0 {
			t.Errorf("a pull past the grant brings it again: %+v", p.Grants)
		}
		if p := r.pull("", 0); len(p.Grants) != 0 {
			t.Errorf("a pull for no kiosk brings grants: %+v", p.Grants)
		}

		// Many rounds of kiosks asking and returning: grants never exceed
		// the reserve, and what kiosks hold never exceeds the capacity.
		north := r.enroll("ballroom-north")
		kiosks := []string{main, east, north}
		hold := map[string]map[string]int{main: {"venue": 6}, east: {"venue": 4}, north: {}}
		rng := rand.New(rand.NewPCG(1, 2))
		for round := range 60 {
			k := kiosks[rng.IntN(len(kiosks))]
			var hs []wire.Holding
			for _, c := range []string{"venue", "ballroom"} {
				hs = append(hs, wire.Holding{Counter: c, Balance: hold[k][c], Demand: rng.IntN(20)})
			}
			before := r.books("venue").Reserve
			ballBefore := r.books("ballroom").Reserve
			resp := r.rights(k, hs...)
			if g := granted(resp, "venue"); int64(g) > before {
				t.Fatalf("round %d: granted %d venue rights from a reserve of %d", round, g, before)
			}
			if g := granted(resp, "ballroom"); int64(g) > ballBefore {
				t.Fatalf("round %d: granted %d ballroom rights from a reserve of %d", round, g, ballBefore)
			}
			for _, g := range resp.Grants {
				hold[k][g.Counter] += g.N
			}
			var back []checkin.RightChange
			for _, c := range checkin.SortedCounters(resp.Return) {
				back = append(back, ret(c, resp.Return[c]))
				hold[k][c] -= resp.Return[c]
			}
			if len(back) > 0 {
				r.push(k, r.event(k, r.doorOf(k, main, east), "rights", "", 0, back...))
			}
			sum := map[string]int{}
			for _, h := range hold {
				for c, n := range h {
					if n < 0 {
						t.Fatalf("round %d: a kiosk holds %d %s rights", round, n, c)
					}
					sum[c] += n
				}
			}
			if sum["venue"] > 10 || sum["ballroom"] > 6 {
				t.Fatalf("round %d: kiosks hold %v, over the capacities 10 and 6", round, sum)
			}
			if bk := r.books("venue"); bk.Held != int64(sum["venue"]) {
				t.Fatalf("round %d: the center counts %d venue rights held, the kiosks %d", round, bk.Held, sum["venue"])
			}
		}
		if hold[north]["venue"] != 0 {
			t.Errorf("the ballroom door holds %d venue rights; its door does not increase the venue", hold[north]["venue"])
		}
	})
}

// doorOf is the door of one of the rig's kiosks in the grant test.
func (r *rig) doorOf(k, main, east string) string {
	switch k {
	case main:
		return "main"
	case east:
		return "east"
	}
	return "ballroom-north"
}

func TestRightsDuplicatePushCreditsOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main := r.enroll("main")
		if g := granted(r.rights(main, wire.Holding{Counter: "venue"}), "venue"); g != 4 {
			t.Fatalf("main was granted %d, want 4 (east and the center keep theirs)", g)
		}
		back := r.event(main, "main", "rights", "", 0, ret("venue", 2))
		if n := r.push(main, back); n != 1 {
			t.Fatalf("return stored %d", n)
		}
		// The same push again, and within a later one: booked once.
		if n := r.push(main, back); n != 0 {
			t.Errorf("a repeated push stored %d", n)
		}
		other := r.event(main, "main", "admit", "P000001", 0, spend("venue"))
		if n := r.push(main, other, back); n != 1 {
			t.Errorf("a push with one new event stored %d", n)
		}
		if b := r.books("venue"); b.Reserve != 8 || b.Held != 1 || b.Inside != 1 {
			t.Errorf("books %+v, want reserve 8 (the return once), 1 held, 1 inside", b)
		}
	})
}

func TestRightsExitNotice(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main, east := r.enroll("main"), r.enroll("east")
		r.rights(main, wire.Holding{Counter: "venue"})
		ada, bob, cy := "P000001", "P000002", "P000003"

		admitAda := r.event(main, "main", "admit", ada, 0, spend("venue"))
		admitCy := r.event(main, "main", "admit", cy, 0, spend("venue"))
		r.push(main, admitAda, admitCy)
		cur := r.cursor()
		// Bob's admission reaches the center after east's last pull: east
		// could not have known of it when he left through it.
		admitBob := r.event(main, "main", "admit", bob, 0, spend("venue"))
		r.push(main, admitBob)
		// Cy comes back in at east itself, later than main's admission.
		r.rights(east, wire.Holding{Counter: "venue"})
		cyAgain := r.event(east, "east", "admit", cy, cur, spend("venue"))
		r.push(east, cyAgain)

		// East admitted Cy itself, so it credits his exit there.
		exits := []wire.Event{r.event(east, "east", "exit", ada, cur), r.event(east, "east", "exit", bob, cur),
			r.event(east, "east", "exit", cy, cur, credit("venue", cyAgain.Seq))}
		r.push(east, exits...)
		// Two notices to main: Cy's admission there ended when he was
		// admitted again at east, which had pulled it; Ada's when she left
		// at east. None for Bob: his admission came after east's pull.
		notices := r.pull(main, 0).Notices
		if len(notices) != 2 {
			t.Fatalf("notices to main %+v, want Cy's (admitted again at east) and Ada's (left at east)", notices)
		}
		if n := notices[0]; n.Person != cy || n.Counter != "venue" || n.Admission != admitCy.Seq {
			t.Errorf("first notice %+v, want Cy's admission %d into venue", n, admitCy.Seq)
		}
		if n := notices[1]; n.Person != ada || n.Counter != "venue" || n.Admission != admitAda.Seq {
			t.Errorf("second notice %+v, want Ada's admission %d into venue", n, admitAda.Seq)
		}
		if p := r.pull(east, 0); len(p.Notices) != 0 {
			t.Errorf("notices to east: %+v", p.Notices)
		}
		if p := r.pull(main, notices[1].ID); len(p.Notices) != 0 {
			t.Errorf("a pull past the notices brings them again: %+v", p.Notices)
		}
		// A notice moves no right: only main may credit Ada's and Cy's.
		// Bob alone is inside; two places wait for main's credits.
		if b := r.books("venue"); b.Inside != 1 || b.Pending != 2 {
			t.Errorf("books %+v, want Bob inside and 2 pending until main credits", b)
		}

		// The same exit again, and Ada leaving a second time: one notice
		// per admission.
		r.push(east, exits[0])
		r.push(east, r.event(east, "east", "exit", ada, r.cursor()))
		if got := r.pull(main, 0).Notices; len(got) != 2 {
			t.Errorf("notices to main after Ada left twice: %+v, want the two", got)
		}

		// Main credits Ada's admission on the notice: the right is back.
		r.push(main, r.event(main, "main", "rights", ada, 0, credit("venue", admitAda.Seq)))
		if b := r.books("venue"); b.Inside != 1 || b.Pending != 1 {
			t.Errorf("books %+v, want Bob inside and 1 pending after main's credit", b)
		}
	})
}

func TestRightsCreditClosesSpend(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main, east := r.enroll("main"), r.enroll("east")
		r.rights(main, wire.Holding{Counter: "venue"})
		ada, bob := "P000001", "P000002"
		admitAda := r.event(main, "main", "admit", ada, 0, spend("venue"))
		admitBob := r.event(main, "main", "admit", bob, 0, spend("venue"))
		// Ada leaves through main itself, which credits her admission.
		leave := r.event(main, "main", "exit", ada, 0, credit("venue", admitAda.Seq))
		r.push(main, admitAda, admitBob, leave)
		if b := r.books("venue"); b.Inside != 1 || b.Held != 3 {
			t.Errorf("books %+v, want Bob alone inside and 3 held", b)
		}
		cur := r.cursor()
		r.push(east, r.event(east, "east", "exit", ada, cur), r.event(east, "east", "exit", bob, cur))
		notices := r.pull(main, 0).Notices
		if len(notices) != 1 || notices[0].Person != bob {
			t.Errorf("notices %+v, want Bob's alone: Ada's admission was credited", notices)
		}
	})
}

func TestRetireKiosk(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main, east := r.enroll("main"), r.enroll("east")
		if g := granted(r.rights(main, wire.Holding{Counter: "venue"}), "venue"); g != 4 {
			t.Fatalf("main was granted %d, want 4", g)
		}
		ada, bob := "P000001", "P000002"
		admitAda := r.event(main, "main", "admit", ada, 0, spend("venue"))
		r.push(main, admitAda, r.event(main, "main", "admit", bob, 0, spend("venue")))
		// Bob leaves at east; main is sent a notice it never takes in.
		r.push(east, r.event(east, "east", "exit", bob, r.cursor()))
		if len(r.pull(main, 0).Notices) != 1 {
			t.Fatal("no notice for Bob")
		}

		freed, err := r.db.RetireKiosk(r.ctx, main)
		if err != nil {
			t.Fatal(err)
		}
		if len(freed) != 1 || freed["venue"] != 3 {
			t.Errorf("retire freed %v, want venue 3 (2 held, 1 for Bob, who left)", freed)
		}
		if b := r.books("venue"); b.Reserve != 9 || b.Inside != 1 || b.Held != 0 {
			t.Errorf("books after retire %+v, want reserve 9, Ada inside", b)
		}
		if again, err := r.db.RetireKiosk(r.ctx, main); err != nil || len(again) != 0 {
			t.Errorf("second retire: %v, %v; want nothing freed", again, err)
		}
		if _, err := r.db.RetireKiosk(r.ctx, "K-nobody"); checkin.ErrorCode(err) != checkin.ENOTFOUND {
			t.Errorf("retire an unknown kiosk: %v, want ENOTFOUND", err)
		}
		if _, err := r.db.Push(r.ctx, main, []wire.Event{r.event(main, "main", "admit", "P000004", 0, spend("venue"))}); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("push from a retired kiosk: %v, want EUNAUTHORIZED", err)
		}
		if _, err := r.db.Rights(r.ctx, main, wire.RightsRequest{}); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("rights for a retired kiosk: %v, want EUNAUTHORIZED", err)
		}

		// Ada's exit at east is credited on the retired kiosk's behalf,
		// with no notice to it.
		r.push(east, r.event(east, "east", "exit", ada, r.cursor()))
		if b := r.books("venue"); b.Reserve != 10 || b.Inside != 0 {
			t.Errorf("books after Ada left %+v, want reserve 10, nobody inside", b)
		}
		if n := r.pull(main, 0).Notices; len(n) != 1 {
			t.Errorf("notices to the retired kiosk %+v, want only Bob's", n)
		}
		st, err := r.db.Status(r.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range st.Kiosks {
			if want := k.ID == main; k.Retired != want || k.Revoked != want {
				t.Errorf("kiosk %+v: retired and revoked should be %v", k, want)
			}
		}
	})
}

func TestCapacityLoweringDebt(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main := r.enroll("main")
		// A queue at main: 7 of the 10 (the center's pool keeps 2, and
		// east's part rounds down to none).
		if g := granted(r.rights(main, wire.Holding{Counter: "venue", Demand: 1000}), "venue"); g != 7 {
			t.Fatalf("main was granted %d, want 7", g)
		}
		r.push(main, r.event(main, "main", "admit", "P000001", 0, spend("venue")))
		cur := r.cursor()

		for _, bad := range []struct {
			space string
			n     int
		}{{"nowhere", 5}, {"venue", 0}, {"venue", -1}} {
			if _, err := r.db.SetCapacity(r.ctx, bad.space, bad.n); checkin.ErrorCode(err) != checkin.EINVALID {
				t.Errorf("SetCapacity(%q, %d): %v, want EINVALID", bad.space, bad.n, err)
			}
		}
		checkNothingNew(t, r.db, cur, "refused capacity changes")

		// 6 held, 1 inside and 3 in reserve: a capacity of 4 leaves a debt
		// of 3.
		ch, err := r.db.SetCapacity(r.ctx, "venue", 4)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Old != 10 || ch.Rights.Cap != 4 || ch.Rights.Debt != 3 || ch.Rights.Reserve != 0 {
			t.Errorf("SetCapacity: %+v, want 10 → 4 with debt 3", ch)
		}
		p := r.pull(main, cur)
		if p.Event == nil || p.Event.Space("venue").Capacity != 4 {
			t.Fatalf("the pull after the change lacks the new capacity: %+v", p.Event)
		}
		cur = p.Cursor
		if ch, err := r.db.SetCapacity(r.ctx, "venue", 4); err != nil || ch.Old != 4 {
			t.Errorf("the same capacity again: %+v, %v", ch, err)
		}
		checkNothingNew(t, r.db, cur, "an unchanged capacity")

		// In debt: every kiosk is asked for all it holds, none is granted.
		if resp := r.rights(main, wire.Holding{Counter: "venue", Balance: 6}); resp.Return["venue"] != 6 || len(resp.Grants) != 0 {
			t.Errorf("in debt: %+v, want all 6 back and no grant", resp)
		}
		east := r.enroll("east")
		if resp := r.rights(east, wire.Holding{Counter: "venue", Demand: 5}); len(resp.Grants) != 0 {
			t.Errorf("a grant while in debt: %+v", resp.Grants)
		}

		// A raise pays the debt first.
		if ch, err := r.db.SetCapacity(r.ctx, "venue", 5); err != nil || ch.Rights.Debt != 2 || ch.Rights.Reserve != 0 {
			t.Errorf("raise to 5: %+v, %v; want debt 2, reserve 0", ch, err)
		}
		// So do returns, before the reserve grows.
		r.push(main, r.event(main, "main", "rights", "", 0, ret("venue", 1)))
		if b := r.books("venue"); b.Debt != 1 || b.Reserve != 0 {
			t.Errorf("after returning 1: %+v, want debt 1, reserve 0", b)
		}
		if ch, err := r.db.SetCapacity(r.ctx, "venue", 8); err != nil || ch.Rights.Debt != 0 || ch.Rights.Reserve != 2 {
			t.Errorf("raise to 8: %+v, %v; want the last debt paid and 2 in reserve", ch, err)
		}
		r.push(main, r.event(main, "main", "rights", "", 0, ret("venue", 5)))
		if b := r.books("venue"); b.Debt != 0 || b.Reserve != 7 || b.Held != 0 || b.Inside != 1 {
			t.Errorf("after returning the rest: %+v, want no debt, reserve 7", b)
		}
		if g := granted(r.rights(east, wire.Holding{Counter: "venue"}), "venue"); g == 0 || g > 7 {
			t.Errorf("once the debt is paid east is granted %d, want 1 to 7", g)
		}
		// A lowering the reserve covers makes no debt; an import with
		// the capacity of the event file sets it back.
		reserve := r.books("venue").Reserve
		if ch, err := r.db.SetCapacity(r.ctx, "venue", 8-int(reserve)); err != nil || ch.Rights.Debt != 0 || ch.Rights.Reserve != 0 {
			t.Errorf("a lowering by the reserve: %+v, %v; want reserve 0, no debt", ch, err)
		}
		if _, err := r.db.Import(r.ctx, smallEvent(t, 10, 6), nil, nil); err != nil {
			t.Fatal(err)
		}
		if b := r.books("venue"); b.Cap != 10 || b.Reserve != 2+reserve || b.Debt != 0 {
			t.Errorf("after importing capacity 10: %+v, want reserve %d", b, 2+reserve)
		}
	})
}

// Two server processes on one PostgreSQL database answer many kiosks at
// once: the rights granted never add up to more than the capacity.
func TestRightsConcurrentServers(t *testing.T) {
	dsn := pgtest.FreshDB(t)
	r := newRig(t, dsn, 40, 25)
	other := MustOpen(t, dsn)
	other.Now = r.db.Now
	dbs := []*centralstore.DB{r.db, other}
	doors := []string{"main", "east", "ballroom-north", "ballroom-south"}
	var kiosks []string
	for i := range 24 {
		kiosks = append(kiosks, r.enroll(doors[i%len(doors)]))
	}
	var (
		mu    sync.Mutex
		total = map[string]int{}
		wg    sync.WaitGroup
		errs  = make(chan error, len(kiosks))
	)
	for i, k := range kiosks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 8 {
				// Every kiosk claims to hold nothing, so each asks for as
				// much as it may.
				resp, err := dbs[(i+round)%2].Rights(context.Background(), k, wire.RightsRequest{Holdings: []wire.Holding{
					{Counter: "venue", Demand: i}, {Counter: "ballroom", Demand: round}}})
				if err != nil {
					errs <- fmt.Errorf("kiosk %s round %d: %w", k, round, err)
					return
				}
				mu.Lock()
				for _, g := range resp.Grants {
					total[g.Counter] += g.N
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Everything but the center's pool (two doors into each: 2 places)
	// is handed out, and not one right more.
	if total["venue"] != 38 || total["ballroom"] != 23 {
		t.Errorf("granted %v in all, want the capacities less the pools: venue 38, ballroom 23", total)
	}
	for _, c := range []string{"venue", "ballroom"} {
		if b := r.books(c); b.Reserve != 2 || b.Held != b.Cap-2 {
			t.Errorf("books of %s %+v, want everything held but the pool of 2", c, b)
		}
	}
}

// An exit the center could not match (east had not heard of the
// admission) leaves that admission open; a later exit that causally
// follows it closes it, even though the person's latest admission is
// closed already: every open admission before an exit is over.
func TestRightsLaterExitClosesOlderAdmission(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main, east := r.enroll("main"), r.enroll("east")
		r.rights(main, wire.Holding{Counter: "venue"})
		ada := "P000001"
		stale := r.cursor()
		first := r.event(main, "main", "admit", ada, 0, spend("venue"))
		r.push(main, first)
		r.push(east, r.event(east, "east", "exit", ada, stale)) // east had not pulled since
		if n := r.pull(main, 0).Notices; len(n) != 0 {
			t.Fatalf("an exit before east could know of the admission was matched: %+v", n)
		}
		again := r.event(main, "main", "admit", ada, 0, spend("venue"))
		r.push(main, again, r.event(main, "main", "exit", ada, 0, credit("venue", again.Seq)))
		r.push(east, r.event(east, "east", "exit", ada, r.cursor()))
		n := r.pull(main, 0).Notices
		if len(n) != 1 || n[0].Admission != first.Seq {
			t.Fatalf("notices %+v, want one for the first admission %d", n, first.Seq)
		}
	})
}

// The center closes a stay by the door the exit went through, whatever
// the exiting kiosk listed: a person who left the venue is not inside
// it, and no kiosk's word makes them so.
func TestRightsExitClosesByDoor(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main, east := r.enroll("main"), r.enroll("east")
		r.rights(main, wire.Holding{Counter: "venue"})
		ada := "P000001"
		r.push(main, r.event(main, "main", "admit", ada, 0, spend("venue")))
		e := r.event(east, "east", "exit", ada, r.cursor())
		e.Rights = nil
		r.push(east, e)
		if n := r.pull(main, 0).Notices; len(n) != 1 || n[0].Person != ada {
			t.Fatalf("notices %+v, want Ada's: she left the venue at east", n)
		}
		if b := r.books("venue"); b.Inside != 0 || b.Pending != 1 {
			t.Errorf("books %+v, want nobody inside and 1 pending", b)
		}
	})
}

// A server reads the event once per definition for the kiosks' requests
// (sharedEvent): one that another server process changed is read anew,
// for pulls, pushes and rights alike.
func TestKioskRequestsReadAnotherProcessesEvent(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		other := MustOpen(t, dsn)
		main := r.enroll("main")
		if g := granted(r.rights(main, wire.Holding{Counter: "venue"}), "venue"); g != 4 {
			t.Fatalf("granted %d of venue, want 4", g)
		}
		cursor := r.cursor()
		if _, err := other.Import(r.ctx, smallEvent(t, 30, 6), nil, nil); err != nil {
			t.Fatal(err)
		}
		page := r.pull(main, cursor)
		if page.Event == nil || page.Event.Space("venue").Capacity != 30 {
			t.Fatalf("the pull after another process raised the venue to 30: event %+v", page.Event)
		}
		if g := granted(r.rights(main, wire.Holding{Counter: "venue", Balance: 4}), "venue"); g != 10 {
			t.Errorf("granted %d more of venue after the raise, want 10 (half of 30 less the pool of 2, less the 4 held)", g)
		}
	})
}

// A push that repeats one seq three times, as a kiosk sending garbage
// might, stores it once and forks for the other content: the rows a push
// writes at its end must not take a seq it wrote already.
func TestPushRepeatsASeq(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := newRig(t, dsn, 10, 6)
		main := r.enroll("main")
		r.rights(main, wire.Holding{Counter: "venue"})
		a := r.event(main, "main", "admit", "P000001", 0, spend("venue"))
		other := a
		other.Person, other.Code = "P000002", "other"
		res, err := r.db.Ingest(r.ctx, main, []wire.Event{a, a, a, other, a})
		if err != nil {
			t.Fatalf("a push repeating seq %d: %v", a.Seq, err)
		}
		if res.Accepted != 2 || !res.Forked {
			t.Errorf("accepted %d, forked %v; want the event once and the other on a branch", res.Accepted, res.Forked)
		}
	})
}
