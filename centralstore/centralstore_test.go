package centralstore_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/internal/pgtest"
	"usher/sync/wire"
)

// eachBackend runs f on a fresh SQLite file and on a fresh PostgreSQL
// database: one suite for both.
func eachBackend(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("SQLite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "central.db")) })
	t.Run("PostgreSQL", func(t *testing.T) { f(t, pgtest.FreshDB(t)) })
}

func MustOpen(tb testing.TB, dsn string) *centralstore.DB {
	tb.Helper()
	db, err := centralstore.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustEnroll enrolls a kiosk at door, named after it, and returns its id.
func MustEnroll(tb testing.TB, db *centralstore.DB, door string) string {
	tb.Helper()
	tok, err := db.CreateEnrollment(context.Background(), door)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := db.Enroll(context.Background(), tok, door)
	if err != nil {
		tb.Fatal(err)
	}
	return k.KioskID
}

// MustGrant has a kiosk ask for its rights, as it does before it admits
// anyone: the center believes only spends of rights it granted.
func MustGrant(tb testing.TB, db *centralstore.DB, kiosk string) wire.RightsResponse {
	tb.Helper()
	resp, err := db.Rights(context.Background(), kiosk, wire.RightsRequest{})
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

func MustImport(tb testing.TB, db *centralstore.DB, people []checkin.Person, revoked []checkin.Revocation) centralstore.ImportResult {
	tb.Helper()
	res, err := db.Import(context.Background(), demo.Event(), people, revoked)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// pullAll pages through every change after cursor.
func pullAll(tb testing.TB, db *centralstore.DB, cursor int64, limit int) ([]wire.PullResponse, int64) {
	tb.Helper()
	var pages []wire.PullResponse
	for {
		p, err := db.Pull(context.Background(), "", cursor, limit)
		if err != nil {
			tb.Fatal(err)
		}
		if p.Cursor < cursor {
			tb.Fatalf("cursor went back from %d to %d", cursor, p.Cursor)
		}
		pages = append(pages, p)
		cursor = p.Cursor
		if !p.More {
			return pages, cursor
		}
	}
}

func TestImportAndPull(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		db := MustOpen(t, dsn)
		people := demo.Roster(120)
		res := MustImport(t, db, people, nil)
		if res.Added != 120 || !res.EventChanged {
			t.Fatalf("first import: %+v", res)
		}

		// A full pull in pages of 50 gives the event once and every
		// person exactly once.
		pages, cursor := pullAll(t, db, 0, 50)
		if len(pages) != 3 {
			t.Errorf("%d pages for 120 people in pages of 50", len(pages))
		}
		if pages[0].Event == nil || pages[0].Event.ID != "demo" {
			t.Error("the first page lacks the event")
		}
		got := map[string]int{}
		for _, p := range pages {
			for _, person := range p.People {
				got[person.ID]++
			}
		}
		for _, p := range people {
			if got[p.ID] != 1 {
				t.Errorf("%s pulled %d times", p.ID, got[p.ID])
			}
		}

		// Nothing changed: an incremental pull is empty.
		empty, err := db.Pull(context.Background(), "", cursor, 50)
		if err != nil {
			t.Fatal(err)
		}
		if empty.Event != nil || len(empty.People) != 0 || empty.More || empty.Cursor != cursor {
			t.Errorf("pull with nothing new: %+v", empty)
		}

		// Re-import with one changed, one removed, one added: the next
		// pull carries exactly those three.
		next := append([]checkin.Person(nil), people[1:]...)
		next[0].Name = "Renamed Person"
		next = append(next, checkin.Person{ID: "NEW1", Name: "New Person", Category: "attendee", Code: "NEW-CODE-1"})
		res = MustImport(t, db, next, []checkin.Revocation{{PersonID: people[5].ID, Serial: 1}})
		if res.Added != 1 || res.Updated != 1 || res.Removed != 1 || res.Unchanged != 118 || res.EventChanged || res.Revoked != 1 {
			t.Errorf("second import: %+v", res)
		}
		inc, err := db.Pull(context.Background(), "", cursor, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range inc.People {
			ids = append(ids, p.ID)
			if p.ID == people[0].ID && (!p.Removed || p.Code != "") {
				t.Errorf("removed person pulled as %+v", p)
			}
		}
		sort.Strings(ids)
		if want := []string{"NEW1", people[0].ID, people[1].ID}; len(ids) != 3 || ids[0] != want[0] {
			t.Errorf("incremental pull people = %v, want %v", ids, want)
		}
		if len(inc.Revocations) != 1 || inc.Revocations[0].Person != people[5].ID {
			t.Errorf("incremental pull revocations = %+v", inc.Revocations)
		}
	})
}

func TestImportAllOrNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		db := MustOpen(t, dsn)
		people := demo.Roster(10)
		MustImport(t, db, people, nil)
		_, cursor := pullAll(t, db, 0, 100)
		bad := append([]checkin.Person(nil), people...)
		bad[3].Code = bad[4].Code
		bad[0].Name = "Changed"
		if _, err := db.Import(context.Background(), demo.Event(), bad, nil); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Fatalf("duplicate code: err %v, want EINVALID", err)
		}
		p, err := db.Pull(context.Background(), "", cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.People) != 0 || p.Cursor != cursor {
			t.Errorf("a refused import left changes: %+v", p)
		}
		// A code stays its first owner's, as on the kiosks: a roster that
		// hands person 1's code to person 2 is refused, even once person
		// 1 has a new one.
		moved := append([]checkin.Person(nil), people...)
		moved[2].Code, moved[1].Code = moved[1].Code, "FRESH-CODE-1"
		if _, err := db.Import(context.Background(), demo.Event(), moved, nil); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Errorf("a code handed to another person: err %v, want EINVALID", err)
		}
		other := *demo.Event()
		other.ID = "other"
		if err := other.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Import(context.Background(), &other, nil, nil); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Errorf("another event: err %v, want EINVALID", err)
		}
	})
}

