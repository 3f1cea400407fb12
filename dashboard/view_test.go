package dashboard

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"usher/centralstore"
	"usher/demo"
	"usher/report"
)

// TestLevel: green below 90 % of the cap, amber from 90 %, red at the
// cap and over it, as on the kiosk's screen.
func TestLevel(t *testing.T) {
	for _, c := range []struct {
		n, capacity int
		want        string
	}{
		{0, 800, LevelOK}, {719, 800, LevelOK}, {720, 800, LevelNear}, {799, 800, LevelNear},
		{800, 800, LevelFull}, {812, 800, LevelFull}, {35, 40, LevelOK}, {36, 40, LevelNear}, {0, 0, LevelFull},
	} {
		if got := level(c.n, c.capacity); got != c.want {
			t.Errorf("level(%d, %d) = %s, want %s", c.n, c.capacity, got, c.want)
		}
	}
}

// TestCrosses: a door counts for a space when passing it changes who is
// in that space — the venue's entrances for the venue, a room's door for
// the room but not for the venue around it.
func TestCrosses(t *testing.T) {
	ev := demo.Event()
	for _, c := range []struct {
		door, space string
		want        bool
	}{
		{"main", "venue", true}, {"main", "ballroom", false},
		{"ballroom-north", "ballroom", true}, {"ballroom-north", "venue", false}, {"hall-b", "ballroom", false},
	} {
		if got := crosses(ev, *ev.Door(c.door), c.space); got != c.want {
			t.Errorf("crosses(%s, %s) = %v, want %v", c.door, c.space, got, c.want)
		}
	}
}

// TestSpark: the trend line holds each count until the next change,
// runs left to right across the box, and the capacity is its top.
func TestSpark(t *testing.T) {
	from := time.Date(2026, 5, 14, 9, 40, 0, 0, time.UTC)
	pts := []report.Point{{At: from, N: 0}, {At: from.Add(15 * time.Minute), N: 20}, {At: from.Add(Trend), N: 20}}
	s := spark(pts, from, 40)
	want := "0.0,38.0 120.0,38.0 120.0,20.0 240.0,20.0 240.0,20.0"
	if s.Points != want {
		t.Errorf("points %q, want %q", s.Points, want)
	}
	if s.CapY != "2.0" {
		t.Errorf("cap line at %s, want the top (2.0)", s.CapY)
	}
	if !strings.HasPrefix(s.Area, "0.0,40 ") || !strings.HasSuffix(s.Area, " 240.0,40") {
		t.Errorf("area %q is not closed along the bottom", s.Area)
	}
	// Over the cap, the line still fits the box.
	for _, xy := range strings.Fields(spark([]report.Point{{At: from, N: 50}, {At: from.Add(Trend), N: 50}}, from, 40).Points) {
		y, _ := strconv.ParseFloat(strings.Split(xy, ",")[1], 64)
		if y < 0 || y > SparkH {
			t.Errorf("point %s is outside the box", xy)
		}
	}
}

// TestOfflineDoor: a kiosk not heard from within ActiveWithin makes its
// door offline, named on every space it leads into or out of, and in
// the view's list; a revoked kiosk does not, and its door counts as one
// without a kiosk.
func TestOfflineDoor(t *testing.T) {
	ev := demo.Event()
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	st := statusWith(map[string]int{"venue": 10},
		kioskAt("main", now.Add(-time.Minute), false),
		kioskAt("east", now.Add(-2*time.Minute-time.Second), false),
		kioskAt("hall-b", now.Add(-time.Hour), true))
	v := makeView(ev, st, report.Build(report.Log{Event: ev}, now), nil, "maria", now)
	if len(v.Offline) != 1 || v.Offline[0] != "East Entrance" {
		t.Errorf("offline doors %q, want East Entrance", v.Offline)
	}
	for _, s := range v.Spaces {
		switch s.ID {
		case "venue":
			if len(s.Offline) != 1 || s.Offline[0] != "East Entrance" {
				t.Errorf("venue: offline %q", s.Offline)
			}
		case "hall-b":
			if len(s.Offline) != 0 || len(s.Unwatched) != 1 {
				t.Errorf("hall-b with a revoked kiosk: offline %q, unwatched %q", s.Offline, s.Unwatched)
			}
		default:
			if len(s.Offline) != 0 {
				t.Errorf("%s: offline %q", s.ID, s.Offline)
			}
		}
	}
	for _, d := range v.Doors {
		if d.ID == "east" && d.Kiosks[0].State() != "offline since "+now.Add(-2*time.Minute-time.Second).Local().Format("15:04:05") {
			t.Errorf("east: %q", d.Kiosks[0].State())
		}
	}
}

