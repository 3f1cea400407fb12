package export_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"usher/checkin"
	"usher/report"
	"usher/report/export"
)

// twoDoors is a venue with a main entrance and a side door, both from
// outside: only the door a move names tells them apart.
const twoDoors = `[event]
id = "td"
[[space]]
id = "venue"
name = "Venue"
capacity = 10
[[door]]
id = "main"
name = "Main Entrance"
from = "outside"
to = "venue"
[[door]]
id = "side"
from = "outside"
to = "venue"
[[category]]
id = "attendee"
may_enter = ["*"]
`

// doors.csv and the Doors sheet give each door's entries and exits; an
// undone scan and its undo count at neither door.
func TestWriteDoors(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 5, 14, 9, m, 0, 0, time.UTC) }
	mv := func(m int, person, to, door, id, undoes string) report.Move {
		return report.Move{At: at(m), Person: person, Category: "attendee", To: to, Door: door, ID: id, Undoes: undoes}
	}
	r := export.Build(mustLog(t, twoDoors,
		mv(0, "p", "venue", "main", "1", ""),
		mv(1, "q", "venue", "side", "2", ""),
		mv(2, "r", "venue", "side", "3", ""),
		mv(3, "r", checkin.Outside, "side", "4", "3"), // staff undo r's entry
		report.Move{At: at(4), From: checkin.Outside, To: "venue", Delta: 2, Door: "main", ID: "5"},
		mv(5, "p", checkin.Outside, "side", "6", ""),
		mv(6, "q", checkin.Outside, "main", "7", ""),
	))
	want := [][]string{
		{"Door", "Door id", "From", "To", "Entries", "Exits"},
		{"Main Entrance", "main", "Outside", "Venue", "3", "1"},
		{"side", "side", "Outside", "Venue", "1", "1"},
	}
	dir := t.TempDir()
	if _, err := export.Write(r, export.Options{Format: "csv", Out: dir}); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, filepath.Join(dir, "doors.csv")); !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("doors.csv\n got %q\nwant %q", rows, want)
	}
	path := filepath.Join(t.TempDir(), "r.xlsx")
	if _, err := export.Write(r, export.Options{Format: "xlsx", Out: path}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Contains(got, "Doors") {
		t.Fatalf("sheets %q, want a Doors sheet", got)
	}
	rows, err := f.GetRows("Doors")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("sheet Doors\n got %q\nwant %q", rows, want)
	}
	if typ, _ := f.GetCellType("Doors", "E2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("sheet Doors E2 is text, want a number")
	}
}
