package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
)

// expoEvent returns, not yet validated, the small event the store tests
// use: a venue with an anti-passback ballroom inside it.
func expoEvent(id string) *checkin.Event {
	return &checkin.Event{
		ID:   id,
		Name: "Expo",
		Spaces: []checkin.Space{
			{ID: "venue", Name: "Hall", Capacity: 10},
			{ID: "ballroom", Name: "Ballroom", Parent: "venue", Capacity: 5, AntiPassback: true},
		},
		Doors: []checkin.Door{
			{ID: "main", From: checkin.Outside, To: "venue"},
			{ID: "ballroom", From: "venue", To: "ballroom"},
		},
		Categories: []checkin.Category{
			{ID: "attendee", MayEnter: []string{"venue", "ballroom"}},
			{ID: "staff", MayEnter: []string{checkin.Everywhere}},
		},
	}
}

// MustEvent validates ev, after applying edits to it.
func MustEvent(tb testing.TB, ev *checkin.Event, edits ...func(*checkin.Event)) *checkin.Event {
	tb.Helper()
	for _, edit := range edits {
		edit(ev)
	}
	if err := ev.Validate(); err != nil {
		tb.Fatalf("event %s: %v", ev.ID, err)
	}
	return ev
}

// people returns n attendees P1…Pn with codes C-0001….
func people(n int) []checkin.Person {
	ps := make([]checkin.Person, n)
	for i := range ps {
		ps[i] = checkin.Person{
			ID: fmt.Sprintf("P%d", i+1), Name: fmt.Sprintf("Person %d", i+1), Category: "attendee",
			Code: fmt.Sprintf("C-%04d", i+1), Email: fmt.Sprintf("p%d@example.org", i+1),
		}
	}
	return ps
}

