package store_test

import (
	"context"
	"strings"
	"testing"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// wantVoid scans code at door (entry) and checks it is denied as revoked
// naming person, with why in the message.
func wantVoid(tb testing.TB, db *store.DB, scan checkin.Scan, person, why string) {
	tb.Helper()
	if scan.Direction == "" {
		scan.Direction = checkin.Entry
	}
	d, err := db.Scan(context.Background(), scan)
	if err != nil {
		tb.Fatalf("Scan(%+v): %v", scan, err)
	}
	got := ""
	if d.Person != nil {
		got = d.Person.ID
	}
	if d.Kind != checkin.Deny || d.Reason != checkin.Revoked || got != person || !strings.Contains(d.Message, why) {
		tb.Errorf("Scan(%+v): %s/%s (%q) naming %q, want %s/%s naming %q with %q",
			scan, d.Kind, d.Reason, d.Message, got, checkin.Deny, checkin.Revoked, person, why)
	}
	if d.Person != nil && d.Person.Revoked != why {
		tb.Errorf("Scan(%+v): the decision's person has Revoked %q, want %q", scan, d.Person.Revoked, why)
	}
}

// admitByName is staff admitting id by name at the main entrance.
func admitByName(id string) checkin.Scan {
	return checkin.Scan{Door: "main", Method: checkin.ByName, PersonID: id, Note: "forgot badge"}
}

// TestRevokedTicket follows a person whose ticket is refunded while they
// are inside: every way to them (their code, in any case, a signed badge,
// their name) is denied with the reason, they can still leave, staff
// still find them by name, and a roster where the ticket is valid again
// lets them back in.
func TestRevokedTicket(t *testing.T) {
	ctx := context.Background()
	k := MustBadgeKiosk(t)
	p2 := k.roster[1]
	signed := k.sign(t, p2.ID, "attendee", 1)
	MustAdmit(t, k.db, p2.Code, "main")

	refunded := append([]checkin.Person(nil), k.roster...)
	refunded[1].Revoked = "refunded ticket"
	if res := MustLoad(t, k.db, k.ev, refunded); res != (store.LoadResult{Updated: 1, Unchanged: 2}) {
		t.Fatalf("load with P2's ticket refunded: %v, want 1 updated, 2 unchanged", res)
	}
	if n := MustCount(t, k.db, `SELECT count(*) FROM people WHERE id = ? AND revoked_why = 'refunded ticket' AND removed = 0`, p2.ID); n != 1 {
		t.Fatalf("P2's row does not keep the reason, or P2 was removed")
	}
	if res := MustLoad(t, k.db, k.ev, refunded); res != (store.LoadResult{Unchanged: 3}) {
		t.Errorf("the same roster again: %v, want 3 unchanged", res)
	}

	t.Run("Code", func(t *testing.T) {
		wantVoid(t, k.db, checkin.Scan{Code: p2.Code, Door: "main"}, p2.ID, "refunded ticket")
		wantVoid(t, k.db, checkin.Scan{Code: p2.Code, Door: "ballroom-north"}, p2.ID, "refunded ticket")
	})
	t.Run("CodeOtherCase", func(t *testing.T) {
		wantVoid(t, k.db, checkin.Scan{Code: strings.ToLower(p2.Code), Door: "main"}, p2.ID, "refunded ticket")
	})
	t.Run("SignedBadge", func(t *testing.T) {
		wantVoid(t, k.db, checkin.Scan{Code: signed, Door: "main"}, p2.ID, "refunded ticket")
	})
	t.Run("ByName", func(t *testing.T) {
		wantVoid(t, k.db, admitByName(p2.ID), p2.ID, "refunded ticket")
	})
	t.Run("Override", func(t *testing.T) {
		wantVoid(t, k.db, checkin.Scan{Code: p2.Code, Door: "main", Override: true, Note: "insists"}, p2.ID, "refunded ticket")
	})
	t.Run("FoundByName", func(t *testing.T) {
		found, err := k.db.Search(ctx, p2.Name, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 || found[0].ID != p2.ID || found[0].Revoked != "refunded ticket" {
			t.Errorf("search %q: %+v, want P2 with the reason", p2.Name, found)
		}
	})
	if got := k.db.Location(p2.ID); got != "venue" {
		t.Fatalf("P2 is in %q after the denials, want still in venue", got)
	}
	t.Run("Exit", func(t *testing.T) {
		d := MustScan(t, k.db, p2.Code, "main", checkin.Exit)
		if d.Kind != checkin.Leave || d.Reason != checkin.ExitRecorded {
			t.Fatalf("exit: %s/%s (%q), want %s", d.Kind, d.Reason, d.Message, checkin.ExitRecorded)
		}
		if got := k.db.Location(p2.ID); got != checkin.Outside {
			t.Errorf("P2 is in %q after the exit, want outside", got)
		}
		if n := k.db.Occupancy()["venue"]; n != 0 {
			t.Errorf("venue counts %d after P2 left, want 0", n)
		}
	})
	t.Run("ValidAgain", func(t *testing.T) {
		if res := MustLoad(t, k.db, k.ev, k.roster); res.Updated != 1 {
			t.Fatalf("load with P2's ticket valid again: %v, want 1 updated", res)
		}
		MustAdmit(t, k.db, p2.Code, "main")
		MustScan(t, k.db, p2.Code, "main", checkin.Exit)
		MustAdmit(t, k.db, strings.ToLower(p2.Code), "main")
		MustScan(t, k.db, p2.Code, "main", checkin.Exit)
		k.expect(t, signed, "main", checkin.Admitted, p2.ID)
	})
}

// TestRevokedTicketPull: the reason a pull carries reaches the door,
// through either way a page reads the stored roster (one query for the
// page, or one person at a time when a person comes twice), and a later
// pull without it lets the person in again.
func TestRevokedTicketPull(t *testing.T) {
	k := MustBadgeKiosk(t)
	p1, p3 := k.roster[0], k.roster[2]
	signed := k.sign(t, p1.ID, "attendee", 2)
	cancelled := func(p checkin.Person) wire.Person {
		p.Revoked = "cancelled order"
		return wirePeople(p)[0]
	}

	MustApply(t, k.db, wire.PullResponse{Cursor: 1, People: []wire.Person{cancelled(p1)}})
	wantVoid(t, k.db, checkin.Scan{Code: p1.Code, Door: "main"}, p1.ID, "cancelled order")
	wantVoid(t, k.db, checkin.Scan{Code: strings.ToLower(p1.Code), Door: "main"}, p1.ID, "cancelled order")
	wantVoid(t, k.db, checkin.Scan{Code: signed, Door: "main"}, p1.ID, "cancelled order")
	wantVoid(t, k.db, admitByName(p1.ID), p1.ID, "cancelled order")

	MustApply(t, k.db, wire.PullResponse{Cursor: 2, People: wirePeople(p1)})
	MustAdmit(t, k.db, p1.Code, "main")
	k.expect(t, signed, "ballroom-north", checkin.Admitted, p1.ID)

	// P3 twice in a page: the later record wins.
	MustApply(t, k.db, wire.PullResponse{Cursor: 3, People: append(wirePeople(p3), cancelled(p3))})
	wantVoid(t, k.db, checkin.Scan{Code: p3.Code, Door: "main"}, p3.ID, "cancelled order")
	MustApply(t, k.db, wire.PullResponse{Cursor: 4, People: append(wirePeople(p3), wirePeople(p3)...)})
	MustAdmit(t, k.db, p3.Code, "main")
}
