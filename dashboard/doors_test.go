package dashboard_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"usher/checkin"
	"usher/dashboard"
)

// The "Doors and kiosks" table shows how many came in and went out at
// each door, telling apart two entrances from outside into the venue;
// a scan staff undid counts at no door.
func TestDashboardShowsDoorFigures(t *testing.T) {
	v := MustVenue(t, morning())
	var people []checkin.Person
	for _, p := range v.people {
		if attendee(p) {
			people = append(people, p)
		}
	}
	for _, p := range people[:3] {
		v.Scan(t, "main", p, checkin.Entry, checkin.Admitted)
		v.clock.Add(time.Second)
	}
	v.Scan(t, "east", people[3], checkin.Entry, checkin.Admitted)
	v.clock.Add(time.Second)
	v.Scan(t, "main", people[4], checkin.Entry, checkin.Admitted)
	if d, err := v.kiosks["main"].db.Undo(context.Background(), "main", time.Minute); err != nil || d.Reason != checkin.Undone {
		t.Fatalf("undo at main: %v %v", d.Reason, err)
	}
	v.clock.Add(time.Second)
	v.Scan(t, "main", people[0], checkin.Exit, checkin.ExitRecorded)
	v.clock.Add(time.Second)
	v.Sync(t, "main", "east")

	code, _, body := v.get(t, dashboard.PathHome, v.MustSignIn(t).Value)
	if code != http.StatusOK {
		t.Fatalf("dashboard: %d", code)
	}
	for _, tc := range []struct {
		door           string
		entries, exits string
	}{
		{"main", "3", "1"},
		{"east", "1", "0"},
	} {
		re := regexp.MustCompile(`<tr data-door="` + tc.door + `"[^>]*>\s*<td>.*?</td>\s*<td class="num" data-entries="(\d+)">\d+</td><td class="num" data-exits="(\d+)">`)
		m := re.FindStringSubmatch(body)
		if m == nil {
			t.Errorf("door %s: no entries and exits on the dashboard", tc.door)
			continue
		}
		if m[1] != tc.entries || m[2] != tc.exits {
			t.Errorf("door %s: %s entries, %s exits; want %s and %s", tc.door, m[1], m[2], tc.entries, tc.exits)
		}
	}
}