// MustOpen opens the database at path and closes it when the test ends.
func MustOpen(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustLoad loads ev and roster into db.
func MustLoad(tb testing.TB, db *store.DB, ev *checkin.Event, roster []checkin.Person) store.LoadResult {
	tb.Helper()
	res, err := db.Load(context.Background(), ev, roster)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return res
}

// MustScan scans code at door and fails the test if the scan could not
// be recorded.
func MustScan(tb testing.TB, db *store.DB, code, door string, dir checkin.Direction) checkin.Decision {
	tb.Helper()
	d, err := db.Scan(context.Background(), checkin.Scan{Code: code, Door: door, Direction: dir})
	if err != nil {
		tb.Fatalf("Scan %q at %s: %v", code, door, err)
	}
	return d
}

// MustAdmit scans code at door and fails the test unless it is admitted.
func MustAdmit(tb testing.TB, db *store.DB, code, door string) {
	tb.Helper()
	if d := MustScan(tb, db, code, door, checkin.Entry); d.Reason != checkin.Admitted {
		tb.Fatalf("scan %q at %s: %s (%s), want admitted", code, door, d.Reason, d.Message)
	}
}

// MustCount runs a count query.
func MustCount(tb testing.TB, db *store.DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// MustDump returns every row of the kiosk's tables, rendered as text, so
// two dumps are equal exactly when the stored event, roster, codes and
// log are, and the extra tables named.
func MustDump(tb testing.TB, db *store.DB, extra ...string) map[string][]string {
	tb.Helper()
	dump := map[string][]string{}
	for _, table := range append([]string{"event", "people", "codes", "scans"}, extra...) {
		rows, err := db.SQL().Query(`SELECT * FROM ` + table + ` ORDER BY 1`)
		if err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatalf("dump %s: %v", table, err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			dump[table] = append(dump[table], b.String())
		}
		if err := rows.Err(); err != nil {
			tb.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
	}
	return dump
}

// MustCounts returns the row counts the roster and the log are judged by.
func MustCounts(tb testing.TB, db *store.DB) map[string]int {
	tb.Helper()
	counts := map[string]int{}
	for _, q := range []string{
		`SELECT count(*) FROM event`,
		`SELECT count(*) FROM people`,
		`SELECT count(*) FROM people WHERE removed = 0`,
		`SELECT count(*) FROM codes`,
		`SELECT count(*) FROM codes WHERE revoked = 0`,
		`SELECT count(*) FROM scans`,
	} {
		counts[q] = MustCount(tb, db, q)
	}
	return counts
}

func tempDB(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "kiosk.db")
}

// TestScan follows one person and some strangers through the expo and
// checks each decision, presence and occupancy, and that every scan,
// denials included, is in the log in order.
func TestScan(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	ps := people(3)
	if res := MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps); res != (store.LoadResult{Added: len(ps), EventCreated: true}) {
		t.Errorf("first load: %v, want %d added and the event created", res, len(ps))
	}
	p1, p2 := ps[0], ps[1]
	steps := []struct {
		name      string
		code      string
		door      string
		dir       checkin.Direction
		kind      checkin.Kind
		reason    checkin.Reason
		person    string // "" when the code names nobody
		where     string // p1's location after the scan
		occupancy map[string]int
	}{
		{"Admitted", p1.Code, "main", checkin.Entry, checkin.Admit, checkin.Admitted, p1.ID, "venue",
			map[string]int{"venue": 1, "ballroom": 0}},
		{"AdmittedToRoom", p1.Code, "ballroom", checkin.Entry, checkin.Admit, checkin.Admitted, p1.ID, "ballroom",
			map[string]int{"venue": 1, "ballroom": 1}},
		{"AlreadyInside", p1.Code, "ballroom", checkin.Entry, checkin.Deny, checkin.AlreadyInside, p1.ID, "ballroom",
			map[string]int{"venue": 1, "ballroom": 1}},
		{"UnknownBadge", "C-9999", "main", checkin.Entry, checkin.Deny, checkin.UnknownBadge, "", "ballroom",
			map[string]int{"venue": 1, "ballroom": 1}},
		{"InvalidCode", "C-\x00\x01", "main", checkin.Entry, checkin.Deny, checkin.InvalidCode, "", "ballroom",
			map[string]int{"venue": 1, "ballroom": 1}},
		{"OtherPersonAdmitted", p2.Code, "main", checkin.Entry, checkin.Admit, checkin.Admitted, p2.ID, "ballroom",
			map[string]int{"venue": 2, "ballroom": 1}},
		{"ExitFromRoom", p1.Code, "ballroom", checkin.Exit, checkin.Leave, checkin.ExitRecorded, p1.ID, "venue",
			map[string]int{"venue": 2, "ballroom": 0}},
		{"ExitFromVenue", p1.Code, "main", checkin.Exit, checkin.Leave, checkin.ExitRecorded, p1.ID, checkin.Outside,
			map[string]int{"venue": 1, "ballroom": 0}},
		{"ExitNotInside", p1.Code, "main", checkin.Exit, checkin.Leave, checkin.NotInside, p1.ID, checkin.Outside,
			map[string]int{"venue": 1, "ballroom": 0}},
	}
	for _, s := range steps {
		d := MustScan(t, db, s.code, s.door, s.dir)
		if d.Kind != s.kind || d.Reason != s.reason {
			t.Errorf("%s: %s/%s (%s), want %s/%s", s.name, d.Kind, d.Reason, d.Message, s.kind, s.reason)
		}
		switch {
		case s.person == "" && d.Person != nil:
			t.Errorf("%s: decision names %s, want nobody", s.name, d.Person.ID)
		case s.person != "" && (d.Person == nil || d.Person.ID != s.person):
			t.Errorf("%s: decision names %+v, want %s", s.name, d.Person, s.person)
		}
		if got := db.Location(p1.ID); got != s.where {
			t.Errorf("%s: %s is in %q, want %q", s.name, p1.ID, got, s.where)
		}
		if got := db.Occupancy(); !maps.Equal(got, s.occupancy) {
			t.Errorf("%s: occupancy %v, want %v", s.name, got, s.occupancy)
		}
	}

	rows, err := db.SQL().Query(`SELECT code, door, direction, decision, reason, coalesce(person_id, '') FROM scans ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var code, door, dir, decision, reason, person string
		if err := rows.Scan(&code, &door, &dir, &decision, &reason, &person); err != nil {
			t.Fatal(err)
		}
		if i >= len(steps) {
			continue
		}
		s := steps[i]
		got := []string{code, door, dir, decision, reason, person}
		want := []string{s.code, s.door, string(s.dir), string(s.kind), string(s.reason), s.person}
		if !slices.Equal(got, want) {
			t.Errorf("log row %d (%s) = %q, want %q", i+1, s.name, got, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(steps) {
		t.Errorf("the log has %d rows, want one per scan: %d", i, len(steps))
	}
}

// TestScanStampsClock checks that a scan is logged at db.Now.
func TestScanStampsClock(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	at := time.Date(2026, 5, 14, 9, 30, 15, 123e6, time.UTC)
	db.Now = func() time.Time { return at }
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(1))
	MustAdmit(t, db, "C-0001", "main")
	if got := MustCount(t, db, `SELECT at FROM scans`); int64(got) != at.UnixMilli() {
		t.Errorf("scan logged at %d, want %d", got, at.UnixMilli())
	}
}

func TestScanWithoutEvent(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	if db.Event() != nil || db.Occupancy() != nil {
		t.Fatalf("a new database has event %v and occupancy %v, want none", db.Event(), db.Occupancy())
	}
	d, err := db.Scan(context.Background(), checkin.Scan{Code: "C-0001", Door: "main"})
	if checkin.ErrorCode(err) != checkin.ENOTFOUND {
		t.Errorf("error %v, want code %s", err, checkin.ENOTFOUND)
	}
	if d.Kind == checkin.Admit {
		t.Errorf("decision %s/%s without an event; must not admit", d.Kind, d.Reason)
	}
}

func TestScanUnknownDoor(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(1))
	d, err := db.Scan(context.Background(), checkin.Scan{Code: "C-0001", Door: "back"})
	if checkin.ErrorCode(err) != checkin.EINVALID {
		t.Errorf("error %v, want code %s", err, checkin.EINVALID)
	}
	if d.Kind == checkin.Admit {
		t.Errorf("decision %s/%s at an unknown door; must not admit", d.Kind, d.Reason)
	}
}

// TestLoadAllOrNothing checks that a load that fails leaves the event,
// the roster, the log and the in-memory presence exactly as they were,
// even when the failing load also carries valid changes.
func TestLoadAllOrNothing(t *testing.T) {
	base := people(4)
	// changed is a valid new roster: Person 3 renamed and P5 added,
	// ahead of whatever makes each case fail.
	changed := func(extra ...checkin.Person) []checkin.Person {
		ps := people(5)
		ps[2].Name = "Person Three Renamed"
		return append(ps, extra...)
	}
	cases := []struct {
		name   string
		before func(tb testing.TB, db *store.DB) // a successful load before the failing one
		ev     func(tb testing.TB) *checkin.Event
		roster []checkin.Person
	}{
		{
			name:   "CodeOwnedByAnotherPerson",
			ev:     func(tb testing.TB) *checkin.Event { return MustEvent(tb, expoEvent("expo")) },
			roster: changed(checkin.Person{ID: "P6", Name: "Person 6", Category: "attendee", Code: base[1].Code}),
		},
		{
			name: "CodeOwnedByAPastPerson",
			before: func(tb testing.TB, db *store.DB) {
				tb.Helper()
				MustLoad(tb, db, MustEvent(tb, expoEvent("expo")), base[:3]) // P4 removed; C-0004 stays theirs
			},
			ev: func(tb testing.TB) *checkin.Event { return MustEvent(tb, expoEvent("expo")) },
			// P4 stays removed, P3 is renamed, and P6 wears P4's old code.
			roster: func() []checkin.Person {
				ps := people(3)
				ps[2].Name = "Person Three Renamed"
				return append(ps, checkin.Person{ID: "P6", Name: "Person 6", Category: "attendee", Code: base[3].Code})
			}(),
		},
		{
			name: "CodeReissuedToAnotherPerson",
			ev:   func(tb testing.TB) *checkin.Event { return MustEvent(tb, expoEvent("expo")) },
			roster: func() []checkin.Person {
				ps := changed()
				ps[0].Code = "C-NEW1"     // P1 gets a new badge…
				ps[4].Code = base[0].Code // …and P5 the old one
				return ps
			}(),
		},
		{
			name:   "DuplicateCodeInRoster",
			ev:     func(tb testing.TB) *checkin.Event { return MustEvent(tb, expoEvent("expo")) },
			roster: changed(checkin.Person{ID: "P6", Name: "Person 6", Category: "attendee", Code: "C-0005"}),
		},
		{
			// One person twice with two codes would leave both codes
			// valid: a badge that can be handed on.
			name:   "DuplicateIDInRoster",
			ev:     func(tb testing.TB) *checkin.Event { return MustEvent(tb, expoEvent("expo")) },
			roster: changed(checkin.Person{ID: "P5", Name: "Person 5", Category: "attendee", Code: "C-0005-B"}),
		},
		{
			name:   "EventWithAnotherID",
			ev:     func(tb testing.TB) *checkin.Event { return MustEvent(tb, expoEvent("other")) },
			roster: changed(),
		},
		{
			name: "DroppedSpaceSomeoneIsIn",
			ev: func(tb testing.TB) *checkin.Event {
				return MustEvent(tb, expoEvent("expo"), func(ev *checkin.Event) {
					ev.Spaces = ev.Spaces[:1]
					ev.Doors = ev.Doors[:1]
					for i := range ev.Categories {
						if ev.Categories[i].ID == "attendee" {
							ev.Categories[i].MayEnter = []string{"venue"}
						}
					}
				})
			},
			roster: changed(),
		},
		{
			name: "CategoryOnRosterNoLongerDefined",
			ev: func(tb testing.TB) *checkin.Event {
				return MustEvent(tb, expoEvent("expo"), func(ev *checkin.Event) {
					ev.Categories = ev.Categories[1:] // attendee gone
					ev.Spaces[0].Capacity = 99        // a change that must not land either
				})
			},
			roster: nil, // event only
		},
		{
			name: "CategoryOnRosterMayEnterNothing",
			ev: func(tb testing.TB) *checkin.Event {
				return MustEvent(tb, expoEvent("expo"), func(ev *checkin.Event) {
					ev.Categories[0].MayEnter = nil
				})
			},
			roster: changed(),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := MustOpen(t, tempDB(t))
			MustLoad(t, db, MustEvent(t, expoEvent("expo")), base)
			MustAdmit(t, db, base[0].Code, "main")
			MustAdmit(t, db, base[0].Code, "ballroom")
			MustAdmit(t, db, base[1].Code, "main")
			if c.before != nil {
				c.before(t, db)
			}
			dump, counts, ev, occ := MustDump(t, db), MustCounts(t, db), db.Event(), db.Occupancy()
			where := map[string]string{}
			for _, p := range changed() {
				where[p.ID] = db.Location(p.ID)
			}

			_, err := db.Load(context.Background(), c.ev(t), c.roster)
			if code := checkin.ErrorCode(err); code != checkin.EINVALID {
				t.Fatalf("Load: error %v (code %q), want code %s", err, code, checkin.EINVALID)
			}
			if got := MustDump(t, db); !reflect.DeepEqual(got, dump) {
				for _, table := range []string{"event", "people", "codes", "scans"} {
					if !reflect.DeepEqual(got[table], dump[table]) {
						t.Errorf("table %s changed by a failed load:\n got %q\nwant %q", table, got[table], dump[table])
					}
				}
			}
			if got := MustCounts(t, db); !maps.Equal(got, counts) {
				t.Errorf("counts after a failed load %v, were %v", got, counts)
			}
			if db.Event() != ev {
				t.Errorf("the loaded event changed after a failed load")
			}
			if got := db.Occupancy(); !maps.Equal(got, occ) {
				t.Errorf("occupancy %v after a failed load, was %v", got, occ)
			}
			for id, loc := range where {
				if got := db.Location(id); got != loc {
					t.Errorf("%s is in %q after a failed load, was in %q", id, got, loc)
				}
			}
			// The database still works: the person in the ballroom is
			// still there, and a valid load still succeeds.
			if d := MustScan(t, db, base[0].Code, "ballroom", checkin.Entry); d.Reason != checkin.AlreadyInside {
				t.Errorf("rescan of %s in the ballroom: %s, want %s", base[0].ID, d.Reason, checkin.AlreadyInside)
			}
			MustLoad(t, db, MustEvent(t, expoEvent("expo")), changed())
		})
	}
}

// TestReload checks the counts a re-import reports and what it does to
// codes: a changed code revokes the old one, a removed person's code is
// revoked, a person back on the roster is let in again.
func TestReload(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	ev := MustEvent(t, expoEvent("expo"))
	v1 := people(5)
	v1[4].Tags = []string{"vip"}
	if res := MustLoad(t, db, ev, v1); res != (store.LoadResult{Added: len(v1), EventCreated: true}) {
		t.Fatalf("first load: %v, want %d added and the event created", res, len(v1))
	}

	v2 := slices.Clone(v1)
	v2[1].Name = "Person Two Renamed"          // updated
	v2[2].Code = "C-0003-REPRINT"              // updated: a reprint
	v2 = append(v2[:3], v2[4:]...)             // P4 removed
	v2[3].Tags = []string{"vip", "workshop-a"} // P5 updated
	v2 = append(v2, checkin.Person{ID: "P6", Name: "Person 6", Category: "staff", Code: "C-0006"})
	want := store.LoadResult{Added: 1, Updated: 3, Unchanged: 1, Removed: 1}

	t.Run("Counts", func(t *testing.T) {
		if res := MustLoad(t, db, ev, v2); res != want {
			t.Errorf("re-import: %v, want %v", res, want)
		}
		if n := MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 0`); n != len(v2) {
			t.Errorf("%d people on the roster, want %d", n, len(v2))
		}
		if n := MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 1`); n != 1 {
			t.Errorf("%d people marked removed, want 1", n)
		}
	})
	t.Run("SameRosterUnchanged", func(t *testing.T) {
		if res := MustLoad(t, db, ev, v2); res != (store.LoadResult{Unchanged: len(v2)}) {
			t.Errorf("same roster again: %v, want %d unchanged", res, len(v2))
		}
	})
	t.Run("ChangedCodeRevokesOld", func(t *testing.T) {
		if d := MustScan(t, db, v1[2].Code, "main", checkin.Entry); d.Kind != checkin.Deny || d.Reason != checkin.Revoked {
			t.Errorf("old code %s: %s/%s, want deny/%s", v1[2].Code, d.Kind, d.Reason, checkin.Revoked)
		} else if d.Person == nil || d.Person.ID != v1[2].ID {
			t.Errorf("old code %s names %+v, want %s", v1[2].Code, d.Person, v1[2].ID)
		}
		MustAdmit(t, db, "C-0003-REPRINT", "main")
	})
	t.Run("RemovedPersonRevoked", func(t *testing.T) {
		if d := MustScan(t, db, v1[3].Code, "main", checkin.Entry); d.Kind != checkin.Deny || d.Reason != checkin.Revoked {
			t.Errorf("removed person's code %s: %s/%s, want deny/%s", v1[3].Code, d.Kind, d.Reason, checkin.Revoked)
		}
	})
	t.Run("RemovedPersonBack", func(t *testing.T) {
		v3 := append(slices.Clone(v2), v1[3])
		if res := MustLoad(t, db, ev, v3); res != (store.LoadResult{Updated: 1, Unchanged: len(v2)}) {
			t.Errorf("person back on the roster: %v, want 1 updated, %d unchanged", res, len(v2))
		}
		MustAdmit(t, db, v1[3].Code, "main")
	})
	t.Run("EmptyRosterRemovesEveryone", func(t *testing.T) {
		on := MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 0`)
		if res := MustLoad(t, db, ev, []checkin.Person{}); res != (store.LoadResult{Removed: on}) {
			t.Errorf("empty roster: %v, want %d removed", res, on)
		}
		if d := MustScan(t, db, "C-0001", "main", checkin.Entry); d.Reason != checkin.Revoked {
			t.Errorf("code of a removed person: %s, want %s", d.Reason, checkin.Revoked)
		}
	})
	t.Run("EventOnlyKeepsRoster", func(t *testing.T) {
		MustLoad(t, db, ev, v2)
		on := MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 0`)
		if res := MustLoad(t, db, ev, nil); res != (store.LoadResult{}) {
			t.Errorf("event-only load: %v, want no roster change", res)
		}
		if n := MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 0`); n != on {
			t.Errorf("%d people on the roster after an event-only load, was %d", n, on)
		}
	})
}

