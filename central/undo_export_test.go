package central_test

import (
	"path/filepath"
	"testing"

	"usher/internal/pgtest"
	"usher/internal/reporttest"
)

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
