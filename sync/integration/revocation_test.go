package integration_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/central"
	"usher/checkin"
	"usher/demo"
	"usher/roster"
	"usher/store"
	"usher/sync/kiosksync"
)

// TestRevocationAtCenter is the fourth loopback test: three
// badges admit at every kiosk; the organizer re-imports the roster with
// `usher-central import` (one person's code reprinted, one person gone)
// and a revocation list (one signed badge lost); each kiosk syncs once,
// and then denies each old badge as revoked, while the reprinted code and
// people the center left alone are admitted.
func TestRevocationAtCenter(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		sc := MustSignedCenter(t, dsn, 80)
		dir, ev, key, c, srv, hc := sc.dir, sc.ev, sc.key, sc.center, sc.srv, sc.hc
		people := c.people
		eventPath := filepath.Join(dir, "event.toml")

		attendees := c.Attendees()
		if len(attendees) < 5 {
			t.Fatalf("%d attendees in the demo roster, want 5", len(attendees))
		}
		reprinted, removed, lost, untouched, later := attendees[0], attendees[1], attendees[2], attendees[3], attendees[4]
		now := time.Now()
		lostBadge, err := badge.Code(ev, lost, key, now.Add(-time.Hour), now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}

		doors := []string{"main", "east", "ballroom-north"}
		kiosks := make([]*store.DB, len(doors))
		syncers := make([]*kiosksync.Syncer, len(doors))
		for i, door := range doors {
			kiosks[i] = MustEnroll(t, c.MustCode(t, srv.url, door), hc)
			syncers[i] = newSyncer(kiosks[i], hc)
		}
		MustShareRights(t, kiosks, syncers)
		for i, door := range doors {
			for _, code := range []string{reprinted.Code, removed.Code, lostBadge, untouched.Code} {
				if r := MustScan(t, kiosks[i], code, door, checkin.Entry); r != checkin.Admitted {
					t.Errorf("kiosk at %s before the change: %.20s… %s, want admitted", door, code, r)
				}
			}
		}

		// The organizer's change, through the command line.
		changed := slices.DeleteFunc(slices.Clone(people), func(p checkin.Person) bool { return p.ID == removed.ID })
		newCode := "U-REPRINT" + strings.TrimPrefix(reprinted.Code, "U-")[:5]
		for i := range changed {
			if changed[i].ID == reprinted.ID {
				changed[i].Code = newCode
			}
		}
		var csv bytes.Buffer
		if err := roster.Write(&csv, changed); err != nil {
			t.Fatal(err)
		}
		rosterPath, revokedPath := filepath.Join(dir, "roster-2.csv"), filepath.Join(dir, "revoked.csv")
		if err := os.WriteFile(rosterPath, csv.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(revokedPath, fmt.Appendf(nil, "id,serial\n%s,1\n", lost.ID), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if code := central.Run([]string{"import", "--event", eventPath, "--roster", rosterPath, "--revoked", revokedPath,
			"--db", dsn}, &stdout, &stderr); code != 0 {
			t.Fatalf("usher-central import: exit %d: %s", code, stderr.String())
		}

		for i, k := range kiosks {
			door := doors[i]
			res := MustRound(t, "kiosk at "+door, newSyncer(k, hc))
			if res.People != 2 || res.Revocations != 1 || res.EventChanged {
				t.Errorf("kiosk at %s pulled %+v, want 2 people changed, 1 badge revoked, the event unchanged", door, res)
			}
			for _, c := range []struct {
				what, code string
				dir        checkin.Direction
				want       checkin.Reason
			}{
				{"the reprinted person's old code", reprinted.Code, checkin.Entry, checkin.Revoked},
				{"the removed person's code", removed.Code, checkin.Entry, checkin.Revoked},
				{"the lost signed badge", lostBadge, checkin.Entry, checkin.Revoked},
				// The reprint is the same person, still inside.
				{"the reprinted code, leaving", newCode, checkin.Exit, checkin.ExitRecorded},
				{"the reprinted code", newCode, checkin.Entry, checkin.Admitted},
				{"someone the change left alone", later.Code, checkin.Entry, checkin.Admitted},
			} {
				if got := MustScan(t, k, c.code, door, c.dir); got != c.want {
					t.Errorf("kiosk at %s after its pull: %s: %s, want %s", door, c.what, got, c.want)
				}
			}
		}
		// Every kiosk had admitted the untouched person and keeps them.
		for i, k := range kiosks {
			if loc := k.Location(untouched.ID); loc == checkin.Outside {
				t.Errorf("kiosk at %s: %s is outside after the change", doors[i], untouched.ID)
			}
		}
		// A second round brings nothing new: the cursor moved past it.
		for i, k := range kiosks {
			if res := MustRound(t, "again at "+doors[i], newSyncer(k, hc)); res.People != 0 || res.Revocations != 0 {
				t.Errorf("kiosk at %s, next round: pulled %+v, want nothing", doors[i], res)
			}
		}
	})
}