// TestDenialsLogged checks that every denial reason the expo can produce
// is in the log with its person, or none.
func TestDenialsLogged(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	ev := MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) {
		ev.Spaces[1].Capacity = 1
		ev.Categories = append(ev.Categories, checkin.Category{ID: "exhibitor", MayEnter: []string{"venue"}})
	})
	ps := people(3)
	ps[2].Category = "exhibitor"
	MustLoad(t, db, ev, ps)
	MustAdmit(t, db, ps[0].Code, "ballroom")
	denials := []struct {
		code   string
		door   string
		reason checkin.Reason
		person string
	}{
		{"not a code\x7f", "main", checkin.InvalidCode, ""},
		{"C-UNKNOWN", "main", checkin.UnknownBadge, ""},
		{ps[2].Code, "ballroom", checkin.NotEntitled, ps[2].ID},
		{ps[0].Code, "ballroom", checkin.AlreadyInside, ps[0].ID},
		{ps[1].Code, "ballroom", checkin.RoomFull, ps[1].ID},
	}
	for _, d := range denials {
		got := MustScan(t, db, d.code, d.door, checkin.Entry)
		if got.Kind != checkin.Deny || got.Reason != d.reason {
			t.Errorf("%q at %s: %s/%s, want deny/%s", d.code, d.door, got.Kind, got.Reason, d.reason)
		}
		n := MustCount(t, db, `SELECT count(*) FROM scans WHERE decision = 'deny' AND reason = ? AND code = ?
			AND coalesce(person_id, '') = ? AND location IS NULL`, string(d.reason), d.code, d.person)
		if n != 1 {
			t.Errorf("%s: %d matching deny rows in the log, want 1", d.reason, n)
		}
	}
	if n := MustCount(t, db, `SELECT count(*) FROM scans WHERE decision = 'deny'`); n != len(denials) {
		t.Errorf("%d denials logged, want %d", n, len(denials))
	}
}

