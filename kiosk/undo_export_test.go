package kiosk_test

import (
	"context"
	"path/filepath"
	"testing"

	"usher/internal/reporttest"
	"usher/store"
)

// A standalone kiosk's exports leave out what staff undid: the fixture's
// day with scans undone at once gives the day's figures, in the CSV files
// and in the workbook.
func TestExportLeavesOutUndoneScans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	event, roster := reporttest.MustWrite(t, dir)
	path := filepath.Join(dir, "kiosk.db")
	MustRun(t, "", "load", "--db", path, "--event", event, "--roster", roster)
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	clock := &reporttest.Clock{}
	db.Now = clock.Now
	for _, st := range reporttest.WithUndos() {
		clock.Set(st.At)
		st.MustDo(t, ctx, db)
	}
	db.Close()

	out := t.TempDir()
	csvDir := filepath.Join(out, "csv")
	MustRun(t, "", "export", "--db", path, "--format", "csv", "--out", csvDir)
	reporttest.CheckCSV(t, csvDir, "")
	xlsx := filepath.Join(out, "report.xlsx")
	MustRun(t, "", "export", "--db", path, "--format", "xlsx", "--out", xlsx)
	reporttest.CheckXLSX(t, xlsx, "")
}
