package report_test

import (
	"slices"
	"testing"

	"usher/checkin"
	"usher/report"
)

// Each door counts the passages recorded at it, in and out; an undone
// scan and its undo count at no door.
func TestBuildDoors(t *testing.T) {
	log := fixture(t)
	mv := func(hhmm, person, to, door string) report.Move {
		return report.Move{At: at(hhmm), Person: person, Category: "attendee", To: to, Door: door}
	}
	log.Moves = []report.Move{
		mv("08:30", "a", "venue", "main"),
		mv("08:31", "b", "venue", "main"),
		{At: at("08:32"), From: checkin.Outside, To: "venue", Delta: 2, Door: "main", ID: "3"}, // two without a badge
		mv("08:40", "a", "room", "room"),
		{At: at("08:41"), Person: "b", Category: "attendee", To: "room", Door: "room", ID: "5"},
		{At: at("08:42"), Person: "b", Category: "attendee", To: "venue", Door: "room", ID: "6", Undoes: "5"},
		mv("09:40", "a", "venue", "room"),
		{At: at("10:00"), From: checkin.Outside, To: "venue", Delta: -1, Door: "main"},
		mv("10:30", "b", checkin.Outside, "main"),
		mv("10:31", "a", checkin.Outside, "main"),
	}
	r := report.Build(log, at("12:00"))
	want := []report.Door{
		{ID: "main", Name: "main", From: checkin.Outside, To: "venue", Entries: 4, Exits: 3},
		{ID: "room", Name: "room", From: "venue", To: "room", Entries: 1, Exits: 1},
	}
	if !slices.Equal(r.Doors, want) {
		t.Errorf("doors\n got %+v\nwant %+v", r.Doors, want)
	}
}

// A move whose source does not name its door counts at the only door
// between its places; moves at a door the event no longer has come
// after the event's doors.
func TestBuildDoorsInferred(t *testing.T) {
	log := fixture(t)
	mv := func(hhmm, person, to, door string) report.Move {
		return report.Move{At: at(hhmm), Person: person, Category: "attendee", To: to, Door: door}
	}
	log.Moves = []report.Move{
		mv("08:30", "a", "venue", ""),
		mv("08:31", "b", "venue", "gone"),
		mv("08:40", "a", "room", ""),
		mv("09:00", "b", checkin.Outside, "gone"),
	}
	r := report.Build(log, at("12:00"))
	want := []report.Door{
		{ID: "main", Name: "main", From: checkin.Outside, To: "venue", Entries: 1},
		{ID: "room", Name: "room", From: "venue", To: "room", Entries: 1},
		{ID: "gone", Name: "gone", Entries: 1, Exits: 1},
	}
	if !slices.Equal(r.Doors, want) {
		t.Errorf("doors\n got %+v\nwant %+v", r.Doors, want)
	}
}