// TestReopen checks that presence and occupancy are rebuilt from the log
// when the database is opened again.
func TestReopen(t *testing.T) {
	path := tempDB(t)
	db := MustOpen(t, path)
	ps := people(4)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps)
	MustAdmit(t, db, ps[0].Code, "main")
	MustAdmit(t, db, ps[0].Code, "ballroom")
	MustAdmit(t, db, ps[1].Code, "main")
	MustAdmit(t, db, ps[2].Code, "main")
	if d := MustScan(t, db, ps[2].Code, "main", checkin.Exit); d.Reason != checkin.ExitRecorded {
		t.Fatalf("exit: %s", d.Reason)
	}
	occ := db.Occupancy()
	where := map[string]string{}
	for _, p := range ps {
		where[p.ID] = db.Location(p.ID)
	}
	if want := map[string]int{"venue": 2, "ballroom": 1}; !maps.Equal(occ, want) {
		t.Fatalf("occupancy before reopening %v, want %v", occ, want)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = MustOpen(t, path)
	if got := db.Occupancy(); !maps.Equal(got, occ) {
		t.Errorf("occupancy after reopening %v, want %v", got, occ)
	}
	for id, loc := range where {
		if got := db.Location(id); got != loc {
			t.Errorf("%s is in %q after reopening, was in %q", id, got, loc)
		}
	}
	if ev := db.Event(); ev == nil || ev.ID != "expo" || ev.Door("ballroom") == nil {
		t.Errorf("event after reopening: %+v", ev)
	}
	if d := MustScan(t, db, ps[0].Code, "ballroom", checkin.Entry); d.Reason != checkin.AlreadyInside {
		t.Errorf("rescan in the ballroom after reopening: %s, want %s", d.Reason, checkin.AlreadyInside)
	}
}

