package eventfile_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"usher/assets"
	"usher/checkin"
)

// scheduleEvent is the demo event with a schedule: sessions in two
// rooms, with offsets written as TOML datetimes and as strings.
var scheduleEvent = demoWithoutSchedule() + `
[[session]]
title = "Opening keynote"
room = "ballroom"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00

[[session]]
title = "Go, fast"
room = "ballroom"
start = "2026-05-14T10:00:00+02:00"
end = "2026-05-14T10:45:00+02:00"

[[session]]
title = "Workshop: fuzzing"
room = "workshop-a"
start = 2026-05-14T07:30:00Z
end = 2026-05-14T09:30:00Z
`

// demoWithoutSchedule is the demo event without its own sessions.
func demoWithoutSchedule() string {
	before, _, _ := strings.Cut(string(assets.DemoEvent), "\n[[session]]")
	return before + "\n"
}

func TestSessions(t *testing.T) {
	ev := MustParse(t, scheduleEvent)
	cest := time.FixedZone("", 2*3600)
	want := []checkin.Session{
		{Title: "Opening keynote", Space: "ballroom", Start: time.Date(2026, 5, 14, 9, 0, 0, 0, cest), End: time.Date(2026, 5, 14, 10, 0, 0, 0, cest)},
		{Title: "Go, fast", Space: "ballroom", Start: time.Date(2026, 5, 14, 10, 0, 0, 0, cest), End: time.Date(2026, 5, 14, 10, 45, 0, 0, cest)},
		{Title: "Workshop: fuzzing", Space: "workshop-a", Start: time.Date(2026, 5, 14, 7, 30, 0, 0, time.UTC), End: time.Date(2026, 5, 14, 9, 30, 0, 0, time.UTC)},
	}
	if len(ev.Sessions) != len(want) {
		t.Fatalf("sessions %+v, want %+v", ev.Sessions, want)
	}
	for i, ss := range ev.Sessions {
		if ss.Title != want[i].Title || ss.Space != want[i].Space || !ss.Start.Equal(want[i].Start) || !ss.End.Equal(want[i].End) {
			t.Errorf("session %d = %+v, want %+v", i, ss, want[i])
		}
	}
	// String keeps the schedule: a definition stored beside the roster
	// and read back must still have it.
	checkRoundTrip(t, ev)
}

// FuzzParse checks that Parse never panics, that it fails only with an
// EINVALID error naming a line of the file, and that what it accepts is
// a valid event whose doors lead to its spaces, whose sessions are in
// its spaces, and which reads back the same after String.
func FuzzParse(f *testing.F) {
	f.Add([]byte(issueEvent))
	f.Add(assets.DemoEvent)
	f.Add([]byte(scheduleEvent))
	salon, err := os.ReadFile("../docs/salon/event.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(salon)
	for _, tc := range badCases {
		f.Add([]byte(tc.src))
	}
	for _, edit := range []func(string) string{
		func(s string) string { return strings.Replace(s, "+02:00\n", "\n", 1) },
		func(s string) string { return strings.Replace(s, `room = "workshop-a"`, `room = "nowhere"`, 1) },
		func(s string) string { return strings.Replace(s, "10:45:00", "09:45:00", 1) },
		func(s string) string {
			return strings.Replace(s, "10:00:00+02:00\n\n[[session]]", "10:30:00+02:00\n\n[[session]]", 1)
		},
		func(s string) string { return strings.Replace(s, `title = "Go, fast"`, `title = " "`, 1) },
		func(s string) string {
			return strings.Replace(s, `start = 2026-05-14T07:30:00Z`, `start = 2026-05-14`, 1)
		},
		func(s string) string {
			return strings.Replace(s, `start = 2026-05-14T07:30:00Z`, `begins = 2026-05-14T07:30:00Z`, 1)
		},
		func(s string) string { return s + "\n[[session]]\ntitle = \"x\"\n" },
		func(s string) string { return s + "\nsession = 1\n" },
	} {
		f.Add([]byte(edit(scheduleEvent)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := parse(t, string(data))
		if err != nil {
			var e *checkin.Error
			if !errors.As(err, &e) || e.Code != checkin.EINVALID {
				t.Fatalf("error %T %v, want a *checkin.Error with code %q", err, err, checkin.EINVALID)
			}
			if !lineRef.MatchString(e.Message) {
				t.Fatalf("message %q names no line", e.Message)
			}
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("Parse returned an event that does not validate: %v", err)
		}
		for _, s := range ev.Spaces {
			if s.Capacity <= 0 {
				t.Fatalf("space %s has capacity %d", s.ID, s.Capacity)
			}
		}
		for _, d := range ev.Doors {
			if ev.Space(d.To) == nil || (d.From != checkin.Outside && ev.Space(d.From) == nil) {
				t.Fatalf("door %s leads from %q to %q, not between defined spaces", d.ID, d.From, d.To)
			}
		}
		for _, ss := range ev.Sessions {
			if ev.Space(ss.Space) == nil || !ss.End.After(ss.Start) || strings.TrimSpace(ss.Title) == "" {
				t.Fatalf("session %+v", ss)
			}
		}
		checkRoundTrip(t, ev)
	})
}
