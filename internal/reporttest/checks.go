package reporttest

import (
	"encoding/csv"
	"encoding/xml"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// Spaces are the fixture's space ids, in the event's order.
var Spaces = []string{"venue", "salon"}

// Tables are the reports the fixture's day must give, as the CSV files
// hold them and the workbook's sheets show them, in file order; kiosk is
// the id of the kiosk that recorded Cat's exit ("" on a standalone
// kiosk).
func Tables(kiosk string) []Table {
	return []Table{
		{"rooms.csv", "Rooms", [][]string{
			{"Room", "Room id", "Capacity", "Peak", "Peak time (UTC+02:00)", "Unique people", "Entries", "Exits",
				"Minutes at or over capacity", "Attendee", "Speaker", "Sponsor", "Staff", "Without badge"},
			// Ann, Ben, Sue, Tom and one without a badge; Cat never came in,
			// nor any sponsor.
			{"Hall of Fame", "venue", "50", "5", "2026-05-14 08:55:00", "5", "5", "5", "0.0", "2", "1", "0", "1", "1"},
			{"Salon", "salon", "3", "3", "2026-05-14 09:20:00", "4", "4", "4", "45.0", "2", "1", "0", "1", "0"},
		}},
		{"sessions.csv", "Sessions", [][]string{
			{"Session", "Room", "Start (UTC+02:00)", "End (UTC+02:00)", "Capacity", "Peak", "Peak time (UTC+02:00)",
				"Unique people", "Entries", "Exits", "Minutes at or over capacity", "Attendee", "Speaker", "Sponsor", "Staff", "Without badge"},
			// Ann, Sue, Ben come in; Ben leaves at 09:50.
			{"Opening", "Salon", "2026-05-14 09:00:00", "2026-05-14 10:00:00", "3", "3", "2026-05-14 09:20:00",
				"3", "3", "1", "30.0", "2", "1", "0", "0", "0"},
			// Ann and Sue are inside at 10:00, Tom comes in, all three leave.
			{"Workshop", "Salon", "2026-05-14 10:00:00", "2026-05-14 11:00:00", "3", "3", "2026-05-14 10:10:00",
				"3", "1", "3", "15.0", "1", "1", "0", "1", "0"},
		}},
		{"conflicts.csv", "Conflicts", [][]string{
			{"Time (UTC+02:00)", "Kind", "Person", "Kiosk", "Door"},
			{"2026-05-14 10:55:00", "exit_without_admission", "C1", kiosk, "main"},
		}},
		{"occupancy.csv", "Occupancy", [][]string{
			{"Room", "Room id", "Time (UTC+02:00)", "People", "Capacity"},
			occ("Hall of Fame", "venue", "08:50", 1, 50), occ("Hall of Fame", "venue", "08:51", 2, 50),
			occ("Hall of Fame", "venue", "08:52", 3, 50), occ("Hall of Fame", "venue", "08:53", 4, 50),
			occ("Hall of Fame", "venue", "08:55", 5, 50), occ("Hall of Fame", "venue", "10:50", 4, 50),
			occ("Hall of Fame", "venue", "11:00", 3, 50), occ("Hall of Fame", "venue", "11:01", 2, 50),
			occ("Hall of Fame", "venue", "11:02", 1, 50), occ("Hall of Fame", "venue", "11:03", 0, 50),
			occ("Salon", "salon", "09:05", 1, 3), occ("Salon", "salon", "09:10", 2, 3),
			occ("Salon", "salon", "09:20", 3, 3), occ("Salon", "salon", "09:50", 2, 3),
			occ("Salon", "salon", "10:10", 3, 3), occ("Salon", "salon", "10:25", 2, 3),
			occ("Salon", "salon", "10:40", 1, 3), occ("Salon", "salon", "10:45", 0, 3),
		}},
		{"doors.csv", "Doors", [][]string{
			{"Door", "Door id", "From", "To", "Entries", "Exits"},
			// In: Ann, Ben, Sue, Tom and one without a badge; out: the
			// same, the one without a badge first. Cat's exit moved nobody.
			{"main", "main", "Outside", "Hall of Fame", "5", "5"},
			// In: Ann, Sue, Ben, Tom; out: Ben, Ann, Sue, Tom.
			{"salon", "salon", "Hall of Fame", "Salon", "4", "4"},
		}},
	}
}

func occ(name, id, hhmm string, n, capacity int) []string {
	return []string{name, id, "2026-05-14 " + hhmm + ":00", strconv.Itoa(n), strconv.Itoa(capacity)}
}

// Table is one report: its CSV file, its sheet and its rows, the header
// first.
type Table struct {
	File, Sheet string
	Rows        [][]string
}

// Summary is the last line the export commands print for the fixture.
const Summary = "2 spaces, 2 sessions; fullest: Salon, peak 3 of 3 at 2026-05-14 09:20 (UTC+02:00)"

// CheckOutput checks what an export command printed: "wrote PATH" for
// each of paths, then Summary.
func CheckOutput(tb testing.TB, stdout string, paths ...string) {
	tb.Helper()
	var want []string
	for _, p := range paths {
		want = append(want, "wrote "+p)
	}
	want = append(want, Summary)
	if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); !slices.Equal(got, want) {
		tb.Errorf("printed\n%s\nwant\n%s", stdout, strings.Join(want, "\n"))
	}
}

