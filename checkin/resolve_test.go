package checkin_test

import "testing"

// A ticket type from another system finds its category whatever its case,
// spaces and punctuation, of any script: pretix names a variation with an
// en dash ("Ticket – Regular") where an organizer types a hyphen.
func TestResolveCategory(t *testing.T) {
	ev := newFixtureEvent()
	ev.Categories[0].Aliases = []string{"Conference ticket - Regular", "Frühbucher"}
	MustValidate(t, ev)
	for _, tc := range []struct {
		name, want string
	}{
		{"Conference ticket – Regular", "attendee"}, // en dash
		{"Conference ticket — Regular", "attendee"}, // em dash
		{"conference ticket regular", "attendee"},
		{"CONFERENCE_TICKET-REGULAR", "attendee"},
		{"Frühbucher", "attendee"},
		{"FRÜHBUCHER", "attendee"},
		{"Fruhbucher", ""}, // a letter is not punctuation
		{"Sponsor Comp", "sponsor-comp"},
		{"sponsor\u00a0comp", "sponsor-comp"}, // a no-break space
		{"Conference ticket – Student", ""},
	} {
		got, ok := ev.ResolveCategory(tc.name)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("ResolveCategory(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}
