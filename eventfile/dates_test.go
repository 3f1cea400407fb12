package eventfile_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"usher/assets"
	"usher/eventfile"
)

// datedEvent is the demo event without its [event] table's dates and
// sessions, with the dates given.
func datedEvent(dates string) string {
	src := demoWithoutSchedule()
	var kept []string
	for _, l := range strings.Split(src, "\n") {
		if !strings.HasPrefix(l, "start =") && !strings.HasPrefix(l, "end =") {
			kept = append(kept, l)
		}
	}
	return strings.Replace(strings.Join(kept, "\n"), `name = "Demo Conference"`, `name = "Demo Conference"`+"\n"+dates, 1)
}

// TestDates reads [event] start and end: the event's days run from 00:00
// of the first to 24:00 of the last in the offset each is written with;
// without them there are none. The event definition is the same either
// way: kiosks do not decide with the dates.
func TestDates(t *testing.T) {
	cest, edt := time.FixedZone("", 2*3600), time.FixedZone("", -4*3600)
	for _, c := range []struct {
		name        string
		dates       string
		from, until time.Time
	}{
		{"OneDay", "start = 2026-05-14T09:00:00+02:00\nend = 2026-05-14T18:00:00+02:00",
			time.Date(2026, 5, 14, 0, 0, 0, 0, cest), time.Date(2026, 5, 15, 0, 0, 0, 0, cest)},
		{"ThreeDaysAsStrings", "start = \"2026-05-14T09:00:00-04:00\"\nend = \"2026-05-16T23:30:00-04:00\"",
			time.Date(2026, 5, 14, 0, 0, 0, 0, edt), time.Date(2026, 5, 17, 0, 0, 0, 0, edt)},
		{"UTC", "start = 2026-05-14T09:00:00Z\nend = 2026-05-15T17:00:00Z",
			time.Date(2026, 5, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 16, 0, 0, 0, 0, time.UTC)},
		{"None", "", time.Time{}, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := eventfile.ParseFile("event.toml", []byte(datedEvent(c.dates)))
			if err != nil {
				t.Fatal(err)
			}
			from, until := f.Dates.Days()
			if !from.Equal(c.from) || !until.Equal(c.until) || f.Dates.IsZero() != c.from.IsZero() {
				t.Errorf("days %v to %v (zero %v), want %v to %v", from, until, f.Dates.IsZero(), c.from, c.until)
			}
			_, got := from.Zone()
			if _, want := c.from.Zone(); got != want {
				t.Errorf("first day %s is not in the file's offset", from.Format(time.RFC3339))
			}
			undated := MustParse(t, datedEvent(""))
			if got, want := exported(f.Event), exported(undated); !reflect.DeepEqual(got, want) {
				t.Errorf("the event with dates differs from the one without:\n%+v\n%+v", got, want)
			}
		})
	}
}

// TestDemoEventDates: the demo event has dates, and its schedule is
// within them.
func TestDemoEventDates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "event.toml")
	if err := os.WriteFile(path, assets.DemoEvent, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := eventfile.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	from, until := f.Dates.Days()
	if f.Dates.IsZero() || len(f.Event.Sessions) == 0 {
		t.Fatalf("demo event: dates %+v, %d sessions", f.Dates, len(f.Event.Sessions))
	}
	for _, s := range f.Event.Sessions {
		if s.Start.Before(from) || s.End.After(until) {
			t.Errorf("session %q (%v – %v) outside the demo's days %v – %v", s.Title, s.Start, s.End, from, until)
		}
	}
}
