package central_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/internal/pgtest"
	"usher/internal/reporttest"
)

// `usher-central import` says whether it created the event, updated it
// or found it unchanged.
func TestImportSaysWhatItDidToTheEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "central.db") }},
		{"PostgreSQL", func(t *testing.T) string { return pgtest.FreshDB(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			event, roster := reporttest.MustWrite(t, dir)
			dsn := tc.dsn(t)
			first := func(stdout string) string { return strings.SplitN(stdout, "\n", 2)[0] }
			if got := first(MustRunCentral(t, "import", "--event", event, "--roster", roster, "--db", dsn)); got != "event fx: created" {
				t.Errorf("import into a new database: %q, want %q", got, "event fx: created")
			}
			if got := first(MustRunCentral(t, "import", "--event", event, "--db", dsn)); got != "event fx: unchanged" {
				t.Errorf("import of the same event: %q, want %q", got, "event fx: unchanged")
			}
			if err := os.WriteFile(event, []byte(strings.Replace(reporttest.Event, "capacity = 50", "capacity = 60", 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := first(MustRunCentral(t, "import", "--event", event, "--db", dsn)); got != "event fx: updated" {
				t.Errorf("import of a changed event: %q, want %q", got, "event fx: updated")
			}
		})
	}
}
