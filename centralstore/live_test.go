package centralstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/internal/pgtest"
	"usher/report"
	"usher/sync/wire"
)

// checkLive fails t when Status, from the live figures, is not what a
// replay of every event says.
func checkLive(t *testing.T, db *centralstore.DB, when string) centralstore.Status {
	t.Helper()
	ctx := context.Background()
	live, err := db.Status(ctx)
	if err != nil {
		t.Fatalf("%s: status: %v", when, err)
	}
	replay, err := centralstore.ReplayStatus(db, ctx)
	if err != nil {
		t.Fatalf("%s: replay: %v", when, err)
	}
	if !reflect.DeepEqual(live.Conflicts, replay.Conflicts) {
		t.Fatalf("%s: conflicts\n live   %+v\n replay %+v", when, live.Conflicts, replay.Conflicts)
	}
	if !reflect.DeepEqual(live, replay) {
		t.Fatalf("%s: status\n live   %+v\n replay %+v", when, live, replay)
	}
	return live
}

// headcount is a kiosk's staff count at door without a badge: +1, or
// −1 crediting back its +1 ref (0: it has none open).
func headcount(r *rig, kiosk, door string, delta int, ref int64) wire.Event {
	ev := demo.Event()
	d := ev.Door(door)
	e := r.event(kiosk, door, "admit", "", 0)
	e.Method, e.Delta, e.From, e.Location = "adjust", delta, d.From, d.To
	if delta > 0 {
		e.Reason, e.Rights = string(checkin.HeadcountAdded), checkin.Spends(ev, door)
		return e
	}
	e.Decision, e.Reason = string(checkin.Leave), string(checkin.HeadcountRemoved)
	if ref > 0 {
		for _, c := range ev.Counters(door) {
			e.Rights = append(e.Rights, credit(c, ref))
		}
	}
	return e
}

// staffUndo is a kiosk's staff undo of its event x at door: the person
// back where they were, or the count taken back, with the rights a
// kiosk's undo moves (a credit of what x spent, or a spend of what its
// going back in takes).
func staffUndo(r *rig, kiosk, door string, x wire.Event) wire.Event {
	ev := demo.Event()
	e := r.event(kiosk, door, "admit", x.Person, 0)
	e.Decision, e.Reason, e.Method, e.Undoes = string(checkin.Undo), string(checkin.Undone), "undo", x.Seq
	credits := func() {
		for _, c := range ev.Counters(door) {
			e.Rights = append(e.Rights, credit(c, x.Seq))
		}
	}
	switch {
	case x.Person == "":
		// The same places, the other way.
		e.Delta, e.From, e.Location = -x.Delta, x.From, x.Location
		if e.Delta > 0 {
			e.Rights = checkin.Spends(ev, door)
		} else {
			credits()
		}
	default:
		e.From, e.Location = x.Location, x.From
		if ev.Enters(e.From, e.Location) {
			e.Rights = checkin.Spends(ev, door)
		} else if x.Decision == "admit" {
			credits()
		}
	}
	return e
}

// checkDash fails t when the dashboard's door totals or trend lines,
// from the figures each push keeps, are not what report.Build gives over
// every stay's moves, for trend lines from several starts. It counts in
// kinds what the comparison covered.
func checkDash(t *testing.T, db *centralstore.DB, when string, kinds map[string]int) {
	t.Helper()
	if err := dashDiff(db, kinds); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
}

