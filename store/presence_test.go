package store_test

import (
	"context"
	"testing"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// An enrolled kiosk counts what the center counted at its last pull
// plus its own moves since, places the people the pull names where the
// center says, and refuses a page whose presence names what the event
// does not have, all or nothing.
func TestApplyPullPresence(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, tempDB(t))
	id := store.Identity{URL: "https://central.example.org", KioskID: "K-1", Token: "secret", Door: "main", EventID: "expo"}
	if err := db.Enroll(ctx, id); err != nil {
		t.Fatal(err)
	}
	ps := people(4)
	MustApply(t, db, wire.PullResponse{Cursor: 4, Event: MustEvent(t, expoEvent("expo")), People: wirePeople(ps...)})
	MustApply(t, db, wire.PullResponse{Cursor: 5, Grants: []wire.Grant{{ID: 5, Counter: "venue", N: 5}}})
	if _, ok := db.PresenceAge(); ok {
		t.Errorf("a presence age before any presence was pulled")
	}

	// Other doors admitted 4 people, P1 among them, and P1 went on into
	// the ballroom.
	MustApply(t, db, wire.PullResponse{Cursor: 6, Presence: &wire.Presence{At: 1_800_000_000_000,
		Counts: map[string]int{"venue": 4, "ballroom": 1}, People: []wire.Where{{Person: ps[0].ID, Location: "ballroom"}}}})
	if got := db.Occupancy(); got["venue"] != 4 || got["ballroom"] != 1 {
		t.Errorf("occupancy after the pull %v, want the center's venue 4, ballroom 1", got)
	}
	if got := db.Location(ps[0].ID); got != "ballroom" {
		t.Errorf("P1 is in %q, want ballroom as the center said", got)
	}
	if at, ok := db.PresenceAge(); !ok || at.UnixMilli() != 1_800_000_000_000 {
		t.Errorf("presence age %v, %v; want the center's clock of the pull", at, ok)
	}
	// This kiosk admits P2: the center's 4 and its own 1.
	MustAdmit(t, db, ps[1].Code, "main")
	if got := db.Occupancy()["venue"]; got != 5 {
		t.Errorf("venue after an admission here %d, want 5", got)
	}
	// The center counted that admission (through its seq) and P1 left.
	last := lastSeq(t, db)
	MustApply(t, db, wire.PullResponse{Cursor: 7, Presence: &wire.Presence{Through: last, At: 1_800_000_060_000,
		Counts: map[string]int{"venue": 4}, People: []wire.Where{{Person: ps[0].ID, Location: checkin.Outside}}}})
	if got := db.Occupancy(); got["venue"] != 4 || got["ballroom"] != 0 {
		t.Errorf("occupancy %v, want venue 4 (the admission here counted once), ballroom 0", got)
	}
	if got := db.Location(ps[0].ID); got != checkin.Outside {
		t.Errorf("P1 is in %q after leaving at another door, want outside", got)
	}

	for _, c := range []struct {
		name string
		p    wire.Presence
	}{
		{"UnknownSpace", wire.Presence{Counts: map[string]int{"attic": 1}}},
		{"NegativeCount", wire.Presence{Counts: map[string]int{"venue": -1}}},
		{"NegativeUnbadged", wire.Presence{Counts: map[string]int{"venue": 1}, Unbadged: map[string]int{"venue": -2}}},
		{"UnbadgedUnknownSpace", wire.Presence{Counts: map[string]int{"venue": 1}, Unbadged: map[string]int{"attic": 1}}},
		{"NoPerson", wire.Presence{Counts: map[string]int{"venue": 1}, People: []wire.Where{{Location: "venue"}}}},
		{"ControlCharacter", wire.Presence{Counts: map[string]int{"venue": 1}, People: []wire.Where{{Person: "P\x07", Location: "venue"}}}},
		{"UnknownLocation", wire.Presence{Counts: map[string]int{"venue": 1}, People: []wire.Where{{Person: ps[2].ID, Location: "attic"}}}},
		{"ThroughBack", wire.Presence{Through: -1, Counts: map[string]int{"venue": 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			err := db.ApplyPull(ctx, wire.PullResponse{Cursor: 9, Presence: &p})
			if checkin.ErrorCode(err) != checkin.EINVALID {
				t.Fatalf("ApplyPull: %v, want EINVALID", err)
			}
			if cur, err := db.Cursor(ctx); err != nil || cur != 7 {
				t.Errorf("cursor %d, %v after a refused page; want 7", cur, err)
			}
			if got := db.Occupancy(); got["venue"] != 4 {
				t.Errorf("occupancy %v after a refused page, want venue 4", got)
			}
		})
	}
}

// lastSeq is the seq of the kiosk's latest log row.
func lastSeq(tb testing.TB, db *store.DB) int64 {
	tb.Helper()
	var seq int64
	if err := db.SQL().QueryRow(`SELECT max(seq) FROM scans`).Scan(&seq); err != nil {
		tb.Fatal(err)
	}
	return seq
}
