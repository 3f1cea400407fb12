package dashboard_test

import (
	"context"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/dashboard"
	"usher/report"
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

// The dashboard's door figures and trend lines, from the figures the
// center keeps as pushes arrive, are what a report over every move gives
// (as the dashboard showed them when it read every stay each poll), on
// the page and in the view: after the morning, a staff undo, counts
// without a badge in and out.
func TestDashboardIsTheReport(t *testing.T) {
	v := MustVenue(t, morning())
	v.Morning(t)
	ctx := context.Background()
	main := v.kiosks["main"].db
	for _, delta := range []int{1, 1, -1} {
		if d, err := main.Adjust(ctx, "main", delta, "no badge"); err != nil || d.Kind == checkin.Deny {
			t.Fatalf("count %+d at main: %v %v", delta, d.Reason, err)
		}
		v.clock.Add(10 * time.Second)
	}
	if d, err := main.Undo(ctx, "main", time.Minute); err != nil || d.Reason != checkin.Undone {
		t.Fatalf("undo at main: %v %v", d.Reason, err)
	}
	v.clock.Add(time.Second)
	v.Sync(t, "main")

	now := v.db.Now()
	st, log, err := v.db.History(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	end := now
	if n := len(log.Moves); n > 0 && log.Moves[n-1].At.After(end) {
		end = log.Moves[n-1].At
	}
	rep := report.Build(log, end)
	want := dashboard.MakeView(log.Event, st, rep, nil, organizer, now)
	got, err := dashboard.BuildView(ctx, v.db, organizer, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Doors, want.Doors) {
		t.Errorf("doors\n dashboard %+v\n report    %+v", got.Doors, want.Doors)
	}
	moving := 0
	for i, s := range want.Spaces {
		if got.Spaces[i].Spark != s.Spark {
			t.Errorf("%s: trend\n dashboard %+v\n report    %+v", s.ID, got.Spaces[i].Spark, s.Spark)
		}
		if strings.Count(s.Spark.Points, " ") > 2 {
			moving++
		}
	}
	if moving == 0 {
		t.Errorf("no trend line moved in the last %s: the comparison proved little", dashboard.Trend)
	}

	_, _, body := v.get(t, dashboard.PathHome, v.MustSignIn(t).Value)
	counted := 0
	for _, d := range rep.Doors {
		re := regexp.MustCompile(`<tr data-door="` + d.ID + `"[^>]*>\s*<td>.*?</td>\s*<td class="num" data-entries="(\d+)">\d+</td><td class="num" data-exits="(\d+)">`)
		m := re.FindStringSubmatch(body)
		if m == nil {
			t.Errorf("door %s: no entries and exits on the dashboard", d.ID)
			continue
		}
		if m[1] != strconv.Itoa(d.Entries) || m[2] != strconv.Itoa(d.Exits) {
			t.Errorf("door %s: %s entries, %s exits on the page; the report says %d and %d", d.ID, m[1], m[2], d.Entries, d.Exits)
		}
		counted += d.Entries + d.Exits
	}
	if counted == 0 {
		t.Error("no door counted anyone")
	}
}