// dashDiff is the first difference checkDash finds.
func dashDiff(db *centralstore.DB, kinds map[string]int) error {
	ctx := context.Background()
	now := db.Now()
	_, log, err := db.History(ctx, true)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	end := now
	if n := len(log.Moves); n > 0 && log.Moves[n-1].At.After(end) {
		end = log.Moves[n-1].At
	}
	want := report.Build(log, end)
	// From the latest start to the earliest: the first reads, after a
	// push, only the steps it wrote (the dashboard's poll), the others
	// all the steps after their start.
	for _, back := range []time.Duration{20 * time.Second, 90 * time.Second, 5 * time.Minute, 30 * time.Minute} {
		from := now.Add(-back)
		_, _, got, err := db.Dashboard(ctx, from)
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		if !reflect.DeepEqual(got.Doors, want.Doors) {
			return fmt.Errorf("doors\n dashboard %+v\n report    %+v", got.Doors, want.Doors)
		}
		for _, w := range want.Spaces {
			g := got.Space(w.ID)
			if g == nil {
				return fmt.Errorf("no space %s on the dashboard", w.ID)
			}
			gp, wp := g.Since(from, now), w.Since(from, now)
			if !samePoints(gp, wp) {
				return fmt.Errorf("%s since %s\n dashboard %v\n report    %v", w.ID, back, gp, wp)
			}
			if wp[0].N != 0 && len(wp) > 2 {
				kinds["dash: a trend from a level"]++
			}
		}
	}
	for _, d := range want.Doors {
		if d.Entries > 0 && d.Exits > 0 {
			kinds["dash: a door's entries and exits"]++
		}
	}
	for _, m := range log.Moves {
		switch {
		case m.Undoes != "":
			kinds["dash: a staff undo"]++
		case m.Delta != 0:
			kinds["dash: a count without a badge"]++
		}
	}
	return nil
}

func samePoints(a, b []report.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].At.Equal(b[i].At) || a[i].N != b[i].N {
			return false
		}
	}
	return true
}

