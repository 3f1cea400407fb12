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
		st := checkLive(t, r.db, fmt.Sprintf("seed %d, after a push of %d from %s", seed, n, k.door))
		for _, c := range st.Conflicts {
			kinds[c.Kind]++
		}
	}
	for step := range 90 {
		r.clock = r.clock.Add(time.Duration(1+rng.IntN(20)) * time.Second)
		k := ks[rng.IntN(len(ks))]
		person := people[rng.IntN(len(people))]
		var e wire.Event
		switch x := rng.IntN(20); {
		case x < 9:
			e = r.event(k.id, k.door, "admit", person, 0, checkin.Spends(demo.Event(), k.door)...)
		case x < 16:
			e = r.event(k.id, k.door, "exit", person, 0)
		case x == 16:
			// A claim at another door: refused.
			e = r.event(k.id, doors[rng.IntN(len(doors))], "admit", person, 0)
		case x == 17 && len(k.sent) > 0:
			// The kiosk's database restored from a backup: a seq it
			// pushed already comes again with another event.
			e = r.event(k.id, k.door, "admit", person, 0, checkin.Spends(demo.Event(), k.door)...)
			r.seqs[k.id]--
			e.Seq = k.sent[rng.IntN(len(k.sent))].Seq
		case x == 18:
			if err := r.db.RevokePerson(r.ctx, person); err != nil && checkin.ErrorCode(err) != checkin.ECONFLICT {
				t.Fatal(err)
			}
			continue
		default:
			k.offline = !k.offline
			continue
		}
		// Clocks that disagree by up to half a minute, and now and then
		// one decades off.
		skew := int64(rng.IntN(60_000)) - 30_000
		e.HLC = uint64(r.clock.UnixMilli()+skew)<<16 | uint64(step)
		e.At = r.clock.UnixMilli() + skew
		if rng.IntN(30) == 0 {
			e.HLC, e.At = uint64(r.clock.AddDate(30, 0, 0).UnixMilli())<<16, r.clock.AddDate(30, 0, 0).UnixMilli()
		}
		k.pending = append(k.pending, e)
		if step == 60 {
			// The event's spaces change: the ballroom lets people in
			// again while inside.
			ev := smallEvent(t, 1000, 1000)
			for i := range ev.Spaces {
				if ev.Spaces[i].ID == "ballroom" {
					ev.Spaces[i].AntiPassback = false
				}
			}
			if _, err := r.db.Import(r.ctx, ev, demo.Roster(10), nil); err != nil {
				t.Fatal(err)
			}
			checkLive(t, r.db, fmt.Sprintf("seed %d, after the spaces changed", seed))
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
			centralstore.RefusedClaim, centralstore.ImplausibleTime, centralstore.ForkedLog} {
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
		} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		raw.Close()
		db := MustOpen(t, dsn)
		st := checkLive(t, db, "after the migration")
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
