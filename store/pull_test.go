package store_test

import (
	"context"
	"maps"
	"reflect"
	"testing"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// wirePeople returns ps as a pull sends them.
func wirePeople(ps ...checkin.Person) []wire.Person {
	out := make([]wire.Person, len(ps))
	for i, p := range ps {
		out[i] = wire.Person{ID: p.ID, Name: p.Name, Company: p.Company, Email: p.Email, Category: p.Category,
			Tags: p.Tags, Code: p.Code, Serial: p.Serial, Revoked: p.Revoked}
	}
	return out
}

// MustApply applies a pull page and fails the test on an error.
func MustApply(tb testing.TB, db *store.DB, page wire.PullResponse) {
	tb.Helper()
	if err := db.ApplyPull(context.Background(), page); err != nil {
		tb.Fatalf("ApplyPull(cursor %d): %v", page.Cursor, err)
	}
}

// TestApplyPull follows a kiosk through pulls: the first into an empty
// database, then roster changes, each with the rules of Load.
func TestApplyPull(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, tempDB(t))
	ev := MustEvent(t, expoEvent("expo"))
	ps := people(4)

	t.Run("First", func(t *testing.T) {
		MustApply(t, db, wire.PullResponse{Cursor: 5, More: true, Event: ev, People: wirePeople(ps[:2]...)})
		MustApply(t, db, wire.PullResponse{Cursor: 9, People: wirePeople(ps[2:]...)})
		if got := db.Event(); got == nil || got.ID != "expo" {
			t.Fatalf("event after the first pull: %+v", got)
		}
		if c, err := db.Cursor(ctx); err != nil || c != 9 {
			t.Errorf("cursor %d, %v; want 9", c, err)
		}
		for _, p := range ps {
			MustAdmit(t, db, p.Code, "main")
		}
	})
	t.Run("Reprint", func(t *testing.T) {
		p := ps[0]
		p.Code = "C-0001-B"
		MustApply(t, db, wire.PullResponse{Cursor: 10, People: wirePeople(p)})
		if d := MustScan(t, db, ps[0].Code, "ballroom", checkin.Entry); d.Reason != checkin.Revoked {
			t.Errorf("old code after a reprint: %s, want %s", d.Reason, checkin.Revoked)
		}
		MustAdmit(t, db, p.Code, "ballroom")
	})
	t.Run("Removed", func(t *testing.T) {
		MustApply(t, db, wire.PullResponse{Cursor: 11, People: []wire.Person{{ID: ps[1].ID, Name: ps[1].Name, Category: "attendee", Removed: true}}})
		if d := MustScan(t, db, ps[1].Code, "ballroom", checkin.Entry); d.Reason != checkin.Revoked {
			t.Errorf("code of a removed person: %s, want %s", d.Reason, checkin.Revoked)
		}
		if n := MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 1`); n != 1 {
			t.Errorf("%d people removed, want 1", n)
		}
	})
	t.Run("BackOnRoster", func(t *testing.T) {
		MustApply(t, db, wire.PullResponse{Cursor: 12, People: wirePeople(ps[1])})
		MustAdmit(t, db, ps[1].Code, "ballroom")
	})
	t.Run("EventChanged", func(t *testing.T) {
		bigger := MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) { ev.Spaces[1].Capacity = 50 })
		version := MustCount(t, db, `SELECT version FROM event`)
		MustApply(t, db, wire.PullResponse{Cursor: 13, Event: bigger})
		if got := db.Event().Space("ballroom").Capacity; got != 50 {
			t.Errorf("ballroom capacity %d after the pull, want 50", got)
		}
		// The same definition again changes nothing.
		MustApply(t, db, wire.PullResponse{Cursor: 14, Event: bigger})
		if got := MustCount(t, db, `SELECT version FROM event`); got != version+1 {
			t.Errorf("event version %d after two pulls of one change, want %d", got, version+1)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		dump := MustDump(t, db, "revocations")
		MustApply(t, db, wire.PullResponse{Cursor: 14})
		if got := MustDump(t, db, "revocations"); !reflect.DeepEqual(got, dump) {
			t.Errorf("an empty page changed the database")
		}
	})
	if t.Failed() {
		return
	}
	t.Run("PresenceKept", func(t *testing.T) {
		want := map[string]int{"venue": 4, "ballroom": 2}
		if got := db.Occupancy(); !maps.Equal(got, want) {
			t.Errorf("occupancy %v, want %v", got, want)
		}
	})
}

// TestApplyPullBadges checks what a pull does to signed badges: a
// revocation reaches the door, and a person removed before this kiosk
// ever heard of them is not let in as a walk-up.
func TestApplyPullBadges(t *testing.T) {
	t.Run("Revocation", func(t *testing.T) {
		k := MustBadgeKiosk(t)
		p2 := k.roster[1]
		code := k.sign(t, p2.ID, "attendee", 1)
		MustApply(t, k.db, wire.PullResponse{Cursor: 1, Revocations: []wire.Revocation{{Person: p2.ID, Serial: 1}}})
		k.expect(t, code, "main", checkin.Revoked, p2.ID)
		// The same revocation again is no error.
		MustApply(t, k.db, wire.PullResponse{Cursor: 2, Revocations: []wire.Revocation{{Person: p2.ID, Serial: 1}}})
	})
	t.Run("UnknownRemovedPerson", func(t *testing.T) {
		k := MustBadgeKiosk(t)
		code := k.sign(t, "W5", "attendee", 1)
		MustApply(t, k.db, wire.PullResponse{Cursor: 1, People: []wire.Person{{ID: "W5", Name: "Walk Up", Category: "attendee", Removed: true}}})
		k.expect(t, code, "main", checkin.Revoked, "W5")
	})
	t.Run("WalkUpOnRoster", func(t *testing.T) {
		k := MustBadgeKiosk(t)
		code := k.sign(t, "W6", "attendee", 1)
		k.expect(t, code, "main", checkin.Admitted, "W6")
		MustApply(t, k.db, wire.PullResponse{Cursor: 1, People: wirePeople(checkin.Person{
			ID: "W6", Name: "Wanda Six", Category: "attendee", Code: "C-W6", Serial: 1})})
		if s, ok := MustStored(t, k.db, "W6"); !ok || s.walkup || s.name != "Wanda Six" {
			t.Errorf("W6 after the pull: %+v, want on the roster by name", s)
		}
	})
}

// TestApplyPullAllOrNothing applies pages that each carry valid changes
// ahead of what makes them fail: the database, the cursor and the
// in-memory presence stay exactly as they were, and a good page still
// applies afterwards.
func TestApplyPullAllOrNothing(t *testing.T) {
	ev := MustEvent(t, expoEvent("expo"))
	base := people(4)
	// good is a valid page: P3 renamed, P5 added, P2 reprinted, a
	// revocation, ahead of whatever makes each case fail.
	good := func(extra ...wire.Person) wire.PullResponse {
		ps := people(5)
		ps[2].Name = "Person Three Renamed"
		ps[1].Code = "C-0002-B"
		return wire.PullResponse{Cursor: 20, People: append(wirePeople(ps[1:]...), extra...),
			Revocations: []wire.Revocation{{Person: "P1", Serial: 3}}}
	}
	withEvent := func(page wire.PullResponse, ev *checkin.Event) wire.PullResponse {
		page.Event = ev
		return page
	}
	cases := []struct {
		name string
		page wire.PullResponse
	}{
		{"PersonWithoutCode", good(wire.Person{ID: "P6", Name: "Person 6", Category: "attendee"})},
		{"PersonWithoutName", good(wire.Person{ID: "P6", Category: "attendee", Code: "C-0006"})},
		{"UnknownCategory", good(wire.Person{ID: "P6", Name: "Person 6", Category: "press", Code: "C-0006"})},
		{"RemovedWithoutID", good(wire.Person{Removed: true})},
		{"RevocationWithoutPerson", func() wire.PullResponse {
			p := good()
			p.Revocations = append(p.Revocations, wire.Revocation{Serial: 1})
			return p
		}()},
		{"CursorBack", func() wire.PullResponse { p := good(); p.Cursor = 5; return p }()},
		{"InvalidEvent", withEvent(good(), &checkin.Event{ID: "expo", Name: "No spaces"})},
		{"OtherEvent", withEvent(good(), MustEvent(t, expoEvent("other")))},
		{"DroppedSpaceSomeoneIsIn", withEvent(good(), MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) {
			ev.Spaces, ev.Doors = ev.Spaces[:1], ev.Doors[:1]
			ev.Categories[0].MayEnter = []string{"venue"}
		}))},
		// An event-only page: the people it would strand are stored ones.
		{"CategoryOnRosterDropped", wire.PullResponse{Cursor: 20, Revocations: []wire.Revocation{{Person: "P1", Serial: 3}},
			Event: MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) {
				ev.Categories = append(ev.Categories[1:], checkin.Category{ID: "guest", MayEnter: []string{"venue"}})
			})}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			db := MustOpen(t, tempDB(t))
			MustApply(t, db, wire.PullResponse{Cursor: 10, Event: ev, People: wirePeople(base...)})
			MustAdmit(t, db, base[0].Code, "main")
			MustAdmit(t, db, base[0].Code, "ballroom")
			MustApply(t, db, wire.PullResponse{Cursor: 11, People: []wire.Person{{ID: base[3].ID, Removed: true}}})
			extra := []string{"revocations", "settings"}
			dump, evBefore, occ := MustDump(t, db, extra...), db.Event(), db.Occupancy()

			err := db.ApplyPull(ctx, c.page)
			if code := checkin.ErrorCode(err); code != checkin.EINVALID {
				t.Fatalf("ApplyPull: error %v (code %q), want code %s", err, code, checkin.EINVALID)
			}
			t.Logf("refused: %v", err)
			if got := MustDump(t, db, extra...); !reflect.DeepEqual(got, dump) {
				for table := range dump {
					if !reflect.DeepEqual(got[table], dump[table]) {
						t.Errorf("table %s changed by a refused page:\n got %q\nwant %q", table, got[table], dump[table])
					}
				}
			}
			if db.Event() != evBefore {
				t.Errorf("the event changed after a refused page")
			}
			if got := db.Occupancy(); !maps.Equal(got, occ) {
				t.Errorf("occupancy %v after a refused page, was %v", got, occ)
			}
			if d := MustScan(t, db, base[0].Code, "ballroom", checkin.Entry); d.Reason != checkin.AlreadyInside {
				t.Errorf("rescan in the ballroom: %s, want %s", d.Reason, checkin.AlreadyInside)
			}
			MustApply(t, db, good())
			if c, _ := db.Cursor(ctx); c != 20 {
				t.Errorf("cursor %d after the good page, want 20", c)
			}
		})
	}
	t.Run("ErrPeopleBeforeEvent", func(t *testing.T) {
		db := MustOpen(t, tempDB(t))
		if err := db.ApplyPull(context.Background(), wire.PullResponse{Cursor: 3, People: wirePeople(base...)}); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Errorf("people without an event: %v, want code %s", err, checkin.EINVALID)
		}
		if n := MustCount(t, db, `SELECT count(*) FROM people`); n != 0 {
			t.Errorf("%d people stored", n)
		}
	})
}

// TestApplyPullCodeHandedOn checks a code the center gives to a second
// person, which `usher load` refuses: the pull goes through, so changes
// after it still arrive, but the code stays its first owner's: a lost or
// returned badge admits nobody else.
func TestApplyPullCodeHandedOn(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	ps := people(3)
	MustApply(t, db, wire.PullResponse{Cursor: 10, Event: MustEvent(t, expoEvent("expo")), People: wirePeople(ps...)})
	p2 := ps[1]
	p2.Code = "C-0002-B" // a reprint: C-0002 is a past code of P2's
	MustApply(t, db, wire.PullResponse{Cursor: 11, People: wirePeople(p2)})

	MustApply(t, db, wire.PullResponse{Cursor: 12, People: []wire.Person{
		{ID: "P6", Name: "Person 6", Category: "attendee", Code: ps[0].Code}, // P1's current code
		{ID: "P7", Name: "Person 7", Category: "attendee", Code: "C-0002"},   // P2's past code
		{ID: ps[2].ID, Removed: true},
	}})
	for _, c := range []struct {
		code, person string
		reason       checkin.Reason
	}{
		{ps[0].Code, ps[0].ID, checkin.Admitted},
		{"C-0002", ps[1].ID, checkin.Revoked},
		{ps[2].Code, ps[2].ID, checkin.Revoked}, // the change after the conflict arrived
	} {
		d := MustScan(t, db, c.code, "main", checkin.Entry)
		if d.Reason != c.reason || d.Person == nil || d.Person.ID != c.person {
			t.Errorf("%s: %s naming %+v, want %s naming %s", c.code, d.Reason, d.Person, c.reason, c.person)
		}
	}
	for _, id := range []string{"P6", "P7"} {
		if _, ok := MustStored(t, db, id); !ok {
			t.Errorf("%s is not stored", id)
		}
		if n := MustCount(t, db, `SELECT count(*) FROM codes WHERE person_id = ?`, id); n != 0 {
			t.Errorf("%s holds %d codes, want none", id, n)
		}
	}
}

// TestApplyPullCategoryAcrossPages checks a change that spans pages: the
// event drops a category on the first page and the people in it are
// re-categorised on a later one. Each page is consistent only with the
// whole run, so the roster is checked against the event on the last.
func TestApplyPullCategoryAcrossPages(t *testing.T) {
	ev := MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) {
		ev.Categories = append(ev.Categories, checkin.Category{ID: "press", MayEnter: []string{"venue"}})
	})
	noPress := MustEvent(t, expoEvent("expo"))
	ps := people(3)
	ps[2].Category = "press"
	start := func(t *testing.T) *store.DB {
		db := MustOpen(t, tempDB(t))
		MustApply(t, db, wire.PullResponse{Cursor: 10, Event: ev, People: wirePeople(ps...)})
		return db
	}
	t.Run("OK", func(t *testing.T) {
		db := start(t)
		MustApply(t, db, wire.PullResponse{Cursor: 11, More: true, Event: noPress, People: wirePeople(ps[0])})
		p3 := ps[2]
		p3.Category = "attendee"
		MustApply(t, db, wire.PullResponse{Cursor: 13, People: wirePeople(p3)})
		MustAdmit(t, db, p3.Code, "ballroom")
	})
	t.Run("ErrNeverFixed", func(t *testing.T) {
		db := start(t)
		MustApply(t, db, wire.PullResponse{Cursor: 11, More: true, Event: noPress, People: wirePeople(ps[0])})
		dump := MustDump(t, db, "settings")
		err := db.ApplyPull(context.Background(), wire.PullResponse{Cursor: 13, People: wirePeople(ps[1])})
		if checkin.ErrorCode(err) != checkin.EINVALID {
			t.Fatalf("last page leaves P3 in a dropped category: %v, want code %s", err, checkin.EINVALID)
		}
		if got := MustDump(t, db, "settings"); !reflect.DeepEqual(got, dump) {
			t.Errorf("a refused page changed the database")
		}
	})
}

// TestApplyPullSamePersonTwice: a page that names a person twice (the
// server does not, but a page is outside input) is applied in its order,
// each entry seeing the one before, as a page of distinct people is: the
// second code revokes the first.
func TestApplyPullSamePersonTwice(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	ev := MustEvent(t, expoEvent("expo"))
	ps := people(3)
	again := ps[0]
	again.Code = "C-0001-B"
	MustApply(t, db, wire.PullResponse{Cursor: 5, Event: ev, People: wirePeople(ps[0], ps[1], again, ps[2])})
	if d := MustScan(t, db, ps[0].Code, "main", checkin.Entry); d.Reason != checkin.Revoked {
		t.Errorf("the first code after the second in the same page: %s, want %s", d.Reason, checkin.Revoked)
	}
	MustAdmit(t, db, again.Code, "main")
	MustAdmit(t, db, ps[2].Code, "main")
}