// CheckCSV reads the five CSV files in dir with encoding/csv and
// compares every cell with Tables.
func CheckCSV(tb testing.TB, dir, kiosk string) {
	tb.Helper()
	for _, t := range Tables(kiosk) {
		f, err := os.Open(filepath.Join(dir, t.File))
		if err != nil {
			tb.Errorf("%v", err)
			continue
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			tb.Errorf("%s: %v", t.File, err)
			continue
		}
		compare(tb, t.File, rows, t.Rows)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"conflicts.csv", "doors.csv", "occupancy.csv", "rooms.csv", "sessions.csv"}; !slices.Equal(names, want) {
		tb.Errorf("%s holds %q, want %q", dir, names, want)
	}
}

func compare(tb testing.TB, what string, got, want [][]string) {
	tb.Helper()
	for i := range max(len(got), len(want)) {
		var g, w []string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !slices.Equal(g, w) {
			tb.Errorf("%s row %d:\n got %q\nwant %q", what, i+1, g, w)
		}
	}
}

// excelEpoch is day 0 of Excel's 1900 date system as it counts after
// February 1900.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// CheckXLSX reads the workbook at path with excelize: its five sheets
// show Tables' cells with their number formats; numbers are numbers and
// times Excel date-times of the fixture zone's wall clock; every header
// is bold and frozen, and columns are wide enough for a time.
func CheckXLSX(tb testing.TB, path, kiosk string) {
	tb.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	tables := Tables(kiosk)
	var sheets []string
	for _, t := range tables {
		sheets = append(sheets, t.Sheet)
	}
	if got := f.GetSheetList(); !slices.Equal(got, sheets) {
		tb.Errorf("sheets %q, want %q", got, sheets)
	}
	for _, t := range tables {
		rows, err := f.GetRows(t.Sheet)
		if err != nil {
			tb.Errorf("sheet %s: %v", t.Sheet, err)
			continue
		}
		compare(tb, "sheet "+t.Sheet, rows, t.Rows)
		checkSheetHeader(tb, f, t)
		// The cells' types: what is not a name is a number, and a time
		// is the serial of the wall-clock time shown.
		for j, row := range t.Rows[1:] {
			for c, want := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, j+2)
				checkCellType(tb, f, t.Sheet, ref, want)
			}
		}
	}
}

// checkSheetHeader checks t's sheet in f: its header row frozen and
// bold, and a column with times in it wide enough for a date and time.
func checkSheetHeader(tb testing.TB, f *excelize.File, t Table) {
	tb.Helper()
	panes, err := f.GetPanes(t.Sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		tb.Errorf("sheet %s: panes %+v (%v), want the header row frozen", t.Sheet, panes, err)
	}
	for c := range t.Rows[0] {
		ref, _ := excelize.CoordinatesToCellName(c+1, 1)
		idx, err := f.GetCellStyle(t.Sheet, ref)
		if err != nil {
			tb.Fatal(err)
		}
		st, err := f.GetStyle(idx)
		if err != nil || st.Font == nil || !st.Font.Bold {
			tb.Errorf("sheet %s: header %s is not bold", t.Sheet, ref)
		}
	}
	for c, h := range t.Rows[0] {
		col, _ := excelize.ColumnNumberToName(c + 1)
		width, err := f.GetColWidth(t.Sheet, col)
		if err != nil {
			tb.Fatal(err)
		}
		if strings.Contains(h, "(UTC+02:00)") && width < 19 {
			tb.Errorf("sheet %s: column %s (%s) is %.1f wide, too narrow for a date and time", t.Sheet, col, h, width)
		}
	}
}