func TestEnrollPushStatus(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		people := demo.Roster(5)
		MustImport(t, db, people, nil)
		if _, err := db.CreateEnrollment(ctx, "nowhere"); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Errorf("enrollment at an unknown door: %v", err)
		}
		token, err := db.CreateEnrollment(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		k, err := db.Enroll(ctx, token, "door laptop")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Enroll(ctx, token, "again"); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("second use of an enrollment token: %v", err)
		}
		id, err := db.Authenticate(ctx, k.Token)
		if err != nil || id != k.KioskID {
			t.Fatalf("authenticate: %q, %v", id, err)
		}
		if _, err := db.Authenticate(ctx, "nope"); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("unknown token: %v", err)
		}

		now := time.Now()
		ev := func(seq int64, person, loc string) wire.Event {
			e := wire.Event{Seq: seq, HLC: uint64(now.UnixMilli()+seq) << 16, At: now.UnixMilli(), Door: "main",
				Direction: "entry", Method: "badge", Code: "C", Person: person, Decision: "admit", Reason: "admitted"}
			if loc != "" {
				// A kiosk limited by rights spends one of each counter
				// its door increases.
				e.From, e.Location, e.Rights = checkin.Outside, loc, checkin.Spends(demo.Event(), "main")
			}
			return e
		}
		MustGrant(t, db, k.KioskID)
		batch := []wire.Event{ev(1, people[0].ID, "venue"), ev(2, people[1].ID, "venue"), ev(3, "", "")}
		n, err := db.Push(ctx, k.KioskID, batch)
		if err != nil || n != 3 {
			t.Fatalf("push: %d, %v", n, err)
		}
		// The same push again, and reordered: nothing new.
		rev := []wire.Event{batch[2], batch[0], batch[1]}
		if n, err := db.Push(ctx, k.KioskID, rev); err != nil || n != 0 {
			t.Errorf("repeated push stored %d, %v", n, err)
		}
		ahead := ev(4, people[2].ID, "venue")
		ahead.HLC = uint64(now.Add(time.Hour).UnixMilli()) << 16
		if n, err := db.Push(ctx, k.KioskID, []wire.Event{ahead}); err != nil || n != 1 {
			t.Errorf("push of an event from the future: %d, %v (it is flagged, not refused)", n, err)
		}
		st, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Occupancy["venue"] != 3 {
			t.Errorf("venue occupancy %d, want 3", st.Occupancy["venue"])
		}
		if len(st.Kiosks) != 1 || st.Kiosks[0].Events != 4 || st.Kiosks[0].Flagged != 1 || st.Kiosks[0].Door != "main" {
			t.Errorf("kiosks %+v", st.Kiosks)
		}

		if err := db.RevokeKiosk(ctx, k.KioskID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Authenticate(ctx, k.Token); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
			t.Errorf("revoked kiosk authenticated: %v", err)
		}
	})
}

