package pretix_test

import (
	"slices"
	"testing"
	"time"

	"usher/pretix"
	"usher/pretix/pretixtest"
)

// A check-in list for one date of an event series reads that date's
// tickets only; the others are left out like products off the list. A
// ticket pretix blocked from entry reads as blocked.
func TestReadSeriesDateAndBlocked(t *testing.T) {
	s := pretixtest.New(t, token)
	s.AddOrder(pretixtest.Order{Code: "MON1", Status: "p", Email: "m@example.org", Positions: []pretixtest.Position{
		{Item: pretixtest.ItemWorkshop, Secret: "monday-ticket", AttendeeName: "Mo", Subevent: pretixtest.SeriesMonday},
		{Item: pretixtest.ItemWorkshop, Secret: "tuesday-ticket", AttendeeName: "Tu", Subevent: pretixtest.SeriesTuesday},
		{Item: pretixtest.ItemWorkshop, Secret: "blocked-ticket", AttendeeName: "Bea", Subevent: pretixtest.SeriesMonday,
			Blocked: []string{"admin"}},
	}})
	cfg := config(s)
	cfg.CheckinList = pretixtest.ListMonday
	exp := MustRead(t, cfg, time.Time{})
	status := map[string]string{}
	for _, r := range exp.Rows {
		status[r[slices.Index(exp.Header, "Secret")]] = r[slices.Index(exp.Header, "Status")]
	}
	if len(status) != 2 || status["monday-ticket"] != "paid" || status["blocked-ticket"] != "blocked" {
		t.Errorf("rows by secret and status %v; want Monday's ticket paid and the blocked one blocked", status)
	}
	if !slices.Equal(exp.Left, []string{"MON1-2"}) {
		t.Errorf("left out %v, want Tuesday's MON1-2", exp.Left)
	}
	// Without a list, every date is read.
	if exp := MustRead(t, pretix.Config{URL: s.EventURL(), Token: token}, time.Time{}); len(exp.Rows) != 3 {
		t.Errorf("%d rows without a check-in list, want 3", len(exp.Rows))
	}
}