// checkCellType checks the type of the cell at ref of sheet, which shows
// want: nothing when want is empty, a date-time serial when want is a
// time, a number when it is one, and text otherwise.
func checkCellType(tb testing.TB, f *excelize.File, sheet, ref, want string) {
	tb.Helper()
	raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		tb.Fatal(err)
	}
	typ, _ := f.GetCellType(sheet, ref)
	wall, isTime := time.Parse("2006-01-02 15:04:05", want)
	_, isNum := strconv.ParseFloat(want, 64)
	switch {
	case want == "":
	case isTime == nil:
		serial, err := strconv.ParseFloat(raw, 64)
		wantSerial := wall.Sub(excelEpoch).Hours() / 24
		if err != nil || serial < wantSerial-1e-6 || serial > wantSerial+1e-6 {
			tb.Errorf("sheet %s %s: raw %q, want the date-time serial %.6f (%s)", sheet, ref, raw, wantSerial, want)
		}
	case isNum == nil:
		if _, err := strconv.ParseFloat(raw, 64); err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			tb.Errorf("sheet %s %s: %q (type %v) is not a number", sheet, ref, raw, typ)
		}
	default:
		if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			tb.Errorf("sheet %s %s: %q is of type %v, want text", sheet, ref, raw, typ)
		}
	}
}

// CheckPNG decodes each space's chart in dir: 1600 × 900, not blank,
// with a blue occupancy line and a red capacity line; in the salon,
// which reached its cap, the line's highest point is at the capacity
// line, and in the venue (5 of 50) far below it.
func CheckPNG(tb testing.TB, dir string) {
	tb.Helper()
	for _, id := range Spaces {
		path := filepath.Join(dir, "occupancy-"+id+".png")
		f, err := os.Open(path)
		if err != nil {
			tb.Errorf("%v", err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			tb.Errorf("%s: %v", path, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 1600 || b.Dy() != 900 {
			tb.Errorf("%s is %d × %d, want 1600 × 900", path, b.Dx(), b.Dy())
		}
		colours := map[color.RGBA]bool{}
		blueTop, redTop, redBottom := -1, -1, -1
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				colours[c] = true
				switch {
				case isBlue(c) && blueTop < 0:
					blueTop = y
				case isRed(c):
					if redTop < 0 {
						redTop = y
					}
					redBottom = y
				}
			}
		}
		if len(colours) < 16 {
			tb.Errorf("%s has %d colours: blank?", path, len(colours))
		}
		if blueTop < 0 || redTop < 0 {
			tb.Errorf("%s: no blue occupancy line (%d) or no red capacity line (%d)", path, blueTop, redTop)
			continue
		}
		// The capacity's label stands above the line: the line is the
		// lowest red.
		capY := redBottom
		switch id {
		case "salon":
			if d := blueTop - capY; d < -6 || d > 6 {
				tb.Errorf("%s: the line's peak is at y=%d, the capacity at y=%d; want them together (3 of 3)", path, blueTop, capY)
			}
		case "venue":
			if blueTop-capY < 400 {
				tb.Errorf("%s: the line's peak is at y=%d, the capacity at y=%d; want it far below (5 of 50)", path, blueTop, capY)
			}
		}
	}
}

func isBlue(c color.RGBA) bool { return c.B > 150 && c.R < 60 && c.G < 120 }
func isRed(c color.RGBA) bool  { return c.R > 180 && c.G < 60 && c.B < 60 }

// CheckSVG parses each space's chart in dir as XML: an <svg> of 720 ×
// 405 points whose text holds the title "Room — occupancy", with a
// dashed line.
func CheckSVG(tb testing.TB, dir string) {
	tb.Helper()
	names := map[string]string{"venue": "Hall of Fame", "salon": "Salon"}
	for _, id := range Spaces {
		path := filepath.Join(dir, "occupancy-"+id+".svg")
		f, err := os.Open(path)
		if err != nil {
			tb.Errorf("%v", err)
			continue
		}
		d := xml.NewDecoder(f)
		var root *xml.StartElement
		var texts []string
		dashed := false
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Errorf("%s does not parse: %v", path, err)
				break
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if root == nil {
					el := tok.Copy()
					root = &el
				}
				for _, a := range tok.Attr {
					if strings.Contains(a.Value, "stroke-dasharray:") && !strings.Contains(a.Value, "stroke-dasharray:none") {
						dashed = true
					}
				}
			case xml.CharData:
				if s := strings.TrimSpace(string(tok)); s != "" {
					texts = append(texts, s)
				}
			}
		}
		f.Close()
		if root == nil || root.Name.Local != "svg" {
			tb.Errorf("%s: root %v, want <svg>", path, root)
			continue
		}
		attr := map[string]string{}
		for _, a := range root.Attr {
			attr[a.Name.Local] = a.Value
		}
		if attr["width"] != "720pt" || attr["height"] != "405pt" {
			tb.Errorf("%s is %s × %s, want 720pt × 405pt", path, attr["width"], attr["height"])
		}
		if title := names[id] + " — occupancy"; !slices.Contains(texts, title) {
			tb.Errorf("%s: no text %q among %q", path, title, texts)
		}
		if !dashed {
			tb.Errorf("%s: no dashed line (the capacity)", path)
		}
	}
}
