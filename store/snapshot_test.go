package store_test

import (
	"context"
	"database/sql"
	"errors"
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
	for step := range 400 {
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
			var person, admittedAt string
			err = db.SQL().QueryRow(`SELECT seq, person_id, door FROM scans WHERE decision = 'admit' AND person_id IS NOT NULL
				ORDER BY seq DESC LIMIT 1 OFFSET ?`, rng.IntN(5)).Scan(&seq, &person, &admittedAt)
			if err == nil {
				counter := map[string]string{"main": "venue", "ballroom": "ballroom"}[admittedAt]
				notice++
				cursor++
				err = db.ApplyPull(ctx, wire.PullResponse{Cursor: cursor, Notices: []wire.Notice{{ID: notice, Person: person, Counter: counter, Admission: seq}}})
			} else if errors.Is(err, sql.ErrNoRows) {
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

// snapshotKiosk builds an enrolled kiosk's database with a history (rights
// granted, people admitted, into the ballroom and out, a +1, a pull that
// put presence on the center's base), saves a snapshot, and logs one
// admission after it. It returns the database's path and the
// snapshot's seq; no handle stays open.
func snapshotKiosk(t *testing.T, ps []checkin.Person, admit ...int) (string, int64) {
	t.Helper()
	ctx := context.Background()
	path := tempDB(t)
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps)
	if err := db.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-1", Token: "t", Door: "main", EventID: "expo"}); err != nil {
		t.Fatal(err)
	}
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "venue", N: 6}, wire.Grant{ID: 2, Counter: "ballroom", N: 3})
	for _, i := range admit[:3] {
		MustAdmit(t, db, ps[i].Code, "main")
	}
	MustAdmit(t, db, ps[admit[0]].Code, "ballroom")
	MustScan(t, db, ps[admit[1]].Code, "main", checkin.Exit)
	if _, err := db.Adjust(ctx, "main", 1, "no badge"); err != nil {
		t.Fatal(err)
	}
	MustApply(t, db, wire.PullResponse{Cursor: 1, Presence: &wire.Presence{Through: 3, At: 1_800_000_000_000,
		Counts: map[string]int{"venue": 5, "ballroom": 1}, People: []wire.Where{{Person: ps[7].ID, Location: "venue"}}}})
	MustAdmit(t, db, ps[admit[2]].Code, "ballroom")
	if err := db.SaveSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t, db)
	MustAdmit(t, db, ps[admit[3]].Code, "main") // after the snapshot
	return path, seq
}

