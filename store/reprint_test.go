package store_test

import (
	"context"
	"testing"

	"usher/checkin"
)

// TestReprintRevokesTheOldBadge prints a new badge for P2 at the door:
// the badge they held (serial 1) is denied at once, the new serial is
// admitted, and neither reopening the database nor loading the roster
// again (serial 0) brings the old badge back.
func TestReprintRevokesTheOldBadge(t *testing.T) {
	k := MustBadgeKiosk(t)
	ctx := context.Background()
	p2 := k.roster[1]
	old := k.sign(t, p2.ID, "attendee", 1)

	got, err := k.db.Reprint(ctx, p2.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != p2.ID || got.Serial != 2 {
		t.Fatalf("Reprint gave %s serial %d, want %s serial 2", got.ID, got.Serial, p2.ID)
	}
	k.expect(t, old, "main", checkin.Revoked, p2.ID)
	k.expect(t, k.sign(t, p2.ID, "attendee", 2), "main", checkin.Admitted, p2.ID)

	// P1 starts at serial 2 (a reprint at the center): the next is 3,
	// or the center's serial when it gave a higher one.
	if p1, err := k.db.Reprint(ctx, k.roster[0].ID, 0); err != nil || p1.Serial != 3 {
		t.Fatalf("Reprint P1 = serial %d, %v; want 3", p1.Serial, err)
	}
	if p1, err := k.db.Reprint(ctx, k.roster[0].ID, 7); err != nil || p1.Serial != 7 {
		t.Fatalf("Reprint P1 with the center's 7 = serial %d, %v; want 7", p1.Serial, err)
	}
	if p1, err := k.db.Reprint(ctx, k.roster[0].ID, 5); err != nil || p1.Serial != 8 {
		t.Fatalf("Reprint P1 with the center's 5 = serial %d, %v; want 8", p1.Serial, err)
	}

	path := k.path
	k.db.Close()
	db := MustOpen(t, path)
	db.Now = k.db.Now
	MustLoad(t, db, k.ev, k.roster)
	k.db = db
	k.expect(t, old, "east", checkin.Revoked, p2.ID)
	b, err := db.Identify(ctx, old)
	if err != nil || !b.Revoked || b.Person == nil || b.Person.Serial != 2 {
		t.Fatalf("after reopening and loading again, Identify(old badge) = %+v, %v; want revoked, serial 2", b, err)
	}
}

// TestReprintRefusesWhomTheDoorsRefuse: no badge for someone off the
// roster, with a ticket no longer valid, or whose badges the revocation
// list revokes; the serial stays as it was.
func TestReprintRefusesWhomTheDoorsRefuse(t *testing.T) {
	k := MustBadgeKiosk(t)
	ctx := context.Background()
	roster := k.roster
	roster[1].Revoked = "refunded ticket"
	// P3 leaves the roster; the list revokes every badge of P1's.
	if _, err := k.db.LoadAll(ctx, k.ev, roster[:2], []checkin.Revocation{{PersonID: "P1", Serial: 0xFFFFFFFF}}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"P1": checkin.ECONFLICT, "P2": checkin.ECONFLICT, "P3": checkin.ECONFLICT, "P404": checkin.ENOTFOUND, "": checkin.ENOTFOUND} {
		_, err := k.db.Reprint(ctx, id, 0)
		if checkin.ErrorCode(err) != want {
			t.Errorf("Reprint(%q) = %v, want %s", id, err, want)
		}
	}
	// No serial was raised: P2's serial-1 badge is still theirs (refused
	// at the doors for the ticket, not as replaced).
	if b, err := k.db.Identify(ctx, k.sign(t, "P2", "attendee", 1)); err != nil || b.Person == nil || b.Person.Serial > 1 {
		t.Errorf("P2 after a refused reprint: %+v, %v; want serial 1 at most", b.Person, err)
	}
}

// TestIdentifyRecordsNothing: a badge desk looking codes up moves nobody
// and logs nothing, whoever the code is.
func TestIdentifyRecordsNothing(t *testing.T) {
	k := MustBadgeKiosk(t)
	ctx := context.Background()
	for _, tc := range []struct {
		code    string
		person  string
		revoked bool
	}{
		{"C-0002", "P2", false},
		{"c-0002", "P2", false},
		{k.sign(t, "P3", "attendee", 1), "P3", false},
		{k.sign(t, "P1", "attendee", 1), "P1", true}, // P1 holds serial 2
		{"C-9999", "", false},
		{"", "", false},
		{"\x00\x1b[2J", "", false},
	} {
		b, err := k.db.Identify(ctx, tc.code)
		if err != nil {
			t.Fatalf("Identify(%q): %v", tc.code, err)
		}
		got := ""
		if b.Person != nil {
			got = b.Person.ID
		}
		if got != tc.person || b.Revoked != tc.revoked {
			t.Errorf("Identify(%q) = %q revoked %v, want %q revoked %v", tc.code, got, b.Revoked, tc.person, tc.revoked)
		}
	}
	recent, err := k.db.Recent(ctx, "main", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 0 || k.db.Occupancy()["venue"] != 0 {
		t.Errorf("Identify recorded %d scans and %d inside; want none", len(recent), k.db.Occupancy()["venue"])
	}
}