func statusWith(occupancy map[string]int, kiosks ...centralstore.KioskState) centralstore.Status {
	return centralstore.Status{Occupancy: occupancy, Kiosks: kiosks}
}

func kioskAt(door string, seen time.Time, revoked bool) centralstore.KioskState {
	return centralstore.KioskState{ID: "K-" + door, Door: door, LastSeen: seen, Revoked: revoked}
}

// TestBehindAndUnwatchedDoors: a kiosk heard from lately that still has
// scans the center lacks makes its door's numbers not live, on the
// dashboard and on the fire-marshal view; the marshal view also names
// the doors with no kiosk, and says all is well only when neither is so.
func TestBehindAndUnwatchedDoors(t *testing.T) {
	ev := demo.Event()
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	main := kioskAt("main", now.Add(-5*time.Second), false)
	main.Waiting = 250
	st := statusWith(map[string]int{"venue": 10}, main)
	v := makeView(ev, st, report.Build(report.Log{Event: ev}, now), nil, "maria", now)
	if len(v.Offline) != 0 || len(v.Behind) != 1 || v.Behind[0] != "Main Entrance (250 scans)" {
		t.Errorf("offline %q, behind %q; want Main Entrance (250 scans) behind", v.Offline, v.Behind)
	}
	if len(v.Unwatched) != len(ev.Doors)-1 {
		t.Errorf("unwatched %q, want every door but main", v.Unwatched)
	}
	if s := v.Spaces[0]; s.ID != "venue" || len(s.Behind) != 1 {
		t.Errorf("%s: behind %q, want main's scans named", s.ID, s.Behind)
	}
	h := New(nil, nil).(*Handler)
	render := func(v *View) string {
		var b strings.Builder
		if err := h.tmpl.ExecuteTemplate(&b, "marshal-live", pageData{View: v, Page: "marshal"}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	page := render(v)
	for _, want := range []string{"SCANS NOT YET RECEIVED: Main Entrance (250 scans)", "NO KIOSK AT: East Entrance", "not live: scans waiting at Main Entrance"} {
		if !strings.Contains(page, want) {
			t.Errorf("marshal view lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "every kiosk is reporting") {
		t.Errorf("marshal view says all is well with a door behind and doors without a kiosk")
	}
	// Every door watched and nothing waiting: all is well.
	var ks []centralstore.KioskState
	for _, d := range ev.Doors {
		ks = append(ks, kioskAt(d.ID, now.Add(-5*time.Second), false))
	}
	v = makeView(ev, statusWith(map[string]int{}, ks...), report.Build(report.Log{Event: ev}, now), nil, "maria", now)
	if page := render(v); !strings.Contains(page, "every kiosk is reporting") || strings.Contains(page, "NOT YET") || strings.Contains(page, "NO KIOSK") {
		t.Errorf("marshal view with every door reporting:\n%s", page)
	}
}

// The dashboard names a kiosk whose log forked (restored or copied) and
// one whose claims the center refused, at its door.
func TestKioskAlarms(t *testing.T) {
	ev := demo.Event()
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	forked, refused, fine := kioskAt("main", now, false), kioskAt("east", now, false), kioskAt("hall-b", now, false)
	forked.Forks, refused.Refused = 5, 3
	v := makeView(ev, statusWith(map[string]int{}, forked, refused, fine), report.Build(report.Log{Event: ev}, now), nil, "maria", now)
	var b strings.Builder
	if err := New(nil, nil).(*Handler).tmpl.ExecuteTemplate(&b, "dashboard-live", pageData{View: v, Page: "dashboard"}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"Its log forked (5 events under seqs it had used)", "enroll it again", "3 of its claims were refused"} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="alarm"`); n != 2 {
		t.Errorf("%d kiosk alarms, want 2 (the kiosk at hall-b is fine)", n)
	}
}
