package export

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/eventfile"
	"usher/report"
)

const spanEvent = `[event]
id = "sp"
[[space]]
id = "venue"
capacity = 10
[[category]]
id = "attendee"
may_enter = ["*"]
[[session]]
title = "Early"
room = "venue"
start = 2026-05-14T08:00:00+02:00
end = 2026-05-14T09:00:00+02:00
[[session]]
title = "Next day"
room = "venue"
start = 2026-05-15T10:00:00+02:00
end = 2026-05-15T11:00:00+02:00
`

// A chart covers its scans and the sessions of the same days: a session
// before the first scan widens it, one on another day does not.
func TestSpan(t *testing.T) {
	ev, err := eventfile.Parse("event.toml", []byte(spanEvent))
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("", 2*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, zone) }
	for _, tc := range []struct {
		name         string
		first, last  time.Time
		from         time.Time
		wantSessions []string
	}{
		{"SameDay", at(14, 9, 30), at(14, 10, 0), at(14, 8, 0), []string{"Early"}},
		{"OtherDay", at(20, 14, 0), at(20, 15, 0), at(20, 14, 0), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := report.Log{Event: ev, Moves: []report.Move{
				{At: tc.first, Person: "p", Category: "attendee", To: "venue"},
				{At: tc.last, Person: "p", Category: "attendee", To: "outside"},
			}}
			r := report.Build(log, tc.last)
			from, end, sessions := span(r, Zone(r))
			var titles []string
			for _, s := range sessions {
				titles = append(titles, s.Title)
			}
			if !from.Equal(tc.from) || !end.Equal(r.End) || len(titles) != len(tc.wantSessions) ||
				(len(titles) > 0 && titles[0] != tc.wantSessions[0]) {
				t.Errorf("span %s – %s with %q; want %s – %s with %q", from, end, titles, tc.from, r.End, tc.wantSessions)
			}
		})
	}
}

// An export made during the event ends at the last scan or now, not at
// the end of the schedule: the venue full since 08:10 is not counted full
// until the next day's session ends, and that session has no figures.
func TestBuildDuringTheEvent(t *testing.T) {
	ev, err := eventfile.Parse("event.toml", []byte(spanEvent))
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("", 2*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, zone) }
	log := report.Log{Event: ev}
	for i := range 10 {
		log.Moves = append(log.Moves, report.Move{At: at(14, 8, 10), Person: string(rune('a' + i)), Category: "attendee", To: "venue"})
	}
	r := buildAt(log, at(14, 8, 30))
	if !r.End.Equal(at(14, 8, 30)) {
		t.Errorf("end %v, want now (08:30)", r.End)
	}
	if v := r.Space("venue"); v.AtOrOverCap != 20*time.Minute {
		t.Errorf("venue at or over capacity %v, want 20m (08:10 to now)", v.AtOrOverCap)
	}
	if s := r.Sessions[1]; !s.Upcoming || s.Peak != 0 {
		t.Errorf("next day's session: upcoming %v, peak %d; want upcoming, no figures", s.Upcoming, s.Peak)
	}
	row := tables(r)[1].rows[1]
	if row[5] != "" || row[7] != "" {
		t.Errorf("next day's session row %v: want blank figures", row)
	}
	// After the event, it spans the schedule.
	if r := buildAt(log, at(20, 0, 0)); !r.End.Equal(at(15, 11, 0)) {
		t.Errorf("end after the event %v, want the last session's end", r.End)
	}
}

