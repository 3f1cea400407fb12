package export_test

import (
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"usher/checkin"
	"usher/demo"
	"usher/eventfile"
	"usher/report"
	"usher/report/export"
)

// noSchedule is an event without sessions: its reports show the
// machine's zone.
const noSchedule = `[event]
id = "ns"
[[space]]
id = "venue"
name = "Venue"
capacity = 10
[[door]]
id = "main"
from = "outside"
to = "venue"
[[category]]
id = "attendee"
may_enter = ["*"]
`

func mustLog(t *testing.T, src string, moves ...report.Move) report.Log {
	t.Helper()
	ev, err := eventfile.Parse("event.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return report.Log{Event: ev, Moves: moves}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// Without a schedule, times are shown at the machine zone's offset at
// the report's start, and the headers say which.
func TestZoneWithoutSchedule(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("EST", -5*3600)
	at := time.Date(2026, 5, 14, 14, 30, 0, 0, time.UTC)
	r := export.Build(mustLog(t, noSchedule, report.Move{At: at, Person: "p", Category: "attendee", To: "venue"}))
	if z := export.Zone(r).String(); z != "UTC-05:00" {
		t.Errorf("zone %s, want UTC-05:00", z)
	}
	dir := t.TempDir()
	if _, err := export.Write(r, export.Options{Format: "csv", Out: dir}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(dir, "rooms.csv"))
	if rows[0][4] != "Peak time (UTC-05:00)" || rows[1][4] != "2026-05-14 09:30:00" {
		t.Errorf("rooms.csv peak time: %q = %q, want Peak time (UTC-05:00) = 2026-05-14 09:30:00", rows[0][4], rows[1][4])
	}
	if got, want := export.Summary(r), "1 spaces, 0 sessions; fullest: Venue, peak 1 of 10 at 2026-05-14 09:30 (UTC-05:00)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}

	time.Local = time.UTC
	if z := export.Zone(r).String(); z != "UTC" {
		t.Errorf("zone %s, want UTC", z)
	}
}

// A day nobody came to still gives every file, with headers and no
// rows, and charts at zero.
func TestWriteEmptyDay(t *testing.T) {
	r := export.Build(mustLog(t, noSchedule))
	for _, format := range export.Formats {
		out := filepath.Join(t.TempDir(), "out")
		if format == "xlsx" {
			out += ".xlsx"
		}
		paths, err := export.Write(r, export.Options{Format: format, Out: out})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		want := map[string]int{"csv": 5, "xlsx": 1, "png": 1, "svg": 1}[format]
		if len(paths) != want {
			t.Errorf("%s: wrote %q, want %d files", format, paths, want)
		}
		for _, p := range paths {
			if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %s is missing or empty (%v)", format, p, err)
			}
		}
		if format == "csv" {
			if rows := readCSV(t, filepath.Join(out, "occupancy.csv")); len(rows) != 1 {
				t.Errorf("occupancy.csv of an empty day has %d rows, want the header only", len(rows))
			}
		}
	}
	if s := export.Summary(r); !strings.HasSuffix(s, "nobody entered") {
		t.Errorf("summary %q", s)
	}
}

// Written files have their final names and nothing else is left in the
// folder: no temporary file.
func TestWriteLeavesNoTemporaryFiles(t *testing.T) {
	at := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	r := export.Build(mustLog(t, noSchedule, report.Move{At: at, Person: "p", Category: "attendee", To: "venue"}))
	dir := t.TempDir()
	for _, format := range []string{"csv", "png", "svg"} {
		if _, err := export.Write(r, export.Options{Format: format, Out: dir}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := export.Write(r, export.Options{Format: "xlsx", Out: filepath.Join(dir, "r.xlsx")}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"conflicts.csv", "doors.csv", "occupancy-venue.png", "occupancy-venue.svg", "occupancy.csv", "r.xlsx", "rooms.csv", "sessions.csv"}
	if !slices.Equal(names, want) {
		t.Errorf("folder holds %q, want %q", names, want)
	}
	// A second export replaces a folder's files in place.
	if _, err := export.Write(r, export.Options{Format: "csv", Out: dir}); err != nil {
		t.Errorf("second csv export: %v", err)
	}
}

// demoDay is a day at the demo event: 1,500 people come in between 8:00
// and 9:30, and 600 of them go into each ballroom session and back out.
func demoDay(b *testing.B) *report.Report {
	b.Helper()
	ev := demo.Event()
	people := demo.Roster(1500)
	zone := time.FixedZone("", 2*3600)
	day := func(h, m, s int) time.Time { return time.Date(2026, 5, 14, h, m, s, 0, zone) }
	var moves []report.Move
	for i, p := range people {
		moves = append(moves, report.Move{At: day(8, 0, i*3), Person: p.ID, Category: p.Category, To: "venue"})
	}
	for _, ss := range ev.Sessions {
		if ss.Space != "ballroom" {
			continue
		}
		for i, p := range people[:600] {
			in, out := ss.Start.Add(-20*time.Minute+time.Duration(i)*2*time.Second), ss.End.Add(time.Duration(i)*time.Second)
			moves = append(moves, report.Move{At: in, Person: p.ID, Category: p.Category, To: "ballroom"},
				report.Move{At: out, Person: p.ID, Category: p.Category, To: "venue"})
		}
	}
	slices.SortStableFunc(moves, func(a, b report.Move) int { return a.At.Compare(b.At) })
	for i, p := range people {
		moves = append(moves, report.Move{At: day(17, 30, i*2), Person: p.ID, Category: p.Category, To: checkin.Outside})
	}
	return export.Build(report.Log{Event: ev, Moves: moves})
}

// BenchmarkWrite writes each format of the demo day (4 spaces, 6
// sessions, about 6,600 moves).
func BenchmarkWrite(b *testing.B) {
	r := demoDay(b)
	for _, format := range export.Formats {
		b.Run(format, func(b *testing.B) {
			dir := b.TempDir()
			out := dir
			if format == "xlsx" {
				out = filepath.Join(dir, "r.xlsx")
			}
			for b.Loop() {
				if _, err := export.Write(r, export.Options{Format: format, Out: out, Force: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// An export that fails leaves no file, temporary or not, and removes the
// folder it made: here the second chart's file name is too long for the
// file system (a report made by hand, as no event file allows a space id
// of 250 characters).
func TestWriteFailureLeavesNothing(t *testing.T) {
	long := strings.Repeat("r", 250)
	start := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	r := export.Build(mustLog(t, noSchedule, report.Move{At: start, Person: "p", Category: "attendee", To: "venue"}))
	r.Spaces = append(r.Spaces, report.Space{ID: long, Name: "Long", Stats: report.Stats{Capacity: 5, ByCategory: map[string]int{}}})
	parent := t.TempDir()
	out := filepath.Join(parent, "charts")
	paths, err := export.Write(r, export.Options{Format: "png", Out: out})
	if err == nil {
		t.Fatalf("wrote %q", paths)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "occupancy-"+long+".png") {
		t.Errorf("error %q does not name the file", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("%s holds %v after a failed export", parent, entries[0].Name())
	}

	// Into a folder that exists: it stays, without the files.
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := export.Write(r, export.Options{Format: "png", Out: out}); err == nil {
		t.Fatal("second export succeeded")
	}
	if entries, err := os.ReadDir(out); err != nil || len(entries) != 0 {
		t.Errorf("%s after a failed export: %v (%v), want it empty", out, entries, err)
	}
}

// hostile is an event whose names, written by whoever made the event
// file, start like spreadsheet formulas; its space id starts with '-'.
const hostile = `[event]
id = "hostile"
[[space]]
id = "-venue"
name = "@SUM(A1)"
capacity = 10
[[door]]
id = "main"
from = "outside"
to = "-venue"
[[category]]
id = "attendee"
name = '=HYPERLINK("http://x","y")'
may_enter = ["*"]
[[session]]
title = "+Opening"
room = "-venue"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00
`

// No cell of the CSV files, header or row, starts like a formula a
// spreadsheet would run: text from the event file or the roster is
// written after a ', numbers as numbers.
func TestCSVFormulaCells(t *testing.T) {
	zone := time.FixedZone("", 2*3600)
	at := time.Date(2026, 5, 14, 9, 30, 0, 0, zone)
	log := mustLog(t, hostile, report.Move{At: at, Person: "=cmd|' /C calc'!A0", Category: "attendee", To: "-venue"})
	log.Conflicts = []report.Conflict{{Kind: "exit_without_admission", Person: `=HYPERLINK("http://x","y")`, Kiosk: "-k",
		Door: "main", At: at}}
	dir := t.TempDir()
	if _, err := export.Write(export.Build(log), export.Options{Format: "csv", Out: dir}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][][]string{
		"rooms.csv": {
			{"Room", "Room id", "Capacity", "Peak", "Peak time (UTC+02:00)", "Unique people", "Entries", "Exits",
				"Minutes at or over capacity", `'=HYPERLINK("http://x","y")`},
			{"'@SUM(A1)", "'-venue", "10", "1", "2026-05-14 09:30:00", "1", "1", "0", "0.0", "1"},
		},
		"conflicts.csv": {
			{"Time (UTC+02:00)", "Kind", "Person", "Kiosk", "Door"},
			{"2026-05-14 09:30:00", "exit_without_admission", `'=HYPERLINK("http://x","y")`, "'-k", "main"},
		},
	} {
		if got := readCSV(t, filepath.Join(dir, name)); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	sessions := readCSV(t, filepath.Join(dir, "sessions.csv"))
	if h := sessions[0][len(sessions[0])-1]; h != `'=HYPERLINK("http://x","y")` {
		t.Errorf("sessions.csv category heading %q", h)
	}
	if s := sessions[1][0]; s != "'+Opening" {
		t.Errorf("sessions.csv session %q", s)
	}

	// A workbook's cells are typed: the same names are text as they are.
	path := filepath.Join(dir, "r.xlsx")
	if _, err := export.Write(export.Build(log), export.Options{Format: "xlsx", Out: path}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, ref := range []struct{ sheet, cell, want string }{
		{"Rooms", "J1", `=HYPERLINK("http://x","y")`}, {"Rooms", "A2", "@SUM(A1)"}, {"Conflicts", "C2", `=HYPERLINK("http://x","y")`},
	} {
		v, _ := f.GetCellValue(ref.sheet, ref.cell)
		formula, _ := f.GetCellFormula(ref.sheet, ref.cell)
		if v != ref.want || formula != "" {
			t.Errorf("workbook %s %s = %q, formula %q; want the text %q", ref.sheet, ref.cell, v, formula, ref.want)
		}
	}
}

// With Force a workbook replaces only a regular file: a named pipe, a
// device, a folder or a symbolic link (to any of them, or to a file, which
// the link, not the file, would be replaced by) is refused, named, and
// left as it was. Without Force the same is said first, not "add --force".
func TestWriteReplacesOnlyRegularFiles(t *testing.T) {
	r := export.Build(mustLog(t, noSchedule))
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.xlsx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file.xlsx")
	if err := os.WriteFile(file, []byte("an older workbook"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := func(name, target string) string {
		path := filepath.Join(dir, name)
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		name, out string
		want      []string
	}{
		{"ErrNamedPipe", fifo, []string{fifo, "is a named pipe"}},
		{"ErrFolder", dir, []string{dir, "is a folder"}},
		{"ErrLinkToDevice", link("null.xlsx", os.DevNull), []string{filepath.Join(dir, "null.xlsx"), "symbolic link", os.DevNull}},
		{"ErrLinkToFolder", link("dir.xlsx", dir), []string{filepath.Join(dir, "dir.xlsx"), "symbolic link", dir}},
		{"ErrLinkToNamedPipe", link("fifolink.xlsx", fifo), []string{filepath.Join(dir, "fifolink.xlsx"), "symbolic link"}},
		{"ErrLinkToFile", link("filelink.xlsx", file), []string{filepath.Join(dir, "filelink.xlsx"), "symbolic link", file}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, force := range []bool{true, false} {
				paths, err := export.Write(r, export.Options{Format: "xlsx", Out: tc.out, Force: force})
				if err == nil {
					t.Fatalf("force %v: wrote %q", force, paths)
				}
				if checkin.ErrorCode(err) != checkin.EINVALID {
					t.Errorf("force %v: error %v is not %s", force, err, checkin.EINVALID)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("force %v: error %q does not say %q", force, err, w)
					}
				}
			}
		})
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a named pipe (%v)", fifo, err)
	}
	if b, _ := os.ReadFile(file); string(b) != "an older workbook" {
		t.Errorf("%s was overwritten through a link", file)
	}
	if _, err := export.Write(r, export.Options{Format: "xlsx", Out: file, Force: true}); err != nil {
		t.Errorf("replacing a regular file: %v", err)
	}
}

// A CSV or chart export replaces the files of its names in its folder,
// but only regular files: a named pipe or a link there is refused and no
// file is written.
func TestWriteFolderReplacesOnlyRegularFiles(t *testing.T) {
	r := export.Build(mustLog(t, noSchedule))
	elsewhere := filepath.Join(t.TempDir(), "chart.png")
	for _, tc := range []struct {
		name, format, file string
		make               func(path string) error
		what               string
	}{
		{"NamedPipe", "csv", "sessions.csv", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "is a named pipe"},
		{"LinkToDevice", "csv", "rooms.csv", func(p string) error { return os.Symlink(os.DevNull, p) }, "is a symbolic link to " + os.DevNull},
		{"LinkToFile", "png", "occupancy-venue.png", func(p string) error { return os.Symlink(elsewhere, p) }, "is a symbolic link to " + elsewhere},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			if err := tc.make(path); err != nil {
				t.Fatal(err)
			}
			paths, err := export.Write(r, export.Options{Format: tc.format, Out: dir, Force: true})
			if err == nil {
				t.Fatalf("wrote %q", paths)
			}
			if !strings.Contains(err.Error(), path+" "+tc.what) {
				t.Errorf("error %q does not say %s %s", err, path, tc.what)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%s holds %d entries after a refused export, want only %s", dir, len(entries), tc.file)
			}
		})
	}
}

// twoCategories is noSchedule with a second category, that nobody of
// comes as.
const twoCategories = noSchedule + `[[category]]
id = "sponsor"
name = "Sponsor"
may_enter = ["venue"]
`

// mustRooms writes r as CSV files and as a workbook and returns the
// rooms table of each, which must be the same.
func mustRooms(t *testing.T, r *report.Report) [][]string {
	t.Helper()
	dir := t.TempDir()
	if _, err := export.Write(r, export.Options{Format: "csv", Out: dir}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(dir, "rooms.csv"))
	path := filepath.Join(dir, "r.xlsx")
	if _, err := export.Write(r, export.Options{Format: "xlsx", Out: path}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, err := f.GetRows("Rooms")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(rows, sheet, slices.Equal) {
		t.Errorf("rooms.csv %q, sheet Rooms %q", rows, sheet)
	}
	return rows
}

// An admission staff undid is in no figure of the files, nor is its
// undo: one person came, once.
func TestWriteLeavesOutUndoneScans(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 5, 14, 9, m, 0, 0, time.UTC) }
	r := export.Build(mustLog(t, twoCategories,
		report.Move{At: at(0), Person: "p", Category: "attendee", To: "venue", ID: "1"},
		report.Move{At: at(1), Person: "q", Category: "sponsor", To: "venue", ID: "2"},
		report.Move{At: at(2), Person: "q", Category: "sponsor", To: checkin.Outside, ID: "3", Undoes: "2"},
		report.Move{At: at(3), From: checkin.Outside, To: "venue", Delta: 1, ID: "4"},
		report.Move{At: at(4), From: checkin.Outside, To: "venue", Delta: -1, ID: "5", Undoes: "4"},
		report.Move{At: at(5), Person: "p", Category: "attendee", To: checkin.Outside, ID: "6"},
	))
	rows := mustRooms(t, r)
	// Room, id, capacity, peak, its time, unique, entries, exits, minutes
	// at or over capacity, attendees, sponsors.
	want := []string{"Venue", "venue", "10", "1", "", "1", "1", "1", "0.0", "1", "0"}
	if len(rows) != 2 || len(rows[1]) != len(want) {
		t.Fatalf("rooms %q, want a row like %q", rows, want)
	}
	rows[1][4] = "" // the peak's time, in the machine's zone
	if !slices.Equal(rows[1], want) {
		t.Errorf("venue %q, want %q", rows[1], want)
	}
}

// Every category of the event has its column, zeros included, in the
// event's order.
func TestWriteEveryCategoryHasAColumn(t *testing.T) {
	at := time.Date(2026, 5, 14, 9, 0, 0, 0, time.UTC)
	r := export.Build(mustLog(t, twoCategories, report.Move{At: at, Person: "p", Category: "attendee", To: "venue"}))
	rows := mustRooms(t, r)
	if h := rows[0]; len(h) != 11 || h[9] != "attendee" || h[10] != "Sponsor" {
		t.Errorf("rooms.csv header %q, want columns attendee, Sponsor last", h)
	}
	if len(rows) != 2 || len(rows[1]) != 11 || rows[1][9] != "1" || rows[1][10] != "0" {
		t.Errorf("rooms.csv %q, want 1 attendee and 0 sponsors", rows)
	}
}