// TestTwoHandles checks that two handles on one file, as the kiosk screen
// and `usher scan` would hold, decide on the same presence and counts.
func TestTwoHandles(t *testing.T) {
	t.Run("AntiPassback", func(t *testing.T) {
		path := tempDB(t)
		a := MustOpen(t, path)
		ps := people(2)
		MustLoad(t, a, MustEvent(t, expoEvent("expo")), ps)
		b := MustOpen(t, path)
		MustAdmit(t, a, ps[0].Code, "main")
		MustAdmit(t, b, ps[0].Code, "ballroom") // b must know p1 is in the venue already
		if d := MustScan(t, a, ps[0].Code, "ballroom", checkin.Entry); d.Reason != checkin.AlreadyInside {
			t.Errorf("handle a, second ballroom entry: %s, want %s", d.Reason, checkin.AlreadyInside)
		}
		if d := MustScan(t, b, ps[0].Code, "ballroom", checkin.Entry); d.Reason != checkin.AlreadyInside {
			t.Errorf("handle b, second ballroom entry: %s, want %s", d.Reason, checkin.AlreadyInside)
		}
		if oa, ob := a.Occupancy(), b.Occupancy(); !maps.Equal(oa, ob) || oa["venue"] != 1 || oa["ballroom"] != 1 {
			t.Errorf("occupancy: a %v, b %v; want both venue 1, ballroom 1", oa, ob)
		}
	})
	t.Run("CapacityAcrossHandles", func(t *testing.T) {
		path := tempDB(t)
		a := MustOpen(t, path)
		ev := MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) { ev.Spaces[0].Capacity = 3 })
		ps := people(6)
		MustLoad(t, a, ev, ps)
		b := MustOpen(t, path)
		admitted := 0
		for i, p := range ps {
			h := a
			if i%2 == 1 {
				h = b
			}
			d := MustScan(t, h, p.Code, "main", checkin.Entry)
			switch {
			case d.Reason == checkin.Admitted:
				admitted++
			case d.Reason != checkin.VenueFull:
				t.Errorf("%s: %s, want admitted or %s", p.ID, d.Reason, checkin.VenueFull)
			}
		}
		if admitted != ev.Spaces[0].Capacity {
			t.Errorf("admitted %d through two handles, capacity %d", admitted, ev.Spaces[0].Capacity)
		}
	})
	// A kiosk screen left running while `usher load` runs beside it must
	// decide against the event in the file, not the one it opened with.
	t.Run("EventLoadedByOtherHandle", func(t *testing.T) {
		path := tempDB(t)
		a, b := MustOpen(t, path), MustOpen(t, path)
		ps := people(1)
		MustLoad(t, a, MustEvent(t, expoEvent("expo")), ps)
		d, err := b.Scan(context.Background(), checkin.Scan{Code: ps[0].Code, Door: "main"})
		if err != nil || d.Reason != checkin.Admitted {
			t.Errorf("handle opened before the load: %s/%s, error %v; want admitted", d.Kind, d.Reason, err)
		}
	})
	t.Run("CapacityLoweredByOtherHandle", func(t *testing.T) {
		path := tempDB(t)
		a := MustOpen(t, path)
		ps := people(3)
		MustLoad(t, a, MustEvent(t, expoEvent("expo")), ps)
		b := MustOpen(t, path)
		MustAdmit(t, b, ps[0].Code, "main")
		lower := MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) { ev.Spaces[0].Capacity = 1 })
		MustLoad(t, a, lower, nil)
		if d := MustScan(t, b, ps[1].Code, "main", checkin.Entry); d.Reason != checkin.VenueFull {
			t.Errorf("handle b after a lowered the venue to %d: %s, want %s", lower.Spaces[0].Capacity, d.Reason, checkin.VenueFull)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		path := tempDB(t)
		a := MustOpen(t, path)
		ev := MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) { ev.Spaces[0].Capacity = 7 })
		ps := people(20)
		MustLoad(t, a, ev, ps)
		b := MustOpen(t, path)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for h, db := range []*store.DB{a, b} {
			wg.Go(func() {
				for i := h; i < len(ps); i += 2 {
					if _, err := db.Scan(context.Background(), checkin.Scan{Code: ps[i].Code, Door: "main"}); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("scans failed: %v", err)
		}
		admits := MustCount(t, a, `SELECT count(*) FROM scans WHERE reason = 'admitted'`)
		full := MustCount(t, a, `SELECT count(*) FROM scans WHERE reason = 'venue_full'`)
		if admits != ev.Spaces[0].Capacity || admits+full != len(ps) {
			t.Errorf("%d admitted and %d venue_full of %d scans, capacity %d", admits, full, len(ps), ev.Spaces[0].Capacity)
		}
	})
}

