package central_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"usher/central"
	"usher/centralstore"
	"usher/internal/pgtest"
	"usher/internal/reporttest"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/server"
	"usher/sync/wire"
)

// runCentral runs usher-central in-process.
func runCentral(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = central.Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// MustRunCentral runs usher-central and fails the test unless it exits 0.
func MustRunCentral(tb testing.TB, args ...string) string {
	tb.Helper()
	code, out, errOut := runCentral(args...)
	if code != 0 {
		tb.Fatalf("usher-central %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// doorKiosk is an enrolled kiosk at one door with its sync loop.
type doorKiosk struct {
	db   *store.DB
	sync *kiosksync.Syncer
	id   string
}

// MustFixtureDay records the fixture's day (reporttest.Day) through
// MustFixtureSteps and returns the id of the kiosk at the main door.
func MustFixtureDay(tb testing.TB, dsn string) (mainKiosk string) {
	tb.Helper()
	return MustFixtureSteps(tb, dsn, reporttest.Day)
}

// MustFixtureSteps imports the fixture into the new center dsn, serves it on loopback, enrolls a
// kiosk at each door and does the steps through them, every clock
// reading the steps' times; each kiosk syncs after each of its steps. It
// returns the id of the kiosk at the main door.
func MustFixtureSteps(tb testing.TB, dsn string, steps []reporttest.Step) (mainKiosk string) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	event, roster := reporttest.MustWrite(tb, dir)
	MustRunCentral(tb, "import", "--event", event, "--roster", roster, "--db", dsn)

	clock := &reporttest.Clock{}
	clock.Set(reporttest.At(8, 0))
	db, err := centralstore.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.Now = clock.Now
	srv := httptest.NewServer(server.New(db, log.New(io.Discard, "", 0)))
	tb.Cleanup(srv.Close)
	hc := &http.Client{Timeout: time.Minute}
	tb.Cleanup(hc.CloseIdleConnections)

	kiosks := map[string]*doorKiosk{}
	for _, door := range []string{"main", "salon"} {
		token, err := db.CreateEnrollment(ctx, door)
		if err != nil {
			tb.Fatal(err)
		}
		k, err := store.Open(filepath.Join(dir, "kiosk-"+door+".db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { k.Close() })
		k.Now = clock.Now
		if err := kiosksync.Enroll(ctx, k, wire.EnrollCode{URL: srv.URL, Door: door, Token: token}.String(), hc); err != nil {
			tb.Fatalf("enroll at %s: %v", door, err)
		}
		s := kiosksync.New(k, hc)
		s.Now, s.Log = clock.Now, log.New(io.Discard, "", 0)
		id, err := k.Identity(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		kiosks[door] = &doorKiosk{k, s, id.KioskID}
	}
	round := func(door string) {
		tb.Helper()
		if _, err := kiosks[door].sync.Round(ctx); err != nil {
			tb.Fatalf("sync of the kiosk at %s: %v", door, err)
		}
	}
	for range 2 { // rights are shared out
		round("main")
		round("salon")
	}
	for _, st := range steps {
		clock.Set(st.At)
		st.MustDo(tb, ctx, kiosks[st.Door].db)
		round(st.Door)
	}
	clock.Set(reporttest.At(11, 30))
	round("main")
	round("salon")
	return kiosks["main"].id
}

// The center's exports of the fixture's day, recorded by two enrolled
// kiosks: the CSV files, the workbook and the charts hold the figures
// worked out by hand in reporttest.
func TestExport(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "central.db")
	mainKiosk := MustFixtureDay(t, dsn)
	out := t.TempDir()
	t.Run("CSV", func(t *testing.T) {
		dir := filepath.Join(out, "csv", "new") // created with its parent
		stdout := MustRunCentral(t, "export", "--format", "csv", "--out", dir, "--db", dsn)
		reporttest.CheckOutput(t, stdout, filepath.Join(dir, "rooms.csv"), filepath.Join(dir, "sessions.csv"),
			filepath.Join(dir, "conflicts.csv"), filepath.Join(dir, "occupancy.csv"), filepath.Join(dir, "doors.csv"))
		reporttest.CheckCSV(t, dir, mainKiosk)
	})
	t.Run("XLSX", func(t *testing.T) {
		path := filepath.Join(out, "report.xlsx")
		stdout := MustRunCentral(t, "export", "--db", dsn, "--format", "xlsx", "--out", path)
		reporttest.CheckOutput(t, stdout, path)
		reporttest.CheckXLSX(t, path, mainKiosk)
	})
	t.Run("PNG", func(t *testing.T) {
		dir := filepath.Join(out, "png")
		stdout := MustRunCentral(t, "export", "--db", dsn, "--format", "png", "--out", dir)
		reporttest.CheckOutput(t, stdout, filepath.Join(dir, "occupancy-venue.png"), filepath.Join(dir, "occupancy-salon.png"))
		reporttest.CheckPNG(t, dir)
	})
	t.Run("SVG", func(t *testing.T) {
		dir := filepath.Join(out, "svg")
		stdout := MustRunCentral(t, "export", "--db", dsn, "--format", "svg", "--out", dir)
		reporttest.CheckOutput(t, stdout, filepath.Join(dir, "occupancy-venue.svg"), filepath.Join(dir, "occupancy-salon.svg"))
		reporttest.CheckSVG(t, dir)
	})
}

// Each bad input gets an error that names it, and writes nothing.
func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	event, roster := reporttest.MustWrite(t, dir)
	dsn := filepath.Join(dir, "central.db")
	MustRunCentral(t, "import", "--event", event, "--roster", roster, "--db", dsn)
	empty := filepath.Join(dir, "empty.db") // a center nobody imported an event into
	db, err := centralstore.Open(empty)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	bad := reporttest.MustBad(t, dir)
	garbage, aFile, existing, missing, out := bad.Garbage, bad.AFile, bad.Existing, bad.Missing, bad.Out
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"ErrUnknownFormat", []string{"--format", "pdf", "--out", out, "--db", dsn}, []string{`unknown format "pdf"`, "csv, xlsx, png, svg"}},
		{"ErrNoFormat", []string{"--out", out, "--db", dsn}, []string{"--format is required", "csv, xlsx, png, svg"}},
		{"ErrNoOut", []string{"--format", "csv", "--db", dsn}, []string{"--out is required", "folder"}},
		{"ErrNoOutXLSX", []string{"--format", "xlsx", "--db", dsn}, []string{"--out is required", "report.xlsx"}},
		{"ErrMissingDB", []string{"--format", "csv", "--out", out, "--db", missing}, []string{missing, "does not exist"}},
		{"ErrUnreadableDB", []string{"--format", "csv", "--out", out, "--db", garbage}, []string{"cannot read central database", garbage}},
		{"ErrNoEvent", []string{"--format", "csv", "--out", out, "--db", empty}, []string{"no event is imported", "usher-central import"}},
		{"ErrOutIsAFile", []string{"--format", "png", "--out", aFile, "--db", dsn}, []string{aFile, "is a file", "folder"}},
		{"ErrWorkbookIsAFolder", []string{"--format", "xlsx", "--out", dir, "--db", dsn}, []string{dir, "is a folder"}},
		{"ErrWorkbookExists", []string{"--format", "xlsx", "--out", existing, "--db", dsn}, []string{existing, "exists", "--force"}},
		{"ErrWorkbookFolderMissing", []string{"--format", "xlsx", "--out", filepath.Join(dir, "nope", "r.xlsx"), "--db", dsn},
			[]string{filepath.Join(dir, "nope"), "does not exist"}},
		{"ErrExtraArgument", []string{"--format", "csv", "--out", out, "--db", dsn, "extra"}, []string{`unexpected argument "extra"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCentral(append([]string{"export"}, tc.args...)...)
			if code == 0 {
				t.Fatalf("exit 0, printed %q", stdout)
			}
			t.Log(strings.TrimSpace(stderr))
			if !strings.HasPrefix(stderr, "usher-central export: ") {
				t.Errorf("stderr %q does not start with the command", stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
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

	t.Run("ForceReplacesWorkbook", func(t *testing.T) {
		stdout := MustRunCentral(t, "export", "--format", "xlsx", "--out", existing, "--force", "--db", dsn)
		if !strings.Contains(stdout, "wrote "+existing) {
			t.Errorf("printed %q", stdout)
		}
		if b, _ := os.ReadFile(existing); !bytes.HasPrefix(b, []byte("PK")) {
			t.Errorf("%s is not a workbook (zip) after --force", existing)
		}
	})

	// --force replaces a workbook, never a named pipe (nor a device, a
	// folder or a link): it stays, and the error says what it is.
	t.Run("ErrForceNamedPipe", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "report.xlsx")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCentral("export", "--format", "xlsx", "--out", fifo, "--force", "--db", dsn)
		if code == 0 {
			t.Fatalf("exit 0, printed %q", stdout)
		}
		if !strings.Contains(stderr, fifo+" is a named pipe") {
			t.Errorf("stderr %q does not say %s is a named pipe", stderr, fifo)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("%s is no longer a named pipe (%v)", fifo, err)
		}
	})

	// A folder where a file is to go: all files or none, and no temporary
	// file left behind.
	t.Run("ErrFileNameIsAFolder", func(t *testing.T) {
		csvDir := filepath.Join(dir, "csv")
		if err := os.MkdirAll(filepath.Join(csvDir, "sessions.csv", "inside"), 0o755); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCentral("export", "--format", "csv", "--out", csvDir, "--db", dsn)
		if code == 0 || !strings.Contains(stderr, filepath.Join(csvDir, "sessions.csv")+" is a folder") {
			t.Errorf("exit %d, stderr %q; want an error naming sessions.csv", code, stderr)
		}
		entries, err := os.ReadDir(csvDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "sessions.csv" {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("%s holds %q after a failed export, want only the folder sessions.csv", csvDir, names)
		}
	})
}

// The same day through a center on PostgreSQL gives the same tables.
func TestExportPostgreSQL(t *testing.T) {
	dsn := pgtest.FreshDB(t)
	mainKiosk := MustFixtureDay(t, dsn)
	out := t.TempDir()
	dir := filepath.Join(out, "csv")
	stdout := MustRunCentral(t, "export", "--format", "csv", "--out", dir, "--db", dsn)
	reporttest.CheckOutput(t, stdout, filepath.Join(dir, "rooms.csv"), filepath.Join(dir, "sessions.csv"),
		filepath.Join(dir, "conflicts.csv"), filepath.Join(dir, "occupancy.csv"), filepath.Join(dir, "doors.csv"))
	reporttest.CheckCSV(t, dir, mainKiosk)
	path := filepath.Join(out, "report.xlsx")
	MustRunCentral(t, "export", "--format", "xlsx", "--out", path, "--db", dsn)
	reporttest.CheckXLSX(t, path, mainKiosk)
}
