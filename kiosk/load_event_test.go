package kiosk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/checkin"
	"usher/internal/reporttest"
	"usher/store"
)

// `usher load` says whether it created the event in the database,
// updated it or found it unchanged.
func TestLoadSaysWhatItDidToTheEvent(t *testing.T) {
	dir := t.TempDir()
	event, roster := reporttest.MustWrite(t, dir)
	db := filepath.Join(dir, "kiosk.db")
	first := func(stdout string) string { return strings.SplitN(stdout, "\n", 2)[0] }
	const counts = "2 spaces, 2 doors, 4 categories"
	if got, want := first(MustRun(t, "", "load", "--db", db, "--event", event, "--roster", roster)), "event fx: created, "+counts; got != want {
		t.Errorf("load into a new database: %q, want %q", got, want)
	}
	if got, want := first(MustRun(t, "", "load", "--db", db, "--event", event)), "event fx: unchanged, "+counts; got != want {
		t.Errorf("load of the same event: %q, want %q", got, want)
	}
	if err := os.WriteFile(event, []byte(strings.Replace(reporttest.Event, "capacity = 50", "capacity = 60", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := first(MustRun(t, "", "load", "--db", db, "--event", event)), "event fx: updated, "+counts; got != want {
		t.Errorf("load of a changed event: %q, want %q", got, want)
	}
}

// An event file with a staff PIN is hashed anew at every read, under a
// new salt: the same file loaded again is still unchanged, and keeps the
// stored hash.
func TestLoadSamePINUnchanged(t *testing.T) {
	k := MustKioskOf(t, 10) // the demo event: staff_pin = "2468"
	before := k.storedEvent(t)
	if before.StaffPINHash == "" {
		t.Fatal("the demo event stored no PIN hash")
	}
	out := MustRun(t, "", "load", "--db", k.db, "--event", k.event)
	if first := strings.SplitN(out, "\n", 2)[0]; !strings.HasPrefix(first, "event demo: unchanged, ") {
		t.Errorf("load of the same event with a PIN: %q, want unchanged", first)
	}
	if after := k.storedEvent(t); after.StaffPINHash != before.StaffPINHash {
		t.Errorf("the stored PIN hash changed: %q, was %q", after.StaffPINHash, before.StaffPINHash)
	}
}

// storedEvent is the event the kiosk's database holds.
func (k kioskDir) storedEvent(tb testing.TB) *checkin.Event {
	tb.Helper()
	db, err := store.Open(k.db)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	return db.Event()
}