// TestCodeHandedOnAtCenter checks that a roster change a kiosk cannot
// apply never stops later changes from reaching it. The kiosk holds that
// a badge code, once issued, stays its person's for good (`usher load`
// refuses a roster that hands a code on: the old holder's badge would
// admit them as someone else). The center must hold the same rule, as
// the issue asks of `usher-central import` ("the same validation and
// upsert rules as usher load"): either it refuses such a roster, or the
// kiosks must still get what follows it. Here one import hands a removed
// person's code to a new registration; a later import revokes another
// person's badge (a reprint), which each kiosk must then deny.
func TestCodeHandedOnAtCenter(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := MustCenter(t, dsn, 40)
		srv := MustServe(t, c.db, "127.0.0.1:0")
		hc := newClient(t, nil)
		doors := []string{"main", "east", "ballroom-north"}
		kiosks := make([]*store.DB, len(doors))
		for i, door := range doors {
			kiosks[i] = MustEnroll(t, c.MustCode(t, srv.url, door), hc)
		}
		attendees := c.Attendees()
		gone, reprinted := attendees[0], attendees[1]

		// The first change: gone leaves; a new registration gets gone's
		// code.
		handedOn := slices.DeleteFunc(slices.Clone(c.people), func(p checkin.Person) bool { return p.ID == gone.ID })
		handedOn = append(handedOn, checkin.Person{ID: "P900001", Name: "New Holder", Category: "attendee", Code: gone.Code})
		_, err := c.db.Import(ctx, demo.Event(), handedOn, nil)
		if err != nil {
			if checkin.ErrorCode(err) != checkin.EINVALID {
				t.Fatalf("import handing a code on: %v, want EINVALID or success", err)
			}
			handedOn = slices.DeleteFunc(slices.Clone(c.people), func(p checkin.Person) bool { return p.ID == gone.ID })
			if _, err := c.db.Import(ctx, demo.Event(), handedOn, nil); err != nil {
				t.Fatal(err)
			}
		}
		// The second: a reprint, which revokes the old code.
		reprint := slices.Clone(handedOn)
		for i := range reprint {
			if reprint[i].ID == reprinted.ID {
				reprint[i].Code = "U-REPRINT0002"
			}
		}
		if _, err := c.db.Import(ctx, demo.Event(), reprint, nil); err != nil {
			t.Fatal(err)
		}
		for i, k := range kiosks {
			_, err := newSyncer(k, hc).Round(ctx)
			if err != nil {
				t.Errorf("kiosk at %s: sync after the center handed code %s on: %v", doors[i], gone.Code, err)
			}
			if r := MustScan(t, k, reprinted.Code, doors[i], checkin.Entry); r != checkin.Revoked {
				t.Errorf("kiosk at %s: the reprinted person's old code after the next pull: %s, want revoked", doors[i], r)
			}
			if r := MustScan(t, k, gone.Code, doors[i], checkin.Entry); r != checkin.Revoked {
				t.Errorf("kiosk at %s: the removed person's code: %s, want revoked", doors[i], r)
			}
		}
	})
}