// The merge lists what no single kiosk could see: one badge admitted
// into an anti-passback room at two doors, an exit nobody was admitted
// for, an admission after the person was removed from the roster.
func TestConflicts(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		people := demo.Roster(6)
		MustImport(t, db, people, nil)
		clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		north, south, main := MustEnroll(t, db, "ballroom-north"), MustEnroll(t, db, "ballroom-south"), MustEnroll(t, db, "main")
		for _, k := range []string{north, south, main} {
			MustGrant(t, db, k)
		}
		n := int64(0)
		ev := func(door, direction, person, decision, reason, from, to string) wire.Event {
			n++
			e := wire.Event{Seq: n, HLC: uint64(clock.UnixMilli()+n) << 16, At: clock.UnixMilli() + n, Door: door,
				Direction: direction, Method: "badge", Code: "C", Person: person, Decision: decision, Reason: reason,
				From: from, Location: to, Stamp: &checkin.Stamp{T: clock.UnixMilli() + n, Err: 0}}
			if decision == string(checkin.Admit) {
				e.Rights = checkin.Spends(demo.Event(), door)
			}
			return e
		}
		ada, bob, cy := people[0].ID, people[1].ID, people[2].ID
		push := func(kiosk string, es ...wire.Event) {
			if _, err := db.Push(ctx, kiosk, es); err != nil {
				t.Fatal(err)
			}
		}
		push(north, ev("ballroom-north", "entry", ada, "admit", "admitted", "outside", "ballroom"))
		push(south, ev("ballroom-south", "entry", ada, "admit", "admitted", "venue", "ballroom"))
		push(main, ev("main", "exit", bob, "exit", string(checkin.NotInside), "", ""))

		// Cy is removed from the roster, then admitted by a kiosk that
		// had not pulled the change.
		clock = clock.Add(time.Minute)
		MustImport(t, db, append(append([]checkin.Person(nil), people[:2]...), people[3:]...), nil)
		clock = clock.Add(time.Minute)
		push(main, ev("main", "entry", cy, "admit", "admitted", "outside", "venue"))

		st, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{ada: centralstore.DoubleAdmission, bob: centralstore.ExitWithoutAdmission, cy: centralstore.RevokedAdmitted}
		if len(st.Conflicts) != len(want) {
			t.Errorf("conflicts %+v, want %d", st.Conflicts, len(want))
		}
		for _, c := range st.Conflicts {
			if want[c.Person] != c.Kind {
				t.Errorf("conflict %+v, want kind %q for %s", c, want[c.Person], c.Person)
			}
		}
		if st.Occupancy["ballroom"] != 1 || st.Occupancy["venue"] != 2 {
			t.Errorf("occupancy %v, want ballroom 1 (Ada once) and venue 2", st.Occupancy)
		}
	})
}
