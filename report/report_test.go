package report_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/eventfile"
	"usher/report"
)

// fixture: a venue of 100 holding a room of 3 with a 09:00–10:00 talk.
const fixtureEvent = `
[event]
id = "fx"
[[space]]
id = "venue"
capacity = 100
[[space]]
id = "room"
name = "Room"
parent = "venue"
capacity = 3
[[door]]
id = "main"
from = "outside"
to = "venue"
[[door]]
id = "room"
from = "venue"
to = "room"
[[category]]
id = "attendee"
may_enter = ["*"]
[[category]]
id = "speaker"
may_enter = ["*"]
[[session]]
title = "Keynote"
room = "room"
start = 2026-05-14T09:00:00Z
end = 2026-05-14T10:00:00Z
`

func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-05-14 "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

func fixture(t *testing.T) report.Log {
	t.Helper()
	ev, err := eventfile.Parse("fx.toml", []byte(fixtureEvent))
	if err != nil {
		t.Fatal(err)
	}
	mv := func(hhmm, person, cat, to string) report.Move {
		return report.Move{At: at(hhmm), Person: person, Category: cat, To: to}
	}
	return report.Log{Event: ev, Moves: []report.Move{
		mv("08:30", "a", "attendee", "venue"),
		mv("08:31", "b", "attendee", "venue"),
		mv("08:32", "s", "speaker", "venue"),
		mv("08:40", "a", "attendee", "room"),                    // room 1
		mv("08:50", "s", "speaker", "room"),                     // room 2
		mv("09:10", "b", "attendee", "room"),                    // room 3: at cap
		{At: at("09:20"), From: "venue", To: "room", Delta: 1},  // 4: over cap (staff count)
		{At: at("09:30"), From: "venue", To: "room", Delta: -1}, // 3
		mv("09:40", "a", "attendee", "venue"),                   // 2
		mv("10:20", "a", "attendee", "room"),                    // 3 again, after the session
		mv("10:30", "b", "attendee", checkin.Outside),
		mv("10:30", "a", "attendee", "room"),    // replayed twice: no change
		mv("11:00", "x", "attendee", "nowhere"), // a space the event lost
	}}
}

func TestBuildKnownAnswers(t *testing.T) {
	r := report.Build(fixture(t), at("11:00"))
	room := r.Space("room")
	if room == nil {
		t.Fatal("no room in the report")
	}
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("room peak", room.Peak, 4)
	check("room peak at", room.PeakAt, at("09:20"))
	check("room entries", room.Entries, 5) // a, s, b, +1, a
	check("room exits", room.Exits, 3)     // −1, a, b
	check("room unique", room.Unique, 4)   // a, s, b and one without a badge
	check("room attendees", room.ByCategory["attendee"], 2)
	check("room speakers", room.ByCategory["speaker"], 1)
	check("room without badge", room.ByCategory[report.Unbadged], 1)
	// At or over 3: 09:10–09:40 and 10:20–10:30.
	check("room at or over cap", room.AtOrOverCap, 40*time.Minute)
	check("room minutes", report.Minutes(room.AtOrOverCap), 40.0)
	check("room at 09:35", room.OccupancyAt(at("09:35")), 3)
	check("room at 08:00", room.OccupancyAt(at("08:00")), 0)

	venue := r.Space("venue")
	// The count from the venue into the room changes the room only.
	check("venue peak", venue.Peak, 3)
	check("venue peak at", venue.PeakAt, at("08:32"))
	check("venue entries", venue.Entries, 3)
	check("venue exits", venue.Exits, 1)
	check("venue at or over cap", venue.AtOrOverCap, time.Duration(0))
	check("report start", r.Start, at("08:30"))

	if len(r.Sessions) != 1 {
		t.Fatalf("sessions = %d, want 1", len(r.Sessions))
	}
	k := r.Sessions[0]
	check("keynote space", k.SpaceName, "Room")
	check("keynote peak", k.Peak, 4)
	check("keynote peak at", k.PeakAt, at("09:20"))
	check("keynote entries", k.Entries, 2) // b, +1
	check("keynote exits", k.Exits, 2)     // −1, a
	check("keynote unique", k.Unique, 4)   // a and s inside at 09:00, b, one without a badge
	check("keynote attendees", k.ByCategory["attendee"], 2)
	check("keynote at or over cap", k.AtOrOverCap, 30*time.Minute)

	want := []string{"attendee", "speaker", report.Unbadged}
	if len(r.Categories) != len(want) {
		t.Fatalf("categories = %q, want %q", r.Categories, want)
	}
	for i := range want {
		check("category", r.Categories[i], want[i])
	}
}

func TestBuildStopsAtEnd(t *testing.T) {
	r := report.Build(fixture(t), at("09:15"))
	room := r.Space("room")
	if room.Peak != 3 || room.AtOrOverCap != 5*time.Minute || room.Entries != 3 {
		t.Errorf("room up to 09:15: peak %d, at or over cap %v, entries %d; want 3, 5m, 3",
			room.Peak, room.AtOrOverCap, room.Entries)
	}
	pts := room.Since(at("09:00"), at("09:15"))
	if len(pts) != 3 || pts[0].N != 2 || pts[1].N != 3 || pts[2].N != 3 || !pts[2].At.Equal(at("09:15")) {
		t.Errorf("trend since 09:00 = %v, want 2 at 09:00, 3 at 09:10, 3 at 09:15", pts)
	}
}