// liveHistory is a random history of a center: kiosks at five doors,
// each logging admissions and exits of a few people with clocks that
// disagree, going offline and pushing their backlog late, in pieces and
// out of order; claims at doors not theirs (refused), times far off
// (flagged), logs restored from a backup (forked), people revoked while
// kiosks are offline, and the event's spaces changing. After each push
// the live Status must equal the replay's.
func liveHistory(t *testing.T, dsn string, seed uint64, kinds map[string]int) {
	rng := rand.New(rand.NewPCG(seed, 9))
	r := newRig(t, dsn, 1000, 1000)
	doors := []string{"main", "east", "ballroom-north", "ballroom-south", "workshop-a"}
	type kiosk struct {
		id, door string
		pending  []wire.Event
		offline  bool
		sent     []wire.Event
		last     *wire.Event // what staff may undo: its last move at its door
		plus     []int64     // its +1s not yet taken back
	}
	var ks []*kiosk
	for _, d := range doors {
		k := &kiosk{id: r.enroll(d), door: d}
		r.rights(k.id)
		ks = append(ks, k)
	}
	people := []string{"P000001", "P000002", "P000003", "P000004", "P000005", "P000006"}
	push := func(k *kiosk, n int) {
		n = min(n, len(k.pending))
		batch := slices.Clone(k.pending[:n])
		k.pending = k.pending[n:]
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		if _, err := r.db.Ingest(r.ctx, k.id, batch); err != nil {
			t.Fatalf("seed %d: push: %v", seed, err)
		}
		k.sent = append(k.sent, batch...)
		when := fmt.Sprintf("seed %d, after a push of %d from %s", seed, n, k.door)
		st := checkLive(t, r.db, when)
		for _, c := range st.Conflicts {
			kinds[c.Kind]++
		}
		checkDash(t, r.db, when, kinds)
	}
	ev := demo.Event()
	var lastMS int64
	for step := range 90 {
		r.clock = r.clock.Add(time.Duration(1+rng.IntN(20)) * time.Second)
		k := ks[rng.IntN(len(ks))]
		person := people[rng.IntN(len(people))]
		var e wire.Event
		switch x := rng.IntN(26); {
		case x < 9:
			e = r.event(k.id, k.door, "admit", person, 0, checkin.Spends(ev, k.door)...)
		case x < 16:
			e = r.event(k.id, k.door, "exit", person, 0)
		case x == 16:
			// A claim at another door: refused.
			e = r.event(k.id, doors[rng.IntN(len(doors))], "admit", person, 0)
		case x == 17 && len(k.sent) > 0:
			// The kiosk's database restored from a backup: a seq it
			// pushed already comes again with another event.
			e = r.event(k.id, k.door, "admit", person, 0, checkin.Spends(ev, k.door)...)
			r.seqs[k.id]--
			e.Seq = k.sent[rng.IntN(len(k.sent))].Seq
		case x == 18:
			if err := r.db.RevokePerson(r.ctx, person); err != nil && checkin.ErrorCode(err) != checkin.ECONFLICT {
				t.Fatal(err)
			}
			continue
		case x == 19:
			k.offline = !k.offline
			continue
		case x < 22:
			// Staff undo the kiosk's last move at its door, as its Undo
			// logs it.
			if k.last == nil {
				continue
			}
			e = staffUndo(r, k.id, k.door, *k.last)
			if e.Delta > 0 {
				k.plus = append(k.plus, e.Seq)
			} else if e.Delta < 0 {
				k.plus = slices.DeleteFunc(k.plus, func(s int64) bool { return s == k.last.Seq })
			}
		case x < 24:
			// Staff count someone without a badge in.
			e = headcount(r, k.id, k.door, 1, 0)
			k.plus = append(k.plus, e.Seq)
		default:
			// And one out: the kiosk credits its latest +1, if it has one.
			var ref int64
			if n := len(k.plus); n > 0 {
				ref, k.plus = k.plus[n-1], k.plus[:n-1]
			}
			e = headcount(r, k.id, k.door, -1, ref)
		}
		// Clocks that disagree by up to half a minute, and now and then
		// one decades off.
		skew := int64(rng.IntN(60_000)) - 30_000
		e.HLC = uint64(r.clock.UnixMilli()+skew)<<16 | uint64(step)
		e.At = r.clock.UnixMilli() + skew
		if rng.IntN(6) == 0 && lastMS != 0 {
			// At the same millisecond as the event before: one instant
			// for the reports.
			e.HLC = uint64(lastMS)<<16 | uint64(step)
		}
		if rng.IntN(30) == 0 {
			e.HLC, e.At = uint64(r.clock.AddDate(30, 0, 0).UnixMilli())<<16, r.clock.AddDate(30, 0, 0).UnixMilli()
		}
		lastMS = int64(e.HLC >> 16)
		k.last = nil
		if e.Location != "" && e.Undoes == 0 && e.Door == k.door && e.Seq == r.seqs[k.id] {
			k.last = &e
		}
		k.pending = append(k.pending, e)
		if step == 60 {
			// The event's spaces change: the ballroom lets people in
			// again while inside; and its doors: a lounge off the venue,
			// and a side door into the venue beside main and east.
			ev := smallEvent(t, 1000, 1000)
			for i := range ev.Spaces {
				if ev.Spaces[i].ID == "ballroom" {
					ev.Spaces[i].AntiPassback = false
				}
			}
			ev.Spaces = append(ev.Spaces, checkin.Space{ID: "lounge", Name: "Lounge", Parent: "venue", Capacity: 50})
			ev.Doors = append(ev.Doors, checkin.Door{ID: "lounge", Name: "Lounge", From: "venue", To: "lounge"},
				checkin.Door{ID: "side", Name: "Side door", From: checkin.Outside, To: "venue"})
			if err := ev.Validate(); err != nil {
				t.Fatal(err)
			}
			if _, err := r.db.Import(r.ctx, ev, demo.Roster(10), nil); err != nil {
				t.Fatal(err)
			}
			checkLive(t, r.db, fmt.Sprintf("seed %d, after the spaces changed", seed))
			checkDash(t, r.db, fmt.Sprintf("seed %d, after the spaces changed", seed), kinds)
		}
		if !k.offline && rng.IntN(3) == 0 {
			push(k, 1+rng.IntN(len(k.pending)))
		}
	}
	for _, k := range ks {
		for len(k.pending) > 0 {
			push(k, 1+rng.IntN(len(k.pending)))
		}
	}
}

func TestLiveStatusIsTheReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		kinds := map[string]int{}
		for seed := range uint64(8) {
			d := dsn
			if seed > 0 {
				if centralstore.IsPostgres(dsn) {
					d = pgtest.FreshDB(t)
				} else {
					d = filepath.Join(t.TempDir(), fmt.Sprintf("central%d.db", seed))
				}
			}
			liveHistory(t, d, seed, kinds)
		}
		// The histories must have made every conflict the replay finds,
		// or the comparison proved little.
		for _, kind := range []string{centralstore.DoubleAdmission, centralstore.ExitWithoutAdmission, centralstore.RevokedAdmitted,
			centralstore.RefusedClaim, centralstore.ImplausibleTime, centralstore.ForkedLog,
			"dash: a trend from a level", "dash: a door's entries and exits", "dash: a staff undo", "dash: a count without a badge"} {
			if kinds[kind] == 0 {
				t.Errorf("no history had a %s conflict (%v)", kind, kinds)
			}
		}
	})
}