// A start believes a snapshot only when it holds: a stale, foreign,
// corrupt or hostile one is passed over for the whole log, which then
// decides as it would have without any snapshot; one that holds is
// resumed from, and the rows after it are replayed.
func TestSnapshotHolds(t *testing.T) {
	ctx := context.Background()
	ps := people(8)
	ids := personIDs(ps)
	base, snapSeq := snapshotKiosk(t, ps, 0, 1, 2, 3)
	// Another kiosk of the same event, enrolled alike, with a log as long
	// but of other people.
	foreign, foreignSeq := snapshotKiosk(t, ps, 4, 5, 6, 3)
	if foreignSeq != snapSeq {
		t.Fatalf("the other kiosk's snapshot is at %d, this one's at %d", foreignSeq, snapSeq)
	}

	// sqlEdit runs statements on the database with SQL only.
	sqlEdit := func(stmts ...string) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			sdb := mustSQL(t, path)
			defer sdb.Close()
			for _, s := range stmts {
				if _, err := sdb.Exec(s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
		}
	}
	// reseal seals the snapshot again, as someone editing the file on
	// purpose would.
	reseal := func(t *testing.T, path string) {
		sdb := mustSQL(t, path)
		defer sdb.Close()
		if err := store.ResealSnapshot(ctx, sdb); err != nil {
			t.Fatal(err)
		}
	}
	// hostile replaces the snapshot's state and seals it again.
	hostile := func(state string) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			sqlEdit(`UPDATE snapshot SET state = '`+state+`'`)(t, path)
			reseal(t, path)
		}
	}
	// withKiosk runs f on a handle on the database.
	withKiosk := func(f func(*testing.T, *store.DB)) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			db, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			f(t, db)
		}
	}
	const resumes, replays = true, false
	for _, c := range []struct {
		name   string
		edit   func(*testing.T, string)
		resume bool
	}{
		{"Holds", func(*testing.T, string) {}, resumes},
		{"ScansAfterByAnotherProcess", withKiosk(func(t *testing.T, db *store.DB) {
			MustAdmit(t, db, ps[4].Code, "main")
			MustScan(t, db, ps[2].Code, "main", checkin.Exit)
			if _, err := db.Adjust(ctx, "main", -1, "left"); err != nil {
				t.Fatal(err)
			}
			MustGrant(t, db, wire.Grant{ID: 9, Counter: "venue", N: 2})
		}), resumes},
		{"PresenceRebased", withKiosk(func(t *testing.T, db *store.DB) {
			MustApply(t, db, wire.PullResponse{Cursor: 2, Presence: &wire.Presence{Through: snapSeq - 1, At: 1_800_000_060_000,
				Counts: map[string]int{"venue": 3}, People: []wire.Where{{Person: ps[0].ID, Location: checkin.Outside}}}})
		}), resumes},
		// The file restored from a backup made at the fixture's end, after
		// the kiosk had gone on and saved a later snapshot: the restored
		// file's own snapshot describes the restored log.
		{"BackupRestored", func(t *testing.T, path string) {
			backup := filepath.Join(t.TempDir(), "backup.db")
			if err := benchfix.CopyDB(path, backup); err != nil {
				t.Fatal(err)
			}
			withKiosk(func(t *testing.T, db *store.DB) {
				MustAdmit(t, db, ps[4].Code, "main")
				MustScan(t, db, ps[0].Code, "main", checkin.Exit)
				if err := db.SaveSnapshot(ctx); err != nil {
					t.Fatal(err)
				}
			})(t, path)
			if err := benchfix.CopyDB(backup, path); err != nil {
				t.Fatal(err)
			}
		}, resumes},
		{"PresenceTableEdited", sqlEdit(`UPDATE presence SET location = 'ballroom'`), resumes},

		{"RowBelowChanged", sqlEdit(`UPDATE scans SET location = 'outside' WHERE seq = (
			SELECT min(seq) FROM scans WHERE decision = 'admit' AND location = 'venue')`), replays},
		{"RowBelowDeleted", sqlEdit(`DELETE FROM scans WHERE seq = (SELECT max(seq) FROM scans WHERE rights LIKE '%grant%')`), replays},
		// A row below the snapshot's taken out and another put in its
		// place: the second grant, of fewer rights.
		{"RowReplaced", sqlEdit(`CREATE TABLE kept AS SELECT * FROM scans WHERE seq = 2`, `DELETE FROM scans WHERE seq = 2`,
			`UPDATE kept SET rights = replace(rights, '"n":3', '"n":1')`, `INSERT INTO scans SELECT * FROM kept`), replays},
		// Without the triggers (a file edited by a program that dropped
		// them), the digest of the snapshot's own row still tells.
		{"RowAtSeqChangedWithoutTriggers", sqlEdit(`DROP TRIGGER snapshot_scans_update`,
			fmt.Sprintf(`UPDATE scans SET note = 'edited' WHERE seq = %d`, snapSeq)), replays},
		{"TailForkedWithoutTriggers", func(t *testing.T, path string) {
			sqlEdit(`DROP TRIGGER snapshot_scans_delete`, fmt.Sprintf(`DELETE FROM scans WHERE seq >= %d`, snapSeq-1))(t, path)
			withKiosk(func(t *testing.T, db *store.DB) {
				MustAdmit(t, db, ps[5].Code, "main")
				MustAdmit(t, db, ps[6].Code, "main")
			})(t, path)
		}, replays},
		{"Foreign", func(t *testing.T, path string) {
			sdb := mustSQL(t, path)
			defer sdb.Close()
			if _, err := sdb.Exec(`ATTACH DATABASE ? AS other`, foreign); err != nil {
				t.Fatal(err)
			}
			if _, err := sdb.Exec(`DELETE FROM snapshot`); err != nil {
				t.Fatal(err)
			}
			if _, err := sdb.Exec(`INSERT INTO snapshot SELECT * FROM other.snapshot`); err != nil {
				t.Fatal(err)
			}
		}, replays},
		{"NewEventVersion", withKiosk(func(t *testing.T, db *store.DB) {
			MustApply(t, db, wire.PullResponse{Cursor: 2, Event: MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) {
				ev.Spaces[1].Capacity = 4
			})})
		}), replays},
		{"Reenrolled", withKiosk(func(t *testing.T, db *store.DB) {
			if err := db.MarkForked(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-2", Token: "t2", Door: "main", EventID: "expo"}); err != nil {
				t.Fatal(err)
			}
		}), replays},
		// A state that would pass, but not the one sealed.
		{"ReenrolledSameKiosk", withKiosk(func(t *testing.T, db *store.DB) {
			if err := db.MarkForked(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-1", Token: "t2", Door: "main", EventID: "expo"}); err != nil {
				t.Fatal(err)
			}
		}), replays},
		// The rights the first rows moved count for nothing now.
		{"EnrolledAfterMoved", sqlEdit(`UPDATE settings SET value = '3' WHERE key = 'sync_enrolled_after'`), replays},
		{"Unsealed", sqlEdit(`UPDATE snapshot SET state = '{"where": {}, "count": {"venue": 1}, "unbadged": {}, "limited": true, "balance": {"venue": 6}}'`), replays},
		{"Truncated", sqlEdit(`UPDATE snapshot SET state = substr(state, 1, length(state) / 2)`), replays},
		{"TruncatedResealed", func(t *testing.T, path string) {
			sqlEdit(`UPDATE snapshot SET state = substr(state, 1, length(state) / 2)`)(t, path)
			reseal(t, path)
		}, replays},
		{"WrongTypes", hostile(`{"where": ["P1"], "count": {"venue": "many"}, "limited": 1}`), replays},
		{"Null", hostile(`null`), replays},
		{"UnknownSpace", hostile(`{"where": {"P1": "attic"}, "count": {"venue": 1}, "unbadged": {}, "limited": true, "balance": {"venue": 6}}`), replays},
		{"NegativeCount", hostile(`{"where": {}, "count": {"venue": -5}, "unbadged": {}, "limited": true, "balance": {"venue": 6}}`), replays},
		{"NegativeBalance", hostile(`{"where": {}, "count": {}, "unbadged": {}, "limited": true, "balance": {"venue": -1}}`), replays},
		{"AdmissionAfterItsSeq", hostile(`{"where": {}, "count": {}, "unbadged": {}, "limited": true, "balance": {"venue": 9},
			"open": {"P1": {"venue": [999999]}}}`), replays},
		{"AnonymousHolderOfNoSpace", hostile(`{"where": {}, "count": {}, "unbadged": {}, "limited": true, "balance": {"venue": 9},
			"open": {"+attic": {"venue": [1]}}}`), replays},
		{"NotLimited", hostile(`{"where": {}, "count": {}, "unbadged": {}, "limited": false}`), replays},
		{"WrongSeqType", sqlEdit(`UPDATE snapshot SET seq = 'x'`), replays},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kiosk.db")
			if err := benchfix.CopyDB(base, path); err != nil {
				t.Fatal(err)
			}
			c.edit(t, path)
			want := replayState(t, path, ids)
			got, from := openState(t, path, ids)
			switch {
			case c.resume && from != snapSeq:
				t.Errorf("the start resumed from %d, want the snapshot's %d", from, snapSeq)
			case !c.resume && from != 0:
				t.Errorf("the start resumed from the snapshot at %d, want the whole log replayed", from)
			}
			wantSameState(t, got, want)
		})
	}
}