// A move at the report's end is part of it: the last exit of the day
// counts when the report ends with it.
func TestBuildCountsMoveAtEnd(t *testing.T) {
	r := report.Build(fixture(t), at("10:30"))
	room := r.Space("room")
	if room.Exits != 3 || room.Entries != 5 || room.OccupancyAt(at("10:30")) != 2 {
		t.Errorf("room up to 10:30: exits %d, entries %d, occupancy %d; want 3 (−1, a, b), 5, 2",
			room.Exits, room.Entries, room.OccupancyAt(at("10:30")))
	}
	venue := r.Space("venue")
	if venue.Exits != 1 || venue.Unique != 3 {
		t.Errorf("venue up to 10:30: exits %d, unique %d; want 1 (b), 3", venue.Exits, venue.Unique)
	}
	// A peak reached at the end is the peak.
	r = report.Build(fixture(t), at("09:20"))
	if room := r.Space("room"); room.Peak != 4 || !room.PeakAt.Equal(at("09:20")) || room.Entries != 4 {
		t.Errorf("room up to 09:20: peak %d at %s, entries %d; want 4 at 09:20, 4", room.Peak, room.PeakAt.Format("15:04"), room.Entries)
	}
}

func TestBuildKeepsLogOrderWhenAClockGoesBack(t *testing.T) {
	log := fixture(t)
	log.Moves = log.Moves[:6]     // up to b entering the room at 09:10
	log.Moves[5].At = at("08:00") // that kiosk's clock was set back
	r := report.Build(log, at("09:30"))
	room := r.Space("room")
	if room.Peak != 3 || !room.PeakAt.Equal(at("08:50")) {
		t.Errorf("peak %d at %v, want 3 at 08:50 (the time of the move before)", room.Peak, room.PeakAt)
	}
	for i := 1; i < len(room.Series); i++ {
		if room.Series[i].At.Before(room.Series[i-1].At) {
			t.Fatalf("series runs backwards: %v", room.Series)
		}
	}
}

// A session under way at the report's end is counted up to the end, not
// to its scheduled end; one that has not begun has no figures.
func TestBuildSessionsUpToEnd(t *testing.T) {
	r := report.Build(fixture(t), at("09:15"))
	k := r.Sessions[0]
	if k.Upcoming || k.Peak != 3 || k.AtOrOverCap != 5*time.Minute || k.Entries != 1 {
		t.Errorf("keynote at 09:15: upcoming %v, peak %d, at or over cap %v, entries %d; want false, 3, 5m, 1",
			k.Upcoming, k.Peak, k.AtOrOverCap, k.Entries)
	}
	r = report.Build(fixture(t), at("08:45"))
	k = r.Sessions[0]
	if !k.Upcoming || k.Peak != 0 || k.Unique != 0 || k.AtOrOverCap != 0 {
		t.Errorf("keynote at 08:45: upcoming %v, peak %d, unique %d, at or over cap %v; want true and no figures",
			k.Upcoming, k.Peak, k.Unique, k.AtOrOverCap)
	}
}

// A move with a delta is a count, as the live occupancy applies it, even
// if it names a person: the report and the live numbers never drift.
func TestBuildCountWithPersonAsLive(t *testing.T) {
	log := fixture(t)
	log.Moves = append(log.Moves[:3:3], report.Move{At: at("08:40"), Person: "z", From: "venue", To: "room", Delta: 1})
	live := checkin.NewState(log.Event)
	for _, m := range log.Moves {
		if m.Delta != 0 {
			live.Adjust(m.From, m.To, m.Delta)
		} else {
			live.Move(m.Person, m.To)
		}
	}
	r := report.Build(log, at("09:00"))
	for _, s := range r.Spaces {
		if got, want := s.OccupancyAt(at("09:00")), live.Count(s.ID); got != want {
			t.Errorf("%s: report %d, live %d", s.ID, got, want)
		}
	}
	if room := r.Space("room"); room.ByCategory[report.Unbadged] != 1 || room.ByCategory["attendee"] != 0 {
		t.Errorf("room by category %v, want one without a badge", room.ByCategory)
	}
}

