package eventfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/assets"
	"usher/checkin"
	"usher/eventfile"
)

// issueEvent is the event file of issue 2, verbatim: it must load as is
// and mean what it says.
const issueEvent = `[event]
id = "demo"
name = "Demo Conference"

[[space]]
id = "venue"
name = "Convention Center"
capacity = 1500

[[space]]
id = "ballroom"
name = "Grand Ballroom"
parent = "venue"
capacity = 800
anti_passback = true

[[door]]
id = "main"
from = "outside"
to = "venue"

[[door]]
id = "ballroom-north"
from = "venue"
to = "ballroom"

[[category]]
id = "attendee"
may_enter = ["venue", "ballroom"]

[[category]]
id = "sponsor-comp"
may_enter = ["venue", "ballroom"]

[[category]]
id = "staff"
may_enter = ["*"]
`

// MustParse parses src as event.toml, failing the test on an error or a
// panic.
func MustParse(tb testing.TB, src string) *checkin.Event {
	tb.Helper()
	ev, err := parse(tb, src)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return ev
}

// parse is eventfile.Parse, with a panic reported as a test failure so
// that one bad case does not stop the others.
func parse(tb testing.TB, src string) (ev *checkin.Event, err error) {
	tb.Helper()
	defer func() {
		if r := recover(); r != nil {
			tb.Fatalf("Parse panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return eventfile.Parse("event.toml", []byte(src))
}

// exported is the part of an event a file describes, with empty lists
// as nil so that "[]" and a missing key compare equal.
func exported(ev *checkin.Event) checkin.Event {
	e := checkin.Event{ID: ev.ID, Name: ev.Name, StaffPIN: ev.StaffPIN,
		Spaces: slices.Clip(ev.Spaces), Doors: slices.Clip(ev.Doors)}
	for _, c := range ev.Categories {
		c.MayEnter, c.Aliases = orNil(c.MayEnter), orNil(c.Aliases)
		e.Categories = append(e.Categories, c)
	}
	for _, t := range ev.Tags {
		t.MayEnter = orNil(t.MayEnter)
		e.Tags = append(e.Tags, t)
	}
	if len(e.Spaces) == 0 {
		e.Spaces = nil
	}
	if len(e.Doors) == 0 {
		e.Doors = nil
	}
	for _, k := range ev.Keys {
		e.Keys = append(e.Keys, k)
	}
	for _, ss := range ev.Sessions {
		// The same instant, whatever zone value the file's offset made.
		ss.Start, ss.End = ss.Start.UTC(), ss.End.UTC()
		e.Sessions = append(e.Sessions, ss)
	}
	return e
}

// schedule is an event's sessions as text, offsets included.
func schedule(ev *checkin.Event) []string {
	var out []string
	for _, ss := range ev.Sessions {
		out = append(out, fmt.Sprintf("%s in %s %s–%s", ss.Title, ss.Space, ss.Start.Format(time.RFC3339), ss.End.Format(time.RFC3339)))
	}
	return out
}

func orNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestParseIssueEvent(t *testing.T) {
	ev := MustParse(t, issueEvent)
	t.Run("Definition", func(t *testing.T) {
		want := checkin.Event{
			ID:   "demo",
			Name: "Demo Conference",
			Spaces: []checkin.Space{
				{ID: "venue", Name: "Convention Center", Capacity: 1500},
				{ID: "ballroom", Name: "Grand Ballroom", Parent: "venue", Capacity: 800, AntiPassback: true},
			},
			Doors: []checkin.Door{ // a door without a name is called by its id
				{ID: "main", Name: "main", From: checkin.Outside, To: "venue"},
				{ID: "ballroom-north", Name: "ballroom-north", From: "venue", To: "ballroom"},
			},
			Categories: []checkin.Category{
				{ID: "attendee", Name: "attendee", MayEnter: []string{"venue", "ballroom"}},
				{ID: "sponsor-comp", Name: "sponsor-comp", MayEnter: []string{"venue", "ballroom"}},
				{ID: "staff", Name: "staff", MayEnter: []string{checkin.Everywhere}},
			},
		}
		if got := exported(ev); !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("Nesting", func(t *testing.T) {
		if got, want := ev.Chain("ballroom"), []string{"venue", "ballroom"}; !slices.Equal(got, want) {
			t.Errorf("Chain(ballroom) = %v, want %v", got, want)
		}
		if got, want := ev.Chain("venue"), []string{"venue"}; !slices.Equal(got, want) {
			t.Errorf("Chain(venue) = %v, want %v", got, want)
		}
	})
	t.Run("Entitlements", func(t *testing.T) {
		for _, tc := range []struct {
			category, space string
			want            bool
		}{
			{"attendee", "venue", true}, {"attendee", "ballroom", true},
			{"sponsor-comp", "venue", true}, {"sponsor-comp", "ballroom", true},
			{"staff", "venue", true}, {"staff", "ballroom", true},
			{"speaker", "venue", false}, // not a category of this event
		} {
			p := &checkin.Person{ID: "p", Category: tc.category}
			if got := ev.MayEnter(p, tc.space); got != tc.want {
				t.Errorf("MayEnter(%s, %s) = %v, want %v", tc.category, tc.space, got, tc.want)
			}
		}
		for _, c := range []string{"attendee", "sponsor-comp", "staff"} {
			if !ev.Reaches(c) {
				t.Errorf("Reaches(%s) = false", c)
			}
		}
	})
	t.Run("Capacity", func(t *testing.T) {
		// Staff (may_enter "*") count like anyone: the venue's 1,500 is 1,500 people.
		st := checkin.NewState(ev)
		for i := range ev.Space("venue").Capacity {
			st.Move(fmt.Sprint("staff-", i), "venue")
		}
		staff := &checkin.Person{ID: "late", Name: "Late Staffer", Category: "staff"}
		d := ev.Decide(checkin.Scan{Code: "LATE", Door: "main", Direction: checkin.Entry}, checkin.Badge{Person: staff}, st)
		if d.Reason != checkin.VenueFull {
			t.Fatalf("staff at a full venue: %s, want venue_full", d.Reason)
		}
	})
	t.Run("AntiPassback", func(t *testing.T) {
		// The ballroom has anti_passback; the venue does not.
		st := checkin.NewState(ev)
		p := &checkin.Person{ID: "a1", Name: "Ann", Category: "attendee"}
		for _, step := range []struct {
			door string
			want checkin.Reason
		}{
			{"main", checkin.Admitted},
			{"main", checkin.AlreadyInsideAgain}, // a re-scan in the venue is let in, not counted again
			{"ballroom-north", checkin.Admitted},
			{"ballroom-north", checkin.AlreadyInside},
		} {
			d := ev.Decide(checkin.Scan{Code: "A1", Door: step.door, Direction: checkin.Entry}, checkin.Badge{Person: p}, st)
			if d.Reason != step.want {
				t.Fatalf("at %s: %s, want %s", step.door, d.Reason, step.want)
			}
			if d.Moves() {
				st.Move(p.ID, d.To)
			}
		}
	})
}

// A schedule: sessions back to back in one room, at the same time in
// two rooms, times as TOML datetimes or quoted, each keeping its offset.
func TestParseSchedule(t *testing.T) {
	src := issueEvent + `
[[session]]
title = "Opening keynote"
room = "ballroom"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00

[[session]]
title = "Morning talks"
room = "ballroom"
start = "2026-05-14T10:00:00+02:00"
end = 2026-05-14T12:30:00+02:00

[[session]]
title = "Hallway track"
room = "venue"
start = 2026-05-14T07:00:00Z
end = 2026-05-14T08:15:00.5Z
`
	ev := MustParse(t, src)
	want := []string{
		"Opening keynote in ballroom 2026-05-14T09:00:00+02:00–2026-05-14T10:00:00+02:00",
		"Morning talks in ballroom 2026-05-14T10:00:00+02:00–2026-05-14T12:30:00+02:00",
		"Hallway track in venue 2026-05-14T07:00:00Z–2026-05-14T08:15:00Z",
	}
	if got := schedule(ev); !slices.Equal(got, want) {
		t.Errorf("schedule\n got %q\nwant %q", got, want)
	}
	if got := ev.Sessions[2].End.Sub(ev.Sessions[2].Start); got != 75*time.Minute+500*time.Millisecond {
		t.Errorf("hallway track lasts %v, want 1h15m0.5s", got)
	}
	checkRoundTrip(t, ev)
}

func TestParseDemoEvent(t *testing.T) {
	ev := MustParse(t, string(assets.DemoEvent))
	if d := ev.Door("main"); d == nil || d.From != checkin.Outside || d.To != "venue" {
		t.Errorf("door main = %+v, want from outside to venue", d)
	}
	rooms := 0
	for _, s := range ev.Spaces {
		if s.Parent != "venue" {
			continue
		}
		rooms++
		if !slices.ContainsFunc(ev.Doors, func(d checkin.Door) bool { return d.To == s.ID }) {
			t.Errorf("room %s has no door", s.ID)
		}
	}
	if rooms < 3 {
		t.Errorf("%d rooms in the venue, want at least 3", rooms)
	}
	for _, c := range ev.Categories {
		if !ev.Reaches(c.ID) {
			t.Errorf("category %s may enter no space", c.ID)
		}
	}
	// The demo's schedule gives the reports sessions in every room.
	for _, s := range ev.Spaces {
		if s.Parent != "" && !slices.ContainsFunc(ev.Sessions, func(ss checkin.Session) bool { return ss.Space == s.ID }) {
			t.Errorf("room %s has no session in the demo's schedule", s.ID)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "event.toml")
		if err := os.WriteFile(path, []byte(issueEvent), 0o644); err != nil {
			t.Fatal(err)
		}
		ev, err := eventfile.Load(path)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if !reflect.DeepEqual(exported(ev), exported(MustParse(t, issueEvent))) {
			t.Errorf("Load and Parse disagree")
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		_, err := eventfile.Load(filepath.Join(t.TempDir(), "nope.toml"))
		if checkin.ErrorCode(err) != checkin.EINVALID {
			t.Fatalf("Load of a missing file: %v (code %q), want %q", err, checkin.ErrorCode(err), checkin.EINVALID)
		}
	})
}

// marker ends the line a bad file's error must name.
const marker = "# <-"

// head starts most bad files: the event and a venue.
const head = `[event]
id = "demo"

[[space]]
id = "venue"
capacity = 100
`

type badCase struct {
	name string
	src  string   // the line the error must name ends with marker
	want []string // what the message must say besides the line
}

var badCases = []badCase{
	{name: "ErrSyntax", src: head + `
[[space]]
id = "ballroom"
capacity 80 # <-
`},
	{name: "ErrSyntaxUnclosedTable", src: head + `
[[door # <-
id = "main"
`},
	{name: "ErrCapacityNotANumber", src: `[event]
id = "demo"

[[space]]
id = "venue"
capacity = "1500" # <-

[[space]]
id = "ballroom"
parent = "venue"
capacity = 800
`, want: []string{"capacity"}},
	{name: "ErrUnknownKey", src: head + `colour = "blue" # <-
`, want: []string{"unknown key", "colour"}},
	{name: "ErrUnknownKeyInLaterTable", src: head + `
[[door]]
id = "main"
from = "outside"
to = "venue"

[[door]]
id = "side"
form = "outside" # <-
to = "venue"
`, want: []string{"unknown key", "form"}},
	{name: "ErrUnknownTopLevelKey", src: `# A key before any table.
version = 2 # <-

[event]
id = "demo"
`, want: []string{"unknown key", "version"}},
	{name: "ErrExemptCategory", src: head + `
[[category]]
id = "staff"
may_enter = ["*"]
exempt = true # <-
`, want: []string{`"exempt"`, "every person counts"}},
	{name: "ErrCountsFalse", src: head + `
[[category]]
id = "attendee"
may_enter = ["venue"]

[[category]]
id = "sponsor-comp"
may_enter = ["venue"]
counts = false # <-
`, want: []string{`"counts"`, "every person counts"}},
	{name: "ErrUnlimitedSpace", src: head + `
[[space]]
id = "ballroom"
parent = "venue"
capacity = 80
unlimited = true # <-
`, want: []string{`"unlimited"`, "every person counts"}},
	{name: "ErrSpaceWithoutCapacity", src: head + `
[[space]]
id = "ballroom" # <-
parent = "venue"
`, want: []string{`"ballroom"`, "no capacity"}},
	{name: "ErrCapacityZero", src: head + `
[[space]]
id = "ballroom"
parent = "venue"
capacity = 0 # <-
`, want: []string{`"ballroom"`, "capacity above 0"}},
	{name: "ErrCapacityNegative", src: head + `
[[space]]
id = "ballroom"
capacity = -5 # <-
`, want: []string{`"ballroom"`, "capacity above 0"}},
	{name: "ErrNoSpace", src: `[event] # <-
id = "demo"
`, want: []string{"no space"}},
	{name: "ErrParentNotASpace", src: head + `
[[space]]
id = "ballroom"
parent = "hall" # <-
capacity = 80
`, want: []string{`"hall"`, "not a space"}},
	{name: "ErrGrandparentNotASpace", src: `[event]
id = "demo"

[[space]]
id = "ballroom"
parent = "venue"
capacity = 80

[[space]]
id = "venue"
parent = "campus" # <-
capacity = 100
`, want: []string{`"campus"`, "not a space"}},
	{name: "ErrParentCycle", src: `[event]
id = "demo"

[[space]]
id = "venue"
parent = "annex" # <-
capacity = 100

[[space]]
id = "annex"
parent = "venue"
capacity = 50
`, want: []string{`"venue"`, "ancestor"}},
	{name: "ErrOwnParent", src: `[event]
id = "demo"

[[space]]
id = "venue"
capacity = 100
parent = "venue" # <-
`, want: []string{`"venue"`, "ancestor"}},
	{name: "ErrReservedSpaceID", src: head + `
[[space]]
id = "outside" # <-
capacity = 10
`, want: []string{`"outside"`, "reserved"}},
	{name: "ErrDuplicateSpaceID", src: head + `
[[space]]
id = "ballroom"
parent = "venue"
capacity = 80

[[space]]
id = "venue" # <-
capacity = 200
`, want: []string{`"venue"`, "defined twice"}},
	{name: "ErrBadSpaceID", src: head + `
[[space]]
id = "grand ballroom" # <-
parent = "venue"
capacity = 80
`, want: []string{`"grand ballroom"`, "letters, digits"}},
	{name: "ErrBadEventID", src: `[event]
name = "Demo"
id = "demo/2012" # <-

[[space]]
id = "venue"
capacity = 100
`, want: []string{`"demo/2012"`, "letters, digits"}},
	{name: "ErrDoorToUnknownSpace", src: head + `
[[door]]
id = "main"
from = "outside"
to = "venu" # <-
`, want: []string{`"venu"`, "not a space"}},
	{name: "ErrDoorFromUnknownSpace", src: head + `
[[door]]
id = "main"
from = "outside"
to = "venue"

[[door]]
id = "side"
from = "lobby" # <-
to = "venue"
`, want: []string{`"lobby"`, "neither"}},
	{name: "ErrDoorBetweenSideBySideRooms", src: head + `
[[space]]
id = "hall-a"
parent = "venue"
capacity = 10

[[space]]
id = "hall-b"
parent = "venue"
capacity = 10

[[door]]
id = "connecting"
from = "hall-a" # <-
to = "hall-b"
`, want: []string{`"hall-a"`, `"hall-b"`, "not inside it"}},
	{name: "ErrDoorToOutside", src: head + `
[[door]]
id = "exit"
from = "venue"
to = "outside" # <-
`, want: []string{`"outside"`, "not a space"}},
	{name: "ErrDuplicateDoorID", src: head + `
[[door]]
id = "main"
from = "outside"
to = "venue"

[[door]]
id = "main" # <-
from = "outside"
to = "venue"
`, want: []string{`"main"`, "defined twice"}},
	{name: "ErrBadDoorID", src: head + `
[[door]]
id = "main door" # <-
from = "outside"
to = "venue"
`, want: []string{`"main door"`, "letters, digits"}},
	{name: "ErrMayEnterUnknownSpace", src: head + `
[[category]]
id = "attendee"
may_enter = ["venue", "ballrom"] # <-
`, want: []string{`"attendee"`, `"ballrom"`, "not a space"}},
	{name: "ErrDuplicateCategoryID", src: head + `
[[category]]
id = "attendee"
may_enter = ["venue"]

[[category]]
id = "attendee" # <-
may_enter = ["venue"]
`, want: []string{`"attendee"`, "defined twice"}},
	{name: "ErrDuplicateAlias", src: head + `
[[category]]
id = "sponsor-comp"
may_enter = ["venue"]
aliases = ["Sponsor Comp"]

[[category]]
id = "comp"
may_enter = ["venue"]
aliases = ["Free Pass", "sponsor comp"] # <-
`, want: []string{`"sponsor comp"`, `"sponsor-comp"`, `"comp"`}},
	{name: "ErrBadCategoryID", src: head + `
[[category]]
id = "sponsor comp" # <-
may_enter = ["venue"]
`, want: []string{`"sponsor comp"`, "letters, digits"}},
	{name: "ErrTagMayEnterUnknownSpace", src: head + `
[[tag]]
id = "vip"
may_enter = ["lounge"] # <-
`, want: []string{`"vip"`, `"lounge"`, "not a space"}},
	{name: "ErrBadStaffPIN", src: head + `
[kiosk]
staff_pin = "12" # <-
`, want: []string{"PIN"}},
	{name: "ErrSoundNotBool", src: head + `
[kiosk]
sound = "on" # <-
`, want: []string{"sound", "true or false"}},
	{name: "ErrVolumeZero", src: head + `
[kiosk]
volume = 0 # <-
`, want: []string{"volume", "sound = false"}},
	{name: "ErrVolumeOver", src: head + `
[kiosk]
volume = 150 # <-
`, want: []string{"volume", "1 to 100", "150"}},
	{name: "ErrPrinterSpace", src: head + `
[kiosk]
printer = "Front desk" # <-
`, want: []string{`"Front desk"`, "CUPS queue"}},
	{name: "ErrMediaUnknown", src: head + `
[kiosk]
media = "letter" # <-
`, want: []string{`"letter"`, "label", "a6"}},
	{name: "ErrSessionUnknownRoom", src: head + `
[[session]]
title = "Keynote"
room = "atrium" # <-
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00
`, want: []string{`"Keynote"`, `"atrium"`, "not a space"}},
	{name: "ErrSessionEndsBeforeStart", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T08:00:00+02:00 # <-
`, want: []string{`"Keynote"`, "before it starts", "2026-05-14T08:00:00+02:00"}},
	{name: "ErrSessionEndsAsItStarts", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = 2026-05-14T09:00:00Z
end = 2026-05-14T09:00:00Z # <-
`, want: []string{`"Keynote"`, "before it starts"}},
	{name: "ErrSessionsOverlap", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00

[[session]]
title = "Talks"
room = "venue"
start = 2026-05-14T09:30:00+02:00 # <-
end = 2026-05-14T11:00:00+02:00
`, want: []string{`"Talks"`, `"Keynote"`, "overlaps"}},
	{name: "ErrSessionsOverlapAcrossOffsets", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00

[[session]]
title = "Talks"
room = "venue"
start = 2026-05-14T07:30:00Z # <-
end = 2026-05-14T08:30:00Z
`, want: []string{`"Talks"`, "overlaps"}},
	{name: "ErrSessionTimeWithoutOffset", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = 2026-05-14T09:00:00 # <-
end = 2026-05-14T10:00:00+02:00
`, want: []string{"start", "UTC offset", "no offset"}},
	{name: "ErrSessionDateOnly", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14 # <-
`, want: []string{"end", "no offset"}},
	{name: "ErrSessionQuotedTimeWithoutOffset", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = "2026-05-14 09:00" # <-
end = 2026-05-14T10:00:00+02:00
`, want: []string{"start", "UTC offset", `"2026-05-14 09:00"`}},
	{name: "ErrSessionTimeWrongType", src: head + `
[[session]]
title = "Keynote"
room = "venue"
start = 900 # <-
end = 2026-05-14T10:00:00+02:00
`, want: []string{"start must be", "the number 900"}},
	{name: "ErrSessionRoomWrongType", src: head + `
[[session]]
title = "Keynote"
room = ["venue"] # <-
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00
`, want: []string{"room must be", "a list"}},
	{name: "ErrSessionWithoutTitle", src: head + `
[[session]] # <-
room = "venue"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00
`, want: []string{"title"}},
	{name: "ErrSessionWithoutStart", src: head + `
[[session]] # <-
title = "Keynote"
room = "venue"
end = 2026-05-14T10:00:00+02:00
`, want: []string{`"Keynote"`, "start time"}},
	{name: "ErrSessionWithoutEnd", src: head + `
[[session]] # <-
title = "Keynote"
room = "venue"
start = 2026-05-14T09:00:00+02:00
`, want: []string{`"Keynote"`, "needs an end time"}},
	{name: "ErrSessionUnknownKey", src: head + `
[[session]]
title = "Keynote"
speaker = "Grace" # <-
room = "venue"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-14T10:00:00+02:00
`, want: []string{"unknown key", `"speaker"`, "title, room, start, end"}},
	{name: "ErrSessionNotATable", src: `session = "Keynote" # <-
` + head, want: []string{"[[session]]"}},
	{name: "ErrEventStartOnly", src: `[event]
id = "demo"
start = 2026-05-14T09:00:00+02:00 # <-

[[space]]
id = "venue"
capacity = 100
`, want: []string{"no end", "both"}},
	{name: "ErrEventEndOnly", src: `[event]
id = "demo"
end = 2026-05-14T09:00:00+02:00 # <-

[[space]]
id = "venue"
capacity = 100
`, want: []string{"no start", "both"}},
	{name: "ErrEventEndBeforeStart", src: `[event]
id = "demo"
start = 2026-05-15T09:00:00+02:00
end = 2026-05-14T18:00:00+02:00 # <-

[[space]]
id = "venue"
capacity = 100
`, want: []string{"before start"}},
	{name: "ErrEventStartWithoutOffset", src: `[event]
id = "demo"
start = 2026-05-14T09:00:00 # <-
end = 2026-05-14T18:00:00+02:00

[[space]]
id = "venue"
capacity = 100
`, want: []string{"start must be", "UTC offset"}},
	{name: "ErrEventStartADate", src: `[event]
id = "demo"
start = 2026-05-14 # <-
end = 2026-05-14T18:00:00+02:00

[[space]]
id = "venue"
capacity = 100
`, want: []string{"start must be", "UTC offset"}},
	{name: "ErrSessionBeforeEventDays", src: `[event]
id = "demo"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-15T18:00:00+02:00

[[space]]
id = "venue"
capacity = 100

[[session]]
title = "Warm-up"
room = "venue"
start = 2026-05-13T23:30:00+02:00 # <-
end = 2026-05-14T10:00:00+02:00
`, want: []string{`"Warm-up"`, "first day", "2026-05-14"}},
	{name: "ErrSessionAfterEventDays", src: `[event]
id = "demo"
start = 2026-05-14T09:00:00+02:00
end = 2026-05-15T18:00:00+02:00

[[space]]
id = "venue"
capacity = 100

[[session]]
title = "Party"
room = "venue"
start = 2026-05-15T20:00:00+02:00
end = 2026-05-15T22:30:00Z # <-
`, want: []string{`"Party"`, "last day", "2026-05-15"}},
}

// markedLine returns the number of the one line of src that ends with
// marker.
func markedLine(tb testing.TB, src string) int {
	tb.Helper()
	n := 0
	for i, l := range strings.Split(src, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), marker) {
			if n != 0 {
				tb.Fatalf("bad case: two lines marked")
			}
			n = i + 1
		}
	}
	if n == 0 {
		tb.Fatalf("bad case: no line marked %q", marker)
	}
	return n
}

func TestParseErrors(t *testing.T) {
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			line := markedLine(t, tc.src)
			ev, err := parse(t, tc.src)
			if err == nil {
				t.Fatalf("Parse accepted the file: %+v", exported(ev))
			}
			var e *checkin.Error
			if !errors.As(err, &e) || e.Code != checkin.EINVALID {
				t.Fatalf("error %T %v, want a *checkin.Error with code %q", err, err, checkin.EINVALID)
			}
			if prefix := fmt.Sprintf("event.toml:%d: ", line); !strings.HasPrefix(e.Message, prefix) {
				t.Errorf("message %q does not start with %q", e.Message, prefix)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q does not say %q", e.Message, w)
				}
			}
		})
	}
}

// lineRef is how every error names the line.
var lineRef = regexp.MustCompile(`^event\.toml:([0-9]+): `)

// checkRoundTrip checks that String(ev) parses back to the same event.
func checkRoundTrip(tb testing.TB, ev *checkin.Event) {
	tb.Helper()
	s, err := eventfile.String(ev)
	if err != nil {
		tb.Fatalf("String: %v", err)
	}
	back, err := eventfile.Parse("event.toml", []byte(s))
	if err != nil {
		tb.Fatalf("String's output does not parse: %v\n%s", err, s)
	}
	if got, want := exported(back), exported(ev); !reflect.DeepEqual(got, want) {
		tb.Fatalf("round trip changed the event\n got %+v\nwant %+v\nfile:\n%s", got, want, s)
	}
	if got, want := schedule(back), schedule(ev); !slices.Equal(got, want) {
		tb.Fatalf("round trip changed the schedule\n got %q\nwant %q\nfile:\n%s", got, want, s)
	}
}

func TestString(t *testing.T) {
	built := &checkin.Event{
		ID:       "built",
		Name:     `The "Built" Conference — 2012`,
		StaffPIN: "024680",
		Spaces: []checkin.Space{
			{ID: "venue", Name: "Hall\twith a tab", Capacity: 1500},
			{ID: "ballroom", Name: "Ballroom", Parent: "venue", Capacity: 800, AntiPassback: true},
			{ID: "stage", Name: "Stage", Parent: "ballroom", Capacity: 20, AntiPassback: true},
		},
		Doors: []checkin.Door{
			{ID: "main", Name: "Main Entrance", From: checkin.Outside, To: "venue"},
			{ID: "ballroom", Name: "Ballroom Door", From: "venue", To: "ballroom"},
			{ID: "backstage", Name: "Backstage", From: checkin.Outside, To: "stage"},
		},
		Categories: []checkin.Category{
			{ID: "attendee", Name: "Attendee", MayEnter: []string{"venue", "ballroom"}, Aliases: []string{"General Admission", "Early Bird"}},
			{ID: "sponsor-comp", Name: "Sponsor guest", MayEnter: []string{"venue"}, Aliases: []string{"Sponsor Comp"}},
			{ID: "staff", Name: "Staff", MayEnter: []string{checkin.Everywhere}},
		},
		Tags: []checkin.TagRule{{ID: "stage-crew", MayEnter: []string{"stage"}}},
	}
	for _, tc := range []struct {
		name string
		ev   func(testing.TB) *checkin.Event
	}{
		{"IssueEvent", func(tb testing.TB) *checkin.Event { return MustParse(tb, issueEvent) }},
		{"DemoEvent", func(tb testing.TB) *checkin.Event { return MustParse(tb, string(assets.DemoEvent)) }},
		{"Built", func(tb testing.TB) *checkin.Event {
			tb.Helper()
			if err := built.Validate(); err != nil {
				tb.Fatalf("Validate: %v", err)
			}
			return built
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkRoundTrip(t, tc.ev(t))
		})
	}
}