// A handle saves a snapshot once the log has grown by its snapshot
// interval since the last one: at the clock tick (Refresh) and at Close,
// never in a scan; the next start resumes from it.
func TestSnapshotSavedEveryRows(t *testing.T) {
	ctx := context.Background()
	path := tempDB(t)
	ps := people(10)
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetSnapshotEvery(5)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps)
	saved := func() int64 {
		var seq int64
		if err := db.SQL().QueryRow(`SELECT coalesce(max(seq), 0) FROM snapshot`).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		return seq
	}
	refresh := func() {
		if err := db.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		MustAdmit(t, db, ps[i].Code, "main")
	}
	refresh()
	if got := saved(); got != 0 {
		t.Fatalf("a snapshot at %d after 4 rows, want none before 5", got)
	}
	MustAdmit(t, db, ps[4].Code, "main")
	if got := saved(); got != 0 {
		t.Fatalf("a scan saved a snapshot (at %d)", got)
	}
	refresh()
	if got, want := saved(), lastSeq(t, db); got != want {
		t.Fatalf("snapshot at %d after the tick, want %d", got, want)
	}
	first := saved()
	for i := range 3 {
		MustScan(t, db, ps[i].Code, "main", checkin.Exit)
	}
	refresh()
	if got := saved(); got != first {
		t.Fatalf("snapshot at %d 3 rows later, want it left at %d", got, first)
	}
	for i := range 2 {
		MustAdmit(t, db, ps[5+i].Code, "main")
	}
	last := lastSeq(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	got, from := openState(t, path, personIDs(ps))
	if from != last {
		t.Fatalf("the start resumed from %d, want the snapshot Close saved at %d", from, last)
	}
	wantSameState(t, got, replayState(t, path, personIDs(ps)))
}

// A snapshot that cannot be saved costs only a longer start: the tick,
// the scans and Close go on without it.
func TestSnapshotCannotBeSaved(t *testing.T) {
	ctx := context.Background()
	path := tempDB(t)
	ps := people(3)
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetSnapshotEvery(1)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps)
	MustAdmit(t, db, ps[0].Code, "main")
	if _, err := db.SQL().Exec(`DROP TABLE snapshot`); err != nil {
		t.Fatal(err)
	}
	MustAdmit(t, db, ps[1].Code, "main")
	if err := db.Refresh(ctx); err != nil {
		t.Fatalf("Refresh with no snapshot table: %v", err)
	}
	MustAdmit(t, db, ps[2].Code, "main")
	if err := db.Close(); err != nil {
		t.Fatalf("Close with no snapshot table: %v", err)
	}
	db = MustOpen(t, path)
	if db.Resumed() != 0 || db.Occupancy()["venue"] != 3 {
		t.Fatalf("start without a snapshot table: resumed %d, occupancy %v; want the whole log, 3 inside", db.Resumed(), db.Occupancy())
	}
}