// TestLiveMigration builds the live figures of a database that had its
// events before they existed, as migration 009 and Open do.
func TestLiveMigration(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		liveHistory(t, dsn, 42, map[string]int{})
		raw := mustRaw(t, dsn)
		for _, q := range []string{
			`DROP TABLE live`, `DROP TABLE live_conflicts`, `DROP INDEX events_rseq`, `DROP INDEX spends_inside`, `DROP INDEX spends_pending`, `DROP INDEX people_removed`,
			`ALTER TABLE kiosks DROP COLUMN n_events`, `ALTER TABLE kiosks DROP COLUMN n_flagged`, `ALTER TABLE kiosks DROP COLUMN n_refused`,
			`DELETE FROM migrations WHERE name = 'migration/009_live.sql'`,
			`DROP TABLE live_steps`, `DROP TABLE live_door_totals`, `DROP TABLE live_space_totals`,
			`DROP INDEX events_undos`, `DROP INDEX spends_counts`, `DROP INDEX spends_counts_closed`,
			`DELETE FROM migrations WHERE name = 'migration/010_dash.sql'`,
		} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		raw.Close()
		db := MustOpen(t, dsn)
		st := checkLive(t, db, "after the migration")
		kinds := map[string]int{}
		checkDash(t, db, "after the migration", kinds)
		if kinds["dash: a door's entries and exits"] == 0 {
			t.Fatalf("the history had no door figures to build: %v", kinds)
		}
		if len(st.Conflicts) == 0 || st.Kiosks[0].Events == 0 {
			t.Fatalf("the history had nothing to build: %+v", st)
		}
	})
}

// TestLiveCheckedAgainstTheReplay shows that checkLive sees live figures
// that are wrong, and that Status replays while the live conflicts were
// built with other spaces than the event's.
func TestLiveCheckedAgainstTheReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		liveHistory(t, dsn, 7, map[string]int{})
		raw := mustRaw(t, dsn)
		defer raw.Close()
		db := MustOpen(t, dsn)
		ctx := context.Background()
		replay, err := centralstore.ReplayStatus(db, ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, q string
		}{
			{"a conflict lost", `DELETE FROM live_conflicts WHERE kiosk_id IN (SELECT min(kiosk_id) FROM live_conflicts)`},
			{"an event not counted", `UPDATE kiosks SET n_events = n_events - 1 WHERE id IN (SELECT min(id) FROM kiosks)`},
		} {
			tx, err := raw.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(c.q); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			live, err := db.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.DeepEqual(live, replay) {
				t.Errorf("%s: Status still equals the replay", c.name)
			}
		}
		// The dashboard's figures: checkDash sees them wrong, and while
		// they were built with other doors, the dashboard replays.
		for _, q := range []string{`UPDATE live_door_totals SET entries = entries + 1 WHERE door = 'main'`,
			`UPDATE live_space_totals SET n = n + 1 WHERE space = 'venue'`} {
			db := MustOpen(t, dsn) // built again after the last round's
			checkDash(t, db, "before "+q, map[string]int{})
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
			if dashDiff(db, map[string]int{}) == nil {
				t.Errorf("%s: the dashboard still equals the report", q)
			}
			if _, err := raw.Exec(`UPDATE live SET dash = 'other'`); err != nil {
				t.Fatal(err)
			}
			checkDash(t, db, "with the dashboard's figures stale", map[string]int{})
		}
		// Built with other spaces: Status replays until they are built
		// again.
		if _, err := raw.Exec(`UPDATE live SET spaces = 'other'`); err != nil {
			t.Fatal(err)
		}
		live, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(live.Conflicts, replay.Conflicts) {
			t.Errorf("with the live conflicts stale, Status\n %+v\nwant the replay's\n %+v", live.Conflicts, replay.Conflicts)
		}
	})
}
