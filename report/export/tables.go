package export

import (
	"fmt"
	"time"

	"usher/report"
)

// table is one report as rows of typed cells: string, int, float64
// (minutes, to a tenth) or time.Time (zero when there is none), which
// the CSV writes as text and the workbook as typed cells.
type table struct {
	name   string // the sheet's name; the CSV file's is lower case
	header []string
	rows   [][]any
}

// tables are the five reports in order: rooms, sessions, conflicts,
// occupancy, doors; every time is in zone, and each time column names
// it.
func tables(r *report.Report) []table {
	zone := Zone(r)
	at := func(t time.Time) any {
		if t.IsZero() {
			return time.Time{}
		}
		return t.In(zone)
	}
	tz := fmt.Sprintf(" (%s)", zone)
	figures := []string{"Capacity", "Peak", "Peak time" + tz, "Unique people", "Entries", "Exits", "Minutes at or over capacity"}
	var cats []string
	for _, c := range r.Categories {
		cats = append(cats, r.CategoryName(c))
	}
	stats := func(st report.Stats) []any {
		row := []any{st.Capacity, st.Peak, at(st.PeakAt), st.Unique, st.Entries, st.Exits, report.Minutes(st.AtOrOverCap)}
		for _, c := range r.Categories {
			row = append(row, st.ByCategory[c])
		}
		return row
	}

	rooms := table{name: "Rooms", header: append(append([]string{"Room", "Room id"}, figures...), cats...)}
	for _, s := range r.Spaces {
		rooms.rows = append(rooms.rows, append([]any{s.Name, s.ID}, stats(s.Stats)...))
	}
	sessions := table{name: "Sessions", header: append(append([]string{"Session", "Room", "Start" + tz, "End" + tz}, figures...), cats...)}
	for _, s := range r.Sessions {
		row := append([]any{s.Title, s.SpaceName, at(s.Start), at(s.End)}, stats(s.Stats)...)
		if s.Upcoming { // no figures yet: blank, not zeros
			for i := 5; i < len(row); i++ {
				row[i] = ""
			}
		}
		sessions.rows = append(sessions.rows, row)
	}
	conflicts := table{name: "Conflicts", header: []string{"Time" + tz, "Kind", "Person", "Kiosk", "Door"}}
	for _, c := range r.Conflicts {
		conflicts.rows = append(conflicts.rows, []any{at(c.At), c.Kind, c.Person, c.Kiosk, c.Door})
	}
	occupancy := table{name: "Occupancy", header: []string{"Room", "Room id", "Time" + tz, "People", "Capacity"}}
	for _, s := range r.Spaces {
		for _, p := range s.Series {
			occupancy.rows = append(occupancy.rows, []any{s.Name, s.ID, at(p.At), p.N, s.Capacity})
		}
	}
	doors := table{name: "Doors", header: []string{"Door", "Door id", "From", "To", "Entries", "Exits"}}
	for _, d := range r.Doors {
		doors.rows = append(doors.rows, []any{d.Name, d.ID, r.PlaceName(d.From), r.PlaceName(d.To), d.Entries, d.Exits})
	}
	return []table{rooms, sessions, conflicts, occupancy, doors}
}

// timeLayout is how the CSV writes a time; the workbook's number format
// shows the same.
const timeLayout = "2006-01-02 15:04:05"