// A cell that a spreadsheet would run as a formula is written as text.
func TestCSVFormulaText(t *testing.T) {
	for in, want := range map[string]string{
		"=1+2+cmd|' /C calc'!A0": "'=1+2+cmd|' /C calc'!A0",
		"+1":                     "'+1", "-x": "'-x", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx",
		"Ada Lovelace": "Ada Lovelace", "": "",
	} {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	if got := text(-1); got != "-1" {
		t.Errorf("text(-1) = %q, want a number", got)
	}
}

// A sheet with more rows than a workbook holds is refused before
// anything is written, saying which sheet and what to do.
func TestXLSXTooManyRows(t *testing.T) {
	ev, err := eventfile.Parse("event.toml", []byte(spanEvent))
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("", 2*3600)
	log := report.Log{Event: ev}
	for i := range 12 {
		log.Moves = append(log.Moves, report.Move{At: time.Date(2026, 5, 14, 9, i, 0, 0, zone), Person: "p", Category: "attendee",
			To: []string{"venue", "outside"}[i%2]})
	}
	defer func(n int) { maxRows = n }(maxRows)
	maxRows = 10
	out := filepath.Join(t.TempDir(), "r.xlsx")
	_, err = Write(buildAt(log, time.Date(2026, 5, 20, 0, 0, 0, 0, zone)), Options{Format: "xlsx", Out: out})
	if err == nil || !strings.Contains(err.Error(), "Occupancy sheet would have 13 rows") || !strings.Contains(err.Error(), "--format csv") {
		t.Errorf("err = %v, want the Occupancy sheet refused", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
}

const nightEvent = `[event]
id = "night"
[[space]]
id = "venue"
capacity = 10
[[category]]
id = "attendee"
may_enter = ["*"]
[[session]]
title = "Late show"
room = "venue"
start = 2026-05-15T00:00:00+02:00
end = 2026-05-15T03:00:00+02:00
[[session]]
title = "Dawn talk"
room = "venue"
start = 2026-05-15T05:00:00+02:00
end = 2026-05-15T06:00:00+02:00
`

// A chart never runs past the moment of the export: made at 01:10,
// during a show until 03:00, it ends at 01:10, and the show still to
// come at 05:00 is not on it. After the event it ends at the last scan
// or the last session's end, whichever is later.
func TestChartEndsAtNow(t *testing.T) {
	ev, err := eventfile.Parse("event.toml", []byte(nightEvent))
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("", 2*3600)
	at := func(h, m int) time.Time { return time.Date(2026, 5, 15, h, m, 0, 0, zone) }
	in := func(p string, h, m int, to string) report.Move {
		return report.Move{At: at(h, m), Person: p, Category: "attendee", To: to}
	}
	moves := []report.Move{in("a", 0, 20, "venue"), in("b", 0, 40, "venue")}
	x := func(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
	for _, tc := range []struct {
		name     string
		moves    []report.Move
		now, end time.Time
		sessions []string
	}{
		{"DuringTheShow", moves, at(1, 10), at(1, 10), []string{"Late show"}},
		{"BetweenSessions", moves, at(4, 0), at(3, 0), []string{"Late show"}},
		{"AfterTheEvent", moves, at(12, 0), at(6, 0), []string{"Late show", "Dawn talk"}},
		{"LastScanAfterTheSchedule", append(slices.Clone(moves), in("a", 7, 30, "outside")), at(12, 0), at(7, 30),
			[]string{"Late show", "Dawn talk"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := buildAt(report.Log{Event: ev, Moves: tc.moves}, tc.now)
			from, end, sessions := span(r, Zone(r))
			var titles []string
			for _, s := range sessions {
				titles = append(titles, s.Title)
			}
			if !end.Equal(tc.end) || !from.Equal(at(0, 0)) || !slices.Equal(titles, tc.sessions) {
				t.Errorf("span %s – %s with %q, want 00:00 – %s with %q", from.In(zone).Format("15:04"), end.In(zone).Format("15:04"),
					titles, tc.end.In(zone).Format("15:04"), tc.sessions)
			}
			p, err := chart(r, r.Space("venue"))
			if err != nil {
				t.Fatal(err)
			}
			if p.X.Max > x(tc.now) || p.X.Max != x(tc.end) {
				t.Errorf("chart ends at %s, want %s (now %s)", time.UnixMilli(int64(p.X.Max*1000)).In(zone).Format("15:04"),
					tc.end.In(zone).Format("15:04"), tc.now.In(zone).Format("15:04"))
			}
		})
	}
}
