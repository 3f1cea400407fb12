package integration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/doorprint"
	"usher/printing/cupstest"
	"usher/store"
	"usher/sync/kiosksync"
)

// TestPrintAtDoorRevokesEverywhere: a badge printed at one door (through
// a real CUPS) gets its serial from the center, so after one pull
// another door refuses the badge the person held before, without ever
// having seen the new one; the new badge, read back from the printed
// PDF, is admitted there. With the center out of reach the door prints
// all the same, on its own serial, and says that only doors that have
// seen the new badge refuse the old one.
func TestPrintAtDoorRevokesEverywhere(t *testing.T) {
	queue, out := cupstest.MustCUPS(t)
	eachBackend(t, func(t *testing.T, dsn string) {
		sc := MustSignedCenter(t, dsn, 40)
		c, srv, hc := sc.center, sc.srv, sc.hc
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		doors := []string{"main", "east"}
		kiosks := make([]*store.DB, len(doors))
		syncers := make([]*kiosksync.Syncer, len(doors))
		for i, door := range doors {
			kiosks[i] = MustEnroll(t, c.MustCode(t, srv.url, door), hc)
			syncers[i] = newSyncer(kiosks[i], hc)
		}
		MustShareRights(t, kiosks, syncers)
		desk := &doorprint.Desk{Store: kiosks[0], Key: sc.key, Center: doorprint.Syncer(syncers[0])}
		attendees := c.Attendees()
		lost, offline := attendees[0], attendees[1]
		badgeOf := func(p checkin.Person, serial uint32) string {
			p.Serial = serial
			now := time.Now()
			code, err := badge.Code(sc.ev, p, sc.key, now.Add(-time.Hour), now.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return code
		}

		got, err := desk.PrintBadge(ctx, lost.ID, queue, checkin.MediaLabel)
		if err != nil {
			t.Fatal(err)
		}
		if got.Alone || got.Person.Serial != 2 {
			t.Fatalf("printed serial %d alone %v, want serial 2 from the center", got.Person.Serial, got.Alone)
		}
		printed := cupstest.ReadQR(t, ctx, cupstest.WaitForPDF(t, ctx, out, got.Job))
		if printed != got.Code {
			t.Fatalf("the printed QR says %q, want %q", printed, got.Code)
		}
		MustRound(t, "east", syncers[1])
		if r := MustScan(t, kiosks[1], badgeOf(lost, 1), "east", checkin.Entry); r != checkin.Revoked {
			t.Errorf("east, after one pull: the lost badge is %s, want revoked", r)
		}
		if r := MustScan(t, kiosks[1], printed, "east", checkin.Entry); r != checkin.Admitted {
			t.Errorf("east: the printed badge is %s, want admitted", r)
		}

		srv.Close() // the center is gone
		got, err = desk.PrintBadge(ctx, offline.ID, queue, checkin.MediaLabel)
		if err != nil {
			t.Fatalf("printing with the center out of reach: %v", err)
		}
		if !got.Alone || !strings.Contains(got.Note, "not reached") || got.Person.Serial != 2 {
			t.Errorf("printed offline: serial %d alone %v note %q; want serial 2, alone, saying so", got.Person.Serial, got.Alone, got.Note)
		}
		if r := MustScan(t, kiosks[0], badgeOf(offline, 1), "main", checkin.Entry); r != checkin.Revoked {
			t.Errorf("main, after printing offline: the old badge is %s, want revoked", r)
		}
	})
}

// The center refuses a reprint for someone it removed, and the door
// prints nothing: the person's badge stays as it was.
func TestPrintAtDoorRefusedByCenter(t *testing.T) {
	queue, _ := cupstest.MustCUPS(t)
	eachBackend(t, func(t *testing.T, dsn string) {
		sc := MustSignedCenter(t, dsn, 40)
		c, srv, hc := sc.center, sc.srv, sc.hc
		ctx := context.Background()
		kiosk := MustEnroll(t, c.MustCode(t, srv.url, "main"), hc)
		syncer := newSyncer(kiosk, hc)
		center := doorprint.Syncer(syncer)
		p := c.Attendees()[0]
		if err := c.db.RevokePerson(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		// A refusal, not a center out of reach: the door prints nothing.
		for id, says := range map[string]string{p.ID: "removed", "NOBODY": "no person"} {
			if _, err := center(ctx, id); err == nil || errors.Is(err, doorprint.ErrUnreached) || !strings.Contains(checkin.ErrorMessage(err), says) {
				t.Errorf("reprint of %s: %v, want the center's refusal saying %q", id, err, says)
			}
		}
		if _, err := center(ctx, "bad\x00id"); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Errorf("reprint of a malformed id: %v, want invalid", err)
		}
		// The kiosk has not pulled the removal yet: it would print, but the
		// center refuses, and nothing changes here.
		desk := &doorprint.Desk{Store: kiosk, Key: sc.key, Center: center}
		if _, err := desk.PrintBadge(ctx, p.ID, queue, checkin.MediaLabel); err == nil || !strings.Contains(checkin.ErrorMessage(err), "central server refused") {
			t.Errorf("printing for a person the center removed: %v", err)
		}
		if b, err := kiosk.Identify(ctx, p.Code); err != nil || b.Person == nil || b.Revoked || b.Person.Serial != 0 {
			t.Errorf("after the refusal the kiosk holds %+v revoked %v, %v; want the person as before", b.Person, b.Revoked, err)
		}
		standalone := doorprint.Syncer(newSyncer(MustOpenKiosk(t, t.TempDir()+"/k.db"), hc))
		if _, err := standalone(ctx, p.ID); !errors.Is(err, doorprint.ErrStandalone) {
			t.Errorf("a kiosk that is not enrolled: %v, want ErrStandalone", err)
		}
	})
}
