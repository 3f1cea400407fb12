package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// MustScanByName admits person id by name at door with a staff note and
// returns the decision.
func MustScanByName(tb testing.TB, db *store.DB, id, door string) checkin.Decision {
	tb.Helper()
	d, err := db.Scan(context.Background(), checkin.Scan{Method: checkin.ByName, PersonID: id, Door: door,
		Direction: checkin.Entry, Note: "forgot their badge"})
	if err != nil {
		tb.Fatalf("scan %s by name at %s: %v", id, door, err)
	}
	return d
}

// TestRevokePerson revokes a person, by a load's list and by a pull:
// every way the kiosk finds them is denied (their roster code, the code
// in another case, signed badges of any serial, admission by name), the
// name search says so, they may still leave, and nobody else changes.
func TestRevokePerson(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		revoke func(t *testing.T, k *badgeKiosk, id string)
	}{
		{"Load", func(t *testing.T, k *badgeKiosk, id string) {
			if _, err := k.db.LoadAll(ctx, k.ev, nil, []checkin.Revocation{{PersonID: id, Serial: badge.AllSerials}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"Pull", func(t *testing.T, k *badgeKiosk, id string) {
			MustApply(t, k.db, wire.PullResponse{Cursor: 1, Revocations: []wire.Revocation{{Person: id, Serial: badge.AllSerials}}})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := MustBadgeKiosk(t)
			p1, p2 := k.roster[0], k.roster[1] // P1: serial 2
			k.expect(t, p1.Code, "main", checkin.Admitted, p1.ID)
			c.revoke(t, k, p1.ID)

			k.expect(t, p1.Code, "ballroom-north", checkin.Revoked, p1.ID)
			k.expect(t, strings.ToLower(p1.Code), "ballroom-north", checkin.Revoked, p1.ID)
			for _, serial := range []uint32{0, 1, 2, 3, 1000} {
				k.expect(t, k.sign(t, p1.ID, "attendee", serial), "ballroom-north", checkin.Revoked, p1.ID)
			}
			if d := MustScanByName(t, k.db, p1.ID, "ballroom-north"); d.Reason != checkin.Revoked {
				t.Errorf("admission by name: %s, want revoked", d.Reason)
			}
			found, err := k.db.Search(ctx, p1.Name, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 || found[0].Revoked == "" {
				t.Errorf("search for %s: %+v, want them marked not valid", p1.Name, found)
			}
			// A walk-up's badge of a higher serial must not slip past it.
			if s, _ := MustStored(t, k.db, p1.ID); s.serial != 2 {
				t.Errorf("P1's serial %d after revoked scans, want 2", s.serial)
			}
			d := MustScan(t, k.db, p1.Code, "main", checkin.Exit)
			if d.Reason != checkin.ExitRecorded {
				t.Errorf("exit of the revoked person: %s, want exit_recorded", d.Reason)
			}

			k.expect(t, p2.Code, "main", checkin.Admitted, p2.ID)
			k.expect(t, k.sign(t, p2.ID, "attendee", 1), "ballroom-north", checkin.Admitted, p2.ID)
			// A walk-up revoked before the kiosk met them.
			c.revoke(t, k, "W8")
			k.expect(t, k.sign(t, "W8", "attendee", 1), "main", checkin.Revoked, "W8")
		})
	}
}

// TestRevokeSerial revokes a serial, by a load's list and by a pull: that
// badge and every older one are denied; a newer one, the roster code and
// admission by name are not.
func TestRevokeSerial(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		revoke func(t *testing.T, k *badgeKiosk, id string, serial uint32)
	}{
		{"Load", func(t *testing.T, k *badgeKiosk, id string, serial uint32) {
			if _, err := k.db.LoadAll(ctx, k.ev, nil, []checkin.Revocation{{PersonID: id, Serial: serial}}); err != nil {
				t.Fatal(err)
			}
		}},
		{"Pull", func(t *testing.T, k *badgeKiosk, id string, serial uint32) {
			MustApply(t, k.db, wire.PullResponse{Cursor: 1, Revocations: []wire.Revocation{{Person: id, Serial: serial}}})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := MustBadgeKiosk(t)
			p2 := k.roster[1] // serial 0
			c.revoke(t, k, p2.ID, 3)
			for _, serial := range []uint32{1, 2, 3} {
				k.expect(t, k.sign(t, p2.ID, "attendee", serial), "main", checkin.Revoked, p2.ID)
			}
			k.expect(t, k.sign(t, p2.ID, "attendee", 4), "main", checkin.Admitted, p2.ID)
			k.expect(t, p2.Code, "ballroom-north", checkin.Admitted, p2.ID)
			if d := MustScanByName(t, k.db, p2.ID, "hall-b"); d.Reason != checkin.AdmittedManual {
				t.Errorf("admission by name: %s, want admitted_manual", d.Reason)
			}
		})
	}
}

// TestLoadRefusesSerialZero: no printed badge has serial 0 (badge.Code
// prints at least 1), so a revocation of serial 0 would revoke nothing
// while saying it did. Load refuses it and writes nothing.
func TestLoadRefusesSerialZero(t *testing.T) {
	k := MustBadgeKiosk(t)
	p2 := k.roster[1]
	_, err := k.db.LoadAll(context.Background(), k.ev, k.roster[:2], []checkin.Revocation{{PersonID: p2.ID, Serial: 0}})
	if checkin.ErrorCode(err) != checkin.EINVALID || !strings.Contains(checkin.ErrorMessage(err), p2.ID) {
		t.Errorf("LoadAll with serial 0: %v, want EINVALID naming %s", err, p2.ID)
	}
	k.expect(t, k.roster[2].Code, "main", checkin.Admitted, k.roster[2].ID) // not removed: nothing was written
	k.expect(t, k.sign(t, p2.ID, "attendee", 1), "ballroom-north", checkin.Admitted, p2.ID)
}

// TestReloadKeepsLearnedSerial loads the same roster again after a
// reprint was scanned: the kiosk learned the higher serial from the
// badge, the roster's lower one is no change, and the replaced badge
// stays revoked. A pull of the person with the lower serial keeps it
// too.
func TestReloadKeepsLearnedSerial(t *testing.T) {
	k := MustBadgeKiosk(t)
	p1 := k.roster[0] // serial 2
	k.expect(t, k.sign(t, p1.ID, "attendee", 3), "main", checkin.Admitted, p1.ID)
	if res := MustLoad(t, k.db, k.ev, k.roster); res != (store.LoadResult{Unchanged: len(k.roster)}) {
		t.Errorf("load of the same roster: %v, want %d unchanged", res, len(k.roster))
	}
	if s, _ := MustStored(t, k.db, p1.ID); s.serial != 3 {
		t.Errorf("P1's serial %d after the load, want 3", s.serial)
	}
	k.expect(t, k.sign(t, p1.ID, "attendee", 2), "ballroom-north", checkin.Revoked, p1.ID)

	renamed := p1
	renamed.Name = "Renamed Person"
	MustApply(t, k.db, wire.PullResponse{Cursor: 1, People: wirePeople(renamed)})
	if s, _ := MustStored(t, k.db, p1.ID); s.serial != 3 || s.name != renamed.Name {
		t.Errorf("P1 after a pull with serial 2: %+v, want the new name and serial 3", s)
	}
	k.expect(t, k.sign(t, p1.ID, "attendee", 2), "ballroom-north", checkin.Revoked, p1.ID)
}

// TestBadgeOutOfValidityNamesPerson: a signed badge whose signature is
// good but whose validity has ended or not begun is denied naming the
// person on the roster, so staff see who stands there. It adds nobody
// and changes no serial.
func TestBadgeOutOfValidityNamesPerson(t *testing.T) {
	for _, c := range []struct {
		name   string
		now    time.Time
		reason checkin.Reason
	}{
		{"Expired", badgeUntil.Add(time.Second), checkin.ExpiredBadge},
		{"NotYetValid", badgeFrom.Add(-time.Second), checkin.NotYetValid},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := MustBadgeKiosk(t)
			p1 := k.roster[0]
			k.now = c.now
			d := k.expect(t, k.sign(t, p1.ID, "attendee", 5), "main", c.reason, p1.ID)
			if d.Person != nil && d.Person.Name != p1.Name {
				t.Errorf("the denial names %q, want %q", d.Person.Name, p1.Name)
			}
			if s, _ := MustStored(t, k.db, p1.ID); s.serial != 2 {
				t.Errorf("P1's serial %d after a badge out of its validity, want 2", s.serial)
			}
			if got := MustCount(t, k.db, `SELECT count(*) FROM scans WHERE person_id = ? AND reason = ?`, p1.ID, string(c.reason)); got != 1 {
				t.Errorf("%d log rows naming P1 with reason %s, want 1", got, c.reason)
			}
		})
	}
}
