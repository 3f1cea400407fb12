package kiosk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/internal/reporttest"
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
