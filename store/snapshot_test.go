package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"usher/checkin"
	"usher/internal/benchfix"
	"usher/store"
	"usher/sync/wire"
)

// restartState is what a kiosk decides with after a start: the whole
// in-memory state, and what the screen and the sync read of it.
type restartState struct {
	Contents  checkin.Contents
	Occupancy map[string]int
	Where     map[string]string
	Balances  map[string]int
}

// openState opens the database at path as a start does and reads its
// state: what it holds, not the seq of the last row it read, which may
// be a denial's. resumed is the snapshot seq the start began from, 0 for
// the whole log.
func openState(tb testing.TB, path string, ids []string) (st restartState, resumed int64) {
	tb.Helper()
	db, err := store.Open(path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	defer db.Close()
	st.Contents, _ = db.StateContents()
	st.Occupancy, st.Balances, st.Where = db.Occupancy(), db.Balances(), map[string]string{}
	for _, id := range ids {
		st.Where[id] = db.Location(id)
	}
	return st, db.Resumed()
}

// replayState is the state a start builds from the whole log of the
// database at path: a copy of it without its snapshot, opened.
func replayState(tb testing.TB, path string, ids []string) restartState {
	tb.Helper()
	cp := filepath.Join(tb.TempDir(), "replay.db")
	if err := benchfix.CopyDB(path, cp); err != nil {
		tb.Fatal(err)
	}
	sdb := mustSQL(tb, cp)
	if _, err := sdb.Exec(`DELETE FROM snapshot`); err != nil {
		tb.Fatal(err)
	}
	sdb.Close()
	st, resumed := openState(tb, cp, ids)
	if resumed != 0 {
		tb.Fatalf("the copy without a snapshot resumed from %d", resumed)
	}
	return st
}

// mustSQL opens the database at path with SQL only, as another program
// would.
func mustSQL(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	sdb, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		tb.Fatal(err)
	}
	return sdb
}

// wantSameState fails unless a start from the snapshot left got what a
// replay of the whole log builds.
func wantSameState(tb testing.TB, got, want restartState) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("state after the start:\n%+v\nwant what the whole log builds:\n%+v", got, want)
	}
}

func personIDs(ps []checkin.Person) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

// A start from a snapshot builds exactly the state a replay of the whole
// log does, over random histories of two processes sharing the file:
// admissions, exits and denials at two doors, +1/−1 headcounts, undos,
// and at an enrolled kiosk grants, returns, departure notices and pulls
// that put presence on the center's base; snapshots saved by either
// process at random moments, and restarts in between.
func TestSnapshotMatchesReplay(t *testing.T) {
	for seed := range 6 {
		enrolled := seed%3 != 0
		t.Run(fmt.Sprintf("seed%d-enrolled=%v", seed, enrolled), func(t *testing.T) {
			checkRandomHistory(t, uint64(seed), enrolled)
		})
	}
}

func checkRandomHistory(t *testing.T, seed uint64, enrolled bool) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 2026))
	path := tempDB(t)
	ps := people(12)
	ids := personIDs(ps)
	open := func() *store.DB {
		db, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	a := open()
	MustLoad(t, a, MustEvent(t, expoEvent("expo")), ps)
	if enrolled {
		if err := a.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-1", Token: "t", Door: "main", EventID: "expo"}); err != nil {
			t.Fatal(err)
		}
	}
	b := open()
	defer func() { a.Close(); b.Close() }()
	var grant, cursor, notice int64
	doors := []string{"main", "ballroom"}
	resumed, checks := 0, 0
	for step := range 600 {
		db := a
		if rng.IntN(3) == 0 {
			db = b // another process sharing the file
		}
		door := doors[rng.IntN(2)]
		var err error
		switch k := rng.IntN(100); {
		case k < 55:
			dir := checkin.Entry
			if rng.IntN(3) == 0 {
				dir = checkin.Exit
			}
			_, err = db.Scan(ctx, checkin.Scan{Code: ps[rng.IntN(len(ps))].Code, Door: door, Direction: dir})
		case k < 63:
			_, err = db.Adjust(ctx, door, []int{1, -1}[rng.IntN(2)], "no badge")
		case k < 68:
			_, err = db.Undo(ctx, door, time.Hour)
		case k < 73 && enrolled:
			grant++
			err = db.ApplyGrants(ctx, []wire.Grant{{ID: grant, Counter: []string{"venue", "ballroom"}[rng.IntN(2)], N: 1 + rng.IntN(3)}})
		case k < 76 && enrolled:
			_, err = db.ReturnRights(ctx, map[string]int{"venue": 1})
		case k < 80 && enrolled:
			cursor++
			err = db.ApplyPull(ctx, wire.PullResponse{Cursor: cursor, Presence: randomPresence(rng, ids, lastSeq(t, db))})
		case k < 83 && enrolled:
			var seq int64
			var person, at string
			err = db.SQL().QueryRow(`SELECT seq, person_id, door FROM scans WHERE decision = 'admit' AND person_id IS NOT NULL
				ORDER BY seq DESC LIMIT 1 OFFSET ?`, rng.IntN(5)).Scan(&seq, &person, &at)
			if err == nil {
				counter := map[string]string{"main": "venue", "ballroom": "ballroom"}[at]
				notice++
				cursor++
				err = db.ApplyPull(ctx, wire.PullResponse{Cursor: cursor, Notices: []wire.Notice{{ID: notice, Person: person, Counter: counter, Admission: seq}}})
			} else if err == sql.ErrNoRows {
				err = nil
			}
		case k < 90:
			err = db.SaveSnapshot(ctx)
		case k < 93:
			// A restart of the screen's process.
			if err = a.Close(); err == nil {
				a = open()
			}
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if step%40 == 39 {
			got, from := openState(t, path, ids)
			wantSameState(t, got, replayState(t, path, ids))
			checks++
			if from > 0 {
				resumed++
			}
		}
	}
	t.Logf("%d of %d starts resumed from a snapshot", resumed, checks)
	// The comparisons must have been of starts from a snapshot.
	if resumed < checks/2 {
		t.Fatalf("%d of %d starts resumed from a snapshot", resumed, checks)
	}
}

// randomPresence is what a pull might say of who is inside: counts the
// center holds, a few people placed, its count through a row of this
// kiosk's log.
func randomPresence(rng *rand.Rand, ids []string, last int64) *wire.Presence {
	p := &wire.Presence{Through: rng.Int64N(last + 1), At: 1_800_000_000_000 + rng.Int64N(1e6),
		Counts: map[string]int{"venue": rng.IntN(8), "ballroom": rng.IntN(3)}}
	if rng.IntN(2) == 0 {
		p.Unbadged = map[string]int{"venue": rng.IntN(2)}
	}
	for range rng.IntN(4) {
		p.People = append(p.People, wire.Where{Person: ids[rng.IntN(len(ids))],
			Location: []string{checkin.Outside, "venue", "ballroom"}[rng.IntN(3)]})
	}
	return p
}
