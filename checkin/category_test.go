package checkin_test

import (
	"testing"

	"usher/checkin"
)

// categoryEvent defines attendee (with an alias), which may enter the
// venue, and observer, which may enter no space.
func categoryEvent(tb testing.TB) *checkin.Event {
	tb.Helper()
	ev := &checkin.Event{
		ID:     "conf",
		Name:   "Conf",
		Spaces: []checkin.Space{{ID: "venue", Name: "Venue", Capacity: 10}},
		Doors:  []checkin.Door{{ID: "main", From: checkin.Outside, To: "venue"}},
		Categories: []checkin.Category{
			{ID: "attendee", Name: "Attendee", MayEnter: []string{"venue"}, Aliases: []string{"Conference ticket"}},
			{ID: "observer", Name: "Observer"},
		},
	}
	MustValidate(tb, ev)
	return ev
}

// wantCategoryErr fails unless err is nil for want "" and otherwise an
// EINVALID error with exactly the message want.
func wantCategoryErr(tb testing.TB, err error, want string) {
	tb.Helper()
	switch {
	case want == "" && err != nil:
		tb.Errorf("error %v, want none", err)
	case want == "":
	case checkin.ErrorCode(err) != checkin.EINVALID || checkin.ErrorMessage(err) != want:
		tb.Errorf("error %v (%s), want EINVALID %q", err, checkin.ErrorCode(err), want)
	}
}

// TestCategoryChecks: each place a roster comes in refuses a category
// the event does not define or lets in nowhere, in its own words.
func TestCategoryChecks(t *testing.T) {
	ev := categoryEvent(t)
	for _, c := range []struct {
		name, category      string
		roster, person, row string // the wanted messages; "" for none
	}{
		{"OK", "attendee", "", "", ""},
		{"Undefined", "walk-in",
			`category "walk-in" (3 people on the roster, e.g. P7) is not defined or may enter no space in event conf`,
			`person P7: category "walk-in" is not defined or may enter no space in event conf`,
			`person P7: category "walk-in" is not defined or may enter no space`},
		{"EntersNoSpace", "observer",
			`category "observer" (3 people on the roster, e.g. P7) is not defined or may enter no space in event conf`,
			`person P7: category "observer" is not defined or may enter no space in event conf`,
			`person P7: category "observer" is not defined or may enter no space`},
		{"AliasIsNoID", "Conference ticket",
			`category "Conference ticket" (3 people on the roster, e.g. P7) is not defined or may enter no space in event conf`,
			`person P7: category "Conference ticket" is not defined or may enter no space in event conf`,
			`person P7: category "Conference ticket" is not defined or may enter no space`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := checkin.Person{ID: "P7", Category: c.category}
			wantCategoryErr(t, ev.CheckRosterCategory(c.category, 3, "P7"), c.roster)
			wantCategoryErr(t, ev.CheckPersonCategory(&p), c.person)
			wantCategoryErr(t, ev.CheckRowCategory(&p), c.row)
		})
	}
}

// TestResolveReachingCategory: a person added by hand may name their
// category by id or alias; one the event lacks, or lets in nowhere, is
// refused.
func TestResolveReachingCategory(t *testing.T) {
	ev := categoryEvent(t)
	for _, c := range []struct {
		name, given, id, err string
	}{
		{"ID", "attendee", "attendee", ""},
		{"Alias", "conference TICKET", "attendee", ""},
		{"Undefined", "walk-in", "", `category "walk-in" is not defined in event conf (defined: attendee, observer)`},
		{"EntersNoSpace", "observer", "", `category "observer" may enter no space of event conf`},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := ev.ResolveReachingCategory(c.given)
			wantCategoryErr(t, err, c.err)
			if id != c.id {
				t.Errorf("id %q, want %q", id, c.id)
			}
		})
	}
}
