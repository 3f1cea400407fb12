package doorprint_test

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/demo"
	"usher/doorprint"
	"usher/printing/cupstest"
	"usher/store"
)

// door is a kiosk database on the demo event, its signing key, and a
// desk printing with it.
type door struct {
	db     *store.DB
	ev     *checkin.Event
	key    ed25519.PrivateKey
	people []checkin.Person
	desk   *doorprint.Desk
}

func mustDoor(t *testing.T) *door {
	t.Helper()
	dir := t.TempDir()
	if err := demo.Write(dir, 5); err != nil {
		t.Fatal(err)
	}
	ev, key, err := demo.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	people := demo.Roster(5)
	people[4].Revoked = "refunded ticket"
	if _, err := db.Load(context.Background(), ev, people); err != nil {
		t.Fatal(err)
	}
	return &door{db: db, ev: db.Event(), key: key, people: people, desk: &doorprint.Desk{Store: db, Key: key}}
}

// badgeOf signs p's badge of serial, valid today.
func (d *door) badgeOf(t *testing.T, p checkin.Person, serial uint32) string {
	t.Helper()
	p.Serial = serial
	now := time.Now()
	code, err := badge.Code(d.ev, p, d.key, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (d *door) scan(t *testing.T, code string) checkin.Decision {
	t.Helper()
	dec, err := d.db.Scan(context.Background(), checkin.Scan{Code: code, Door: "main", Direction: checkin.Entry})
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

// A badge printed at the door goes through a real CUPS (cups-pdf): the
// PDF that comes out is the media's size, its QR read back by zbar is
// the new badge, which the door admits, while the badge the person held
// before is refused as replaced.
func TestPrintAtTheDoorThroughCUPS(t *testing.T) {
	queue, out := cupstest.MustCUPS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := mustDoor(t)
	for i, tc := range []struct {
		media string
		w, h  float64
	}{{"label", 62, 100}, {"A6", 105, 148}} {
		p := d.people[i]
		old := d.badgeOf(t, p, 1)
		if dec := d.scan(t, old); dec.Kind != checkin.Admit {
			t.Fatalf("%s's badge before the reprint: %s %s", p.ID, dec.Kind, dec.Reason)
		}
		got, err := d.desk.PrintBadge(ctx, p.ID, queue, tc.media)
		if err != nil {
			t.Fatalf("print on %s: %v", tc.media, err)
		}
		if got.Person.ID != p.ID || got.Person.Serial != 2 || !strings.HasPrefix(got.Job, queue+"-") {
			t.Fatalf("printed %s serial %d as job %q; want %s serial 2 on %s", got.Person.ID, got.Person.Serial, got.Job, p.ID, queue)
		}
		pdf := cupstest.WaitForPDF(t, ctx, out, got.Job)
		if w, h := cupstest.PageMM(t, ctx, pdf); w < tc.w-1 || w > tc.w+1 || h < tc.h-1 || h > tc.h+1 {
			t.Errorf("%s: printed page %.1f × %.1f mm, want %g × %g", tc.media, w, h, tc.w, tc.h)
		}
		code := cupstest.ReadQR(t, ctx, pdf)
		if code != got.Code {
			t.Fatalf("the printed QR says %q, want the new badge %q", code, got.Code)
		}
		if dec := d.scan(t, old); dec.Reason != checkin.Revoked {
			t.Errorf("the old badge after the reprint: %s %s, want revoked", dec.Kind, dec.Reason)
		}
		if dec := d.scan(t, code); dec.Kind != checkin.Admit || dec.Person == nil || dec.Person.ID != p.ID {
			t.Errorf("the printed badge: %s %s, want %s admitted", dec.Kind, dec.Reason, p.ID)
		}
	}
}

// Print through the screen's interface: with Do, the work runs on its
// own goroutine and done through Do; without, before Print returns.
func TestPrintCallsDone(t *testing.T) {
	queue, _ := cupstest.MustCUPS(t)
	d := mustDoor(t)
	var ran []string
	d.desk.Print(d.people[0].ID, queue, checkin.MediaLabel, func(serial uint32, job, _ string, err error) {
		ran = append(ran, job)
		if err != nil || serial != 2 || job == "" {
			t.Errorf("done(%d, %q, %v), want serial 2 and a job", serial, job, err)
		}
	})
	if len(ran) != 1 {
		t.Fatalf("without Do, done ran %d times before Print returned", len(ran))
	}
	ui := make(chan func(), 1)
	d.desk.Do = func(f func()) { ui <- f }
	result := make(chan uint32, 1)
	d.desk.Print(d.people[0].ID, queue, checkin.MediaA6, func(serial uint32, job, _ string, err error) {
		if err != nil {
			t.Error(err)
		}
		result <- serial
	})
	select {
	case f := <-ui:
		f()
	case <-time.After(time.Minute):
		t.Fatal("Print never handed done to Do")
	}
	if got := <-result; got != 3 {
		t.Errorf("the second print's serial = %d, want 3", got)
	}
}

// Nothing is printed, and the badge the person holds still admits, when
// the kiosk has no signing key, its key is not the event's, the printer
// does not exist, the media is unknown, or the person is not someone a
// door admits.
func TestNoPrintLeavesTheBadge(t *testing.T) {
	queue, _ := cupstest.MustCUPS(t)
	ctx := context.Background()
	d := mustDoor(t)
	_, stranger, _ := ed25519.GenerateKey(nil)
	p := d.people[0]
	for _, tc := range []struct {
		name         string
		key          ed25519.PrivateKey
		person       string
		queue, media string
		code         string
		says         []string
	}{
		{"no key", nil, p.ID, queue, "label", checkin.EINVALID, []string{"no badge signing key", "--signing-key"}},
		{"another event's key", stranger, p.ID, queue, "label", checkin.EINVALID, []string{"key"}},
		{"no such printer", d.key, p.ID, "Usher-No-Such-Queue", "label", checkin.ENOTFOUND, []string{"No badge printed", "still works", "Usher-No-Such-Queue"}},
		{"unknown media", d.key, p.ID, queue, "letter", checkin.EINVALID, []string{"letter"}},
		{"refunded ticket", d.key, d.people[4].ID, queue, "label", checkin.ECONFLICT, []string{"refunded ticket", "no badge printed"}},
		{"not on the roster", d.key, "P404", queue, "label", checkin.ENOTFOUND, []string{"P404"}},
	} {
		desk := &doorprint.Desk{Store: d.db, Key: tc.key}
		_, err := desk.PrintBadge(ctx, tc.person, tc.queue, tc.media)
		if checkin.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v (%s), want %s", tc.name, err, checkin.ErrorCode(err), tc.code)
		}
		for _, s := range tc.says {
			if !strings.Contains(checkin.ErrorMessage(err), s) {
				t.Errorf("%s: %q does not say %q", tc.name, checkin.ErrorMessage(err), s)
			}
		}
		if tc.key == nil {
			if _, _, err := desk.Printers(ctx); checkin.ErrorCode(err) != checkin.EINVALID {
				t.Errorf("Printers without a key: %v", err)
			}
		}
	}
	if dec := d.scan(t, d.badgeOf(t, p, 1)); dec.Kind != checkin.Admit {
		t.Errorf("after the refused prints, %s's badge: %s %s, want admitted", p.ID, dec.Kind, dec.Reason)
	}
}