// TestLogFailed holds the database's write lock from another connection,
// as a second process would, so the scan cannot be recorded: the door
// must get a deny with log_failed and an error, never an admit.
func TestLogFailed(t *testing.T) {
	path := tempDB(t)
	db := MustOpen(t, path)
	ps := people(1)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps)

	other, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN EXCLUSIVE`); err != nil {
		t.Fatalf("BEGIN EXCLUSIVE: %v", err)
	}

	// The store waits out its busy timeout; a door cannot wait that long,
	// and the deadline bounds the test.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	d, err := db.Scan(ctx, checkin.Scan{Code: ps[0].Code, Door: "main"})
	if err == nil {
		t.Errorf("Scan with the database locked returned no error")
	}
	t.Logf("scan with the database locked: %v", err)
	if d.Kind != checkin.Deny || d.Reason != checkin.LogFailed {
		t.Errorf("Scan with the database locked: %s/%s, want deny/%s", d.Kind, d.Reason, checkin.LogFailed)
	}
	if d.Message == "" {
		t.Errorf("log_failed decision has no message for the screen")
	}
	if got := db.Location(ps[0].ID); got != checkin.Outside {
		t.Errorf("%s is in %q after an unrecorded scan, want outside", ps[0].ID, got)
	}
	if got := db.Occupancy()["venue"]; got != 0 {
		t.Errorf("venue occupancy %d after an unrecorded scan, want 0", got)
	}

	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatalf("ROLLBACK: %v", err)
	}
	if n := MustCount(t, db, `SELECT count(*) FROM scans`); n != 0 {
		t.Errorf("%d scans logged, want none: the failed one could not be written", n)
	}
	MustAdmit(t, db, ps[0].Code, "main")
}
