package central_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/central"
	"usher/centralstore"
	"usher/checkin"
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

// MustFixtureDay imports the fixture into a new SQLite center, serves it
// on loopback, enrolls a kiosk at each door and records the fixture's
// day through them, every kiosk's clock and the center's reading the
// day's times; each kiosk syncs after each of its scans. It returns the
// center's database file and the id of the kiosk at the main door.
func MustFixtureDay(tb testing.TB) (dsn, mainKiosk string) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	event, roster := reporttest.MustWrite(tb, dir)
	dsn = filepath.Join(dir, "central.db")
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
	for _, st := range reporttest.Day {
		clock.Set(st.At)
		k := kiosks[st.Door]
		var d checkin.Decision
		var err error
		if st.Adjust != 0 {
			d, err = k.db.Adjust(ctx, st.Door, st.Adjust, "no badge")
		} else {
			dir := checkin.Entry
			if st.Exit {
				dir = checkin.Exit
			}
			d, err = k.db.Scan(ctx, checkin.Scan{Code: st.Code, Door: st.Door, Direction: dir})
		}
		if err != nil || d.Reason != st.Want {
			tb.Fatalf("%s at %s %s: %s (%v), want %s", st.Code, st.Door, st.At.Format("15:04"), d.Reason, err, st.Want)
		}
		round(st.Door)
	}
	clock.Set(reporttest.At(11, 30))
	round("main")
	round("salon")
	return dsn, kiosks["main"].id
}

// The center's exports of the fixture's day, recorded by two enrolled
// kiosks: the CSV files, the workbook and the charts hold the figures
// worked out by hand in reporttest.
func TestExport(t *testing.T) {
	dsn, mainKiosk := MustFixtureDay(t)
	out := t.TempDir()
	t.Run("CSV", func(t *testing.T) {
		dir := filepath.Join(out, "csv", "new") // created with its parent
		stdout := MustRunCentral(t, "export", "--format", "csv", "--out", dir, "--db", dsn)
		reporttest.CheckOutput(t, stdout, filepath.Join(dir, "rooms.csv"), filepath.Join(dir, "sessions.csv"),
			filepath.Join(dir, "conflicts.csv"), filepath.Join(dir, "occupancy.csv"))
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
