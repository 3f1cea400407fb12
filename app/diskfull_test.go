//go:build linux

package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"usher/checkin"
	"usher/demo"
	"usher/internal/fulldisk"
	"usher/store"
)

// TestDiskFull runs the screen on a kiosk database on a real tmpfs and
// fills it: the next scan is a red DENY that says the disk is full and
// what to do, and in place of Ready a red ALARM stays, through holds,
// more denied scans and staff mode, until a scan is recorded again after
// space is freed. Nobody is admitted meanwhile.
func TestDiskFull(t *testing.T) {
	dir, ok := fulldisk.Dir(t, 2<<20)
	if !ok {
		return
	}
	h := &harness{t: t, ctx: context.Background(), clock: newClock()}
	h.app = test.NewTempApp(t)
	db, err := store.Open(filepath.Join(dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = h.clock.Now
	if _, err := db.Load(h.ctx, demo.Event(), roster()); err != nil {
		t.Fatal(err)
	}
	h.db = db
	h.open(Options{})

	h.scan(ada.Code)
	h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace.")
	free := fulldisk.Fill(t, dir)

	const full = "The kiosk's disk is full: scans cannot be recorded."
	h.advance(time.Minute)
	h.scan(grace.Code)
	h.wantPanel(toneDeny, "ALARM: "+full, alarmAdvice)
	for _, step := range []string{"after the hold", "a minute on"} {
		h.advance(holdBad)
		h.wantPanel(toneAlarm, full, alarmAdvice)
		if t.Failed() {
			t.Fatalf("no alarm %s", step)
		}
		h.advance(time.Minute)
	}
	h.scan(alan.Code)
	h.wantPanel(toneDeny, "ALARM: "+full, alarmAdvice)
	h.advance(holdBad)
	h.wantPanel(toneAlarm, full, alarmAdvice)
	// Staff mode: opening it saves the PIN lockout, which cannot be
	// saved either and says why; after the hold the alarm is back.
	h.unlockStaff()
	h.key(fyne.KeyEscape)
	h.wantPanel(toneWarn, "Something went wrong", "The kiosk's disk is full: the setting was not saved.")
	h.advance(holdBad)
	h.wantPanel(toneAlarm, full, alarmAdvice)
	if got := h.occ(venue); got != 1 {
		t.Errorf("venue occupancy %d on a full disk, want 1", got)
	}

	// Freeing space alone does not clear the alarm: a recorded scan does.
	free()
	h.advance(time.Second)
	h.wantPanel(toneAlarm, full, alarmAdvice)
	h.scan(grace.Code)
	h.wantPanel(toneAdmit, "Grace Hopper · Speaker", "Welcome, Grace Hopper.")
	h.advance(holdGood)
	h.wantReady()
	if got := h.occ(venue); got != 2 {
		t.Errorf("venue occupancy %d, want 2", got)
	}
	for _, r := range h.rows() {
		if r.Reason == string(checkin.LogFailed) || r.Person.String == alan.ID {
			t.Errorf("logged %+v: a scan that failed on the full disk", r)
		}
	}
}
