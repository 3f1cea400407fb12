package export

import (
	"testing"
	"time"

	"usher/eventfile"
	"usher/report"
)

const spanEvent = `[event]
id = "sp"
[[space]]
id = "venue"
capacity = 10
[[category]]
id = "attendee"
may_enter = ["*"]
[[session]]
title = "Early"
room = "venue"
start = 2026-05-14T08:00:00+02:00
end = 2026-05-14T09:00:00+02:00
[[session]]
title = "Next day"
room = "venue"
start = 2026-05-15T10:00:00+02:00
end = 2026-05-15T11:00:00+02:00
`

// A chart covers its scans and the sessions of the same days: a session
// before the first scan widens it, one on another day does not.
func TestSpan(t *testing.T) {
	ev, err := eventfile.Parse("event.toml", []byte(spanEvent))
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("", 2*3600)
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, zone) }
	for _, tc := range []struct {
		name         string
		first, last  time.Time
		from         time.Time
		wantSessions []string
	}{
		{"SameDay", at(14, 9, 30), at(14, 10, 0), at(14, 8, 0), []string{"Early"}},
		{"OtherDay", at(20, 14, 0), at(20, 15, 0), at(20, 14, 0), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := report.Log{Event: ev, Moves: []report.Move{
				{At: tc.first, Person: "p", Category: "attendee", To: "venue"},
				{At: tc.last, Person: "p", Category: "attendee", To: "outside"},
			}}
			r := report.Build(log, tc.last)
			from, end, sessions := span(r, Zone(r))
			var titles []string
			for _, s := range sessions {
				titles = append(titles, s.Title)
			}
			if !from.Equal(tc.from) || !end.Equal(r.End) || len(titles) != len(tc.wantSessions) ||
				(len(titles) > 0 && titles[0] != tc.wantSessions[0]) {
				t.Errorf("span %s – %s with %q; want %s – %s with %q", from, end, titles, tc.from, r.End, tc.wantSessions)
			}
		})
	}
}
