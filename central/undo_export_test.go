package central_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"usher/centralstore"
	"usher/internal/pgtest"
	"usher/internal/reporttest"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/server"
	"usher/sync/wire"
)

// MustFixtureSteps is MustFixtureDay with steps for the day: it imports
// the fixture into the new center dsn, serves it on loopback, enrolls a
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

	type doorKiosk struct {
		db   *store.DB
		sync *kiosksync.Syncer
		id   string
	}
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

// The center's exports leave out what staff undid at the kiosks: the
// fixture's day with scans undone at once gives the day's figures, in
// the CSV files and in the workbook, on SQLite and on PostgreSQL.
func TestExportLeavesOutUndoneScans(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "central.db") }},
		{"PostgreSQL", func(t *testing.T) string { return pgtest.FreshDB(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := tc.dsn(t)
			mainKiosk := MustFixtureSteps(t, dsn, reporttest.WithUndos())
			out := t.TempDir()
			dir := filepath.Join(out, "csv")
			MustRunCentral(t, "export", "--format", "csv", "--out", dir, "--db", dsn)
			reporttest.CheckCSV(t, dir, mainKiosk)
			path := filepath.Join(out, "report.xlsx")
			MustRunCentral(t, "export", "--format", "xlsx", "--out", path, "--db", dsn)
			reporttest.CheckXLSX(t, path, mainKiosk)
		})
	}
}