// A scan staff undid counts for nothing, nor does its undo: the day
// with scans undone at once gives the day's report, whether the log
// writes an undo as one move (a kiosk) or as a move per space left (the
// center).
func TestBuildLeavesOutUndoneScans(t *testing.T) {
	want := report.Build(fixture(t), at("11:00"))
	log := fixture(t)
	var moves []report.Move
	undone := []report.Move{
		// u admitted at the main door, undone.
		{At: at("08:33"), Person: "u", Category: "attendee", To: "venue", ID: "20"},
		{At: at("08:34"), Person: "u", Category: "attendee", To: checkin.Outside, ID: "21", Undoes: "20"},
		// w admitted into the room from outside, undone, as the center
		// logs it: a move per space.
		{At: at("08:36"), Person: "w", Category: "speaker", From: checkin.Outside, To: "venue", ID: "k/30"},
		{At: at("08:36"), Person: "w", Category: "speaker", From: "venue", To: "room", ID: "k/30"},
		{At: at("08:37"), Person: "w", Category: "speaker", From: "room", To: "venue", ID: "k/31", Undoes: "k/30"},
		{At: at("08:37"), Person: "w", Category: "speaker", From: "venue", To: checkin.Outside, ID: "k/31", Undoes: "k/30"},
		// A +1 into the room, undone.
		{At: at("09:25"), From: "venue", To: "room", Delta: 1, ID: "22"},
		{At: at("09:26"), From: "venue", To: "room", Delta: -1, ID: "23", Undoes: "22"},
		// s leaving the room, undone: s is back inside.
		{At: at("09:35"), Person: "s", Category: "speaker", To: "venue", ID: "24"},
		{At: at("09:36"), Person: "s", Category: "speaker", To: "room", ID: "25", Undoes: "24"},
	}
	for _, m := range log.Moves {
		for len(undone) > 0 && undone[0].At.Before(m.At) {
			moves, undone = append(moves, undone[0]), undone[1:]
		}
		moves = append(moves, m)
	}
	log.Moves = moves
	got := report.Build(log, at("11:00"))
	for i, s := range got.Spaces {
		w := want.Spaces[i]
		if !reflect.DeepEqual(s.Stats, w.Stats) {
			t.Errorf("%s with undone scans: %+v\nwant %+v", s.ID, s.Stats, w.Stats)
		}
		if !reflect.DeepEqual(s.Series, w.Series) {
			t.Errorf("%s's occupancy with undone scans: %v\nwant %v", s.ID, s.Series, w.Series)
		}
	}
	for i, s := range got.Sessions {
		if w := want.Sessions[i]; !reflect.DeepEqual(s.Stats, w.Stats) {
			t.Errorf("%s with undone scans: %+v\nwant %+v", s.Title, s.Stats, w.Stats)
		}
	}
	if !slices.Equal(got.Categories, want.Categories) || !got.Start.Equal(want.Start) {
		t.Errorf("categories %q from %s, want %q from %s", got.Categories, got.Start, want.Categories, want.Start)
	}
}

// An undo puts its person back where they were. If they left by another
// door and came back since, leaving out the undone scan does not put
// them there: the undo moves them, and the report's occupancy stays the
// live one.
func TestBuildUndoOfSomeoneWhoMovedSince(t *testing.T) {
	log := fixture(t)
	log.Moves = []report.Move{
		{At: at("08:30"), Person: "a", Category: "attendee", To: "venue", ID: "1"},
		{At: at("08:40"), Person: "a", Category: "attendee", To: "room", ID: "2"},
		{At: at("08:45"), Person: "a", Category: "attendee", To: "venue", ID: "3"}, // out by another door
		{At: at("08:50"), Person: "a", Category: "attendee", To: "room", ID: "4"},  // and in again
		{At: at("08:55"), Person: "a", Category: "attendee", To: "venue", ID: "5", Undoes: "2"},
	}
	live := checkin.NewState(log.Event)
	for _, m := range log.Moves {
		live.Move(m.Person, m.To)
	}
	r := report.Build(log, at("11:00"))
	for _, s := range r.Spaces {
		if got, want := s.OccupancyAt(at("11:00")), live.Count(s.ID); got != want {
			t.Errorf("%s: report %d, live %d", s.ID, got, want)
		}
	}
	if room := r.Space("room"); room.Entries != 1 || room.Exits != 1 || room.Unique != 1 {
		t.Errorf("room: %d entries, %d exits, %d unique; want 1, 1, 1 (the undone entry left out)", room.Entries, room.Exits, room.Unique)
	}
}

// Every category of the event has its column, in the event's order,
// whether anyone of it came or not.
func TestBuildEveryCategory(t *testing.T) {
	src := strings.Replace(fixtureEvent, "[[category]]\nid = \"speaker\"",
		"[[category]]\nid = \"sponsor\"\nmay_enter = [\"venue\"]\n[[category]]\nid = \"speaker\"", 1)
	ev, err := eventfile.Parse("fx.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	log := fixture(t)
	log.Event = ev
	r := report.Build(log, at("11:00"))
	if want := []string{"attendee", "sponsor", "speaker", report.Unbadged}; !slices.Equal(r.Categories, want) {
		t.Errorf("categories %q, want %q", r.Categories, want)
	}
	if room := r.Space("room"); room.ByCategory["sponsor"] != 0 || room.ByCategory["attendee"] != 2 {
		t.Errorf("room by category %v", room.ByCategory)
	}
	// Nobody came at all: still every category.
	r = report.Build(report.Log{Event: ev}, at("11:00"))
	if want := []string{"attendee", "sponsor", "speaker"}; !slices.Equal(r.Categories, want) {
		t.Errorf("categories of an empty day %q, want %q", r.Categories, want)
	}
}
