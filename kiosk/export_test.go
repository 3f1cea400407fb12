package kiosk_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/checkin"
	"usher/internal/reporttest"
	"usher/store"
)

// MustStandaloneDay loads the fixture into a new kiosk database with
// `usher load` and records the fixture's day on it, at both doors, with
// the kiosk's clock reading the day's times. It returns the database's
// file.
func MustStandaloneDay(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	event, roster := reporttest.MustWrite(tb, dir)
	path := filepath.Join(dir, "kiosk.db")
	MustRun(tb, "", "load", "--db", path, "--event", event, "--roster", roster)
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	clock := &reporttest.Clock{}
	db.Now = clock.Now
	for _, st := range reporttest.Day {
		clock.Set(st.At)
		var d checkin.Decision
		var err error
		if st.Adjust != 0 {
			d, err = db.Adjust(ctx, st.Door, st.Adjust, "no badge")
		} else {
			dir := checkin.Entry
			if st.Exit {
				dir = checkin.Exit
			}
			d, err = db.Scan(ctx, checkin.Scan{Code: st.Code, Door: st.Door, Direction: dir})
		}
		if err != nil || d.Reason != st.Want {
			tb.Fatalf("%s at %s %s: %s (%v), want %s", st.Code, st.Door, st.At.Format("15:04"), d.Reason, err, st.Want)
		}
	}
	return path
}

// A standalone kiosk's exports of the fixture's day hold the same
// figures as the center's.
func TestExport(t *testing.T) {
	db := MustStandaloneDay(t)
	out := t.TempDir()
	t.Run("CSV", func(t *testing.T) {
		dir := filepath.Join(out, "csv")
		stdout := MustRun(t, "", "export", "--db", db, "--format", "csv", "--out", dir)
		reporttest.CheckOutput(t, stdout, filepath.Join(dir, "rooms.csv"), filepath.Join(dir, "sessions.csv"),
			filepath.Join(dir, "conflicts.csv"), filepath.Join(dir, "occupancy.csv"), filepath.Join(dir, "doors.csv"))
		reporttest.CheckCSV(t, dir, "")
	})
	t.Run("XLSX", func(t *testing.T) {
		path := filepath.Join(out, "report.xlsx")
		stdout := MustRun(t, "", "export", "--db", db, "--format", "xlsx", "--out", path)
		reporttest.CheckOutput(t, stdout, path)
		reporttest.CheckXLSX(t, path, "")
	})
	t.Run("PNG", func(t *testing.T) {
		dir := filepath.Join(out, "png")
		stdout := MustRun(t, "", "export", "--db", db, "--format", "png", "--out", dir)
		reporttest.CheckOutput(t, stdout, filepath.Join(dir, "occupancy-venue.png"), filepath.Join(dir, "occupancy-salon.png"))
		reporttest.CheckPNG(t, dir)
	})
	t.Run("SVG", func(t *testing.T) {
		dir := filepath.Join(out, "svg")
		stdout := MustRun(t, "", "export", "--db", db, "--format", "svg", "--out", dir)
		reporttest.CheckOutput(t, stdout, filepath.Join(dir, "occupancy-venue.svg"), filepath.Join(dir, "occupancy-salon.svg"))
		reporttest.CheckSVG(t, dir)
	})
}

// Each bad input gets an error that names it, and writes nothing.
func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	event, roster := reporttest.MustWrite(t, dir)
	loaded := filepath.Join(dir, "kiosk.db")
	MustRun(t, "", "load", "--db", loaded, "--event", event, "--roster", roster)
	empty := filepath.Join(dir, "empty.db") // a kiosk database nothing was loaded into
	db, err := store.Open(empty)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	bad := reporttest.MustBad(t, dir)
	garbage, aFile, existing, missing, out := bad.Garbage, bad.AFile, bad.Existing, bad.Missing, bad.Out
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"ErrUnknownFormat", []string{"--format", "pdf", "--out", out, "--db", loaded}, 2, []string{`unknown format "pdf"`, "csv, xlsx, png, svg"}},
		{"ErrNoFormat", []string{"--out", out, "--db", loaded}, 2, []string{"--format is required"}},
		{"ErrNoOut", []string{"--format", "svg", "--db", loaded}, 2, []string{"--out is required", "folder"}},
		{"ErrNoDB", []string{"--format", "csv", "--out", out}, 2, []string{"--db is required"}},
		{"ErrMissingDB", []string{"--format", "csv", "--out", out, "--db", missing}, 1, []string{missing, "does not exist"}},
		{"ErrUnreadableDB", []string{"--format", "csv", "--out", out, "--db", garbage}, 1, []string{"cannot read kiosk database", garbage}},
		{"ErrNoEvent", []string{"--format", "csv", "--out", out, "--db", empty}, 1, []string{empty, "holds no event", "usher load --db " + empty}},
		{"ErrOutIsAFile", []string{"--format", "csv", "--out", aFile, "--db", loaded}, 1, []string{aFile, "is a file"}},
		{"ErrWorkbookExists", []string{"--format", "xlsx", "--out", existing, "--db", loaded}, 1, []string{existing, "exists", "--force"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"export"}, tc.args...)...)
			t.Log(strings.TrimSpace(r.stderr))
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stdout %q", r.code, tc.code, r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "usher export: ") {
				t.Errorf("stderr %q does not start with the command", r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not say %q", r.stderr, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created", out)
			}
			if _, err := os.Stat(missing); err == nil {
				t.Errorf("%s was created", missing)
			}
			if b, _ := os.ReadFile(existing); string(b) != "an older workbook" {
				t.Errorf("%s was overwritten", existing)
			}
		})
	}
}
