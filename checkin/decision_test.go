package checkin_test

import (
	"slices"
	"strings"
	"testing"

	"usher/checkin"
)

// The fixture: a venue for 4 with rooms small enough that "full" takes a
// few people. Capacities are tiny on purpose; the PyCon test does the
// real numbers.
//
//	outside ─main→ venue (4)
//	                ├─ballroom-north→ ballroom (2, anti-passback) ─stage→ stage (1, anti-passback)
//	                ├─hall-b→ hall-b (3, re-entry allowed)
//	                └─workshop-a→ workshop-a (1, anti-passback; by tag)
func newFixtureEvent() *checkin.Event {
	return &checkin.Event{
		ID:   "fixture",
		Name: "Fixture Conference",
		Spaces: []checkin.Space{
			{ID: "venue", Name: "Convention Center", Capacity: 4},
			{ID: "ballroom", Name: "Grand Ballroom", Parent: "venue", Capacity: 2, AntiPassback: true},
			{ID: "hall-b", Name: "Hall B", Parent: "venue", Capacity: 3},
			{ID: "workshop-a", Name: "Workshop Room A", Parent: "venue", Capacity: 1, AntiPassback: true},
			{ID: "stage", Name: "Stage", Parent: "ballroom", Capacity: 1, AntiPassback: true},
		},
		Doors: []checkin.Door{
			{ID: "main", From: checkin.Outside, To: "venue"},
			{ID: "ballroom-north", From: "venue", To: "ballroom"},
			{ID: "hall-b", From: "venue", To: "hall-b"},
			{ID: "workshop-a", From: "venue", To: "workshop-a"},
			{ID: "stage", From: "ballroom", To: "stage"},
		},
		Categories: []checkin.Category{
			{ID: "attendee", Name: "Attendee", MayEnter: []string{"venue", "ballroom", "hall-b"}},
			{ID: "sponsor-comp", Name: "Sponsor guest", MayEnter: []string{"venue", "ballroom", "hall-b"}},
			{ID: "exhibitor", Name: "Exhibitor", MayEnter: []string{"venue", "hall-b"}},
			{ID: "gala", Name: "Gala guest", MayEnter: []string{"ballroom"}},
			{ID: "staff", Name: "Staff", MayEnter: []string{checkin.Everywhere}},
		},
		Tags: []checkin.TagRule{{ID: "workshop-a", MayEnter: []string{"workshop-a"}}},
	}
}

// fixtureRoster is who the fixture's codes name. REV-1 is revoked; zed's
// category is not in the event; ref's ticket was refunded.
func fixtureRoster() []checkin.Person {
	return []checkin.Person{
		{ID: "ada", Name: "Ada", Category: "attendee", Code: "ADA-1"},
		{ID: "bo", Name: "Bo", Category: "attendee", Tags: []string{"workshop-a"}, Code: "BO-1"},
		{ID: "cy", Name: "Cy", Category: "sponsor-comp", Code: "CY-1"},
		{ID: "dee", Name: "Dee", Category: "exhibitor", Code: "DEE-1"},
		{ID: "gil", Name: "Gil", Category: "gala", Code: "GIL-1"},
		{ID: "sam", Name: "Sam", Category: "staff", Code: "SAM-1"},
		{ID: "zed", Name: "Zed", Category: "walk-in", Code: "ZED-1"},
		{ID: "rev", Name: "Rev", Category: "attendee", Code: "REV-1"},
		{ID: "ref", Name: "Ref", Category: "attendee", Code: "REF-1", Revoked: "refunded ticket"},
	}
}

// fillers are people who only take up room; they are on no roster.
var fillers = []string{"f1", "f2", "f3", "f4"}

type fixture struct {
	ev      *checkin.Event
	byCode  map[string]*checkin.Person
	byID    map[string]*checkin.Person
	revoked map[string]bool // by code
	ids     []string        // roster ids and fillers, for setups
	locs    []string        // Outside and every space, for setups
}

// MustFixture returns the fixture event, validated, with its roster.
func MustFixture(tb testing.TB) *fixture {
	tb.Helper()
	ev := newFixtureEvent()
	MustValidate(tb, ev)
	f := &fixture{ev: ev, byCode: map[string]*checkin.Person{}, byID: map[string]*checkin.Person{},
		revoked: map[string]bool{"REV-1": true}, locs: []string{checkin.Outside}}
	for _, p := range fixtureRoster() {
		f.byCode[p.Code], f.byID[p.ID] = &p, &p
		f.ids = append(f.ids, p.ID)
	}
	f.ids = append(f.ids, fillers...)
	for _, s := range ev.Spaces {
		f.locs = append(f.locs, s.ID)
	}
	return f
}

// MustValidate fails the test if ev does not validate.
func MustValidate(tb testing.TB, ev *checkin.Event) {
	tb.Helper()
	if err := ev.Validate(); err != nil {
		tb.Fatalf("Validate: %v", err)
	}
}

// badge resolves a scan the way the store does: by code, or by person id
// for a scan by name.
func (f *fixture) badge(scan checkin.Scan) checkin.Badge {
	if scan.Method == checkin.ByName {
		return checkin.Badge{Person: f.byID[scan.PersonID]}
	}
	if r, ok := strings.CutPrefix(scan.Code, "PROBLEM-"); ok && badgeProblems[checkin.Reason(r)] {
		// A signed badge the badge package found wanting, for one of
		// the reasons it gives (anything else is just an unknown code).
		return checkin.Badge{Problem: checkin.Reason(r)}
	}
	return checkin.Badge{Person: f.byCode[scan.Code], Revoked: f.revoked[scan.Code]}
}

// badgeProblems are the reasons badge.Verify gives a signed badge.
var badgeProblems = map[checkin.Reason]bool{
	checkin.ForgedBadge: true, checkin.UnknownKey: true, checkin.WrongEvent: true,
	checkin.ExpiredBadge: true, checkin.NotYetValid: true,
}

type move struct{ who, to string }

// MustState returns a state with setup applied, failing on a setup that
// names an unknown person or place (a typo in a case).
func (f *fixture) MustState(tb testing.TB, setup []move, counted []string) *checkin.State {
	tb.Helper()
	st := checkin.NewState(f.ev)
	for _, m := range setup {
		if !slices.Contains(f.ids, m.who) || !slices.Contains(f.locs, m.to) {
			tb.Fatalf("bad setup %+v", m)
		}
		st.Move(m.who, m.to)
	}
	for _, door := range counted {
		d := f.ev.Door(door)
		if d == nil {
			tb.Fatalf("bad setup: door %q", door)
		}
		st.Adjust(d.From, d.To, 1)
	}
	return st
}

// outcome is what a test checks of a decision.
type outcome struct {
	kind            checkin.Kind
	reason          checkin.Reason
	person          string // "" when the decision names nobody
	from, to, space string
}

func outcomeOf(d checkin.Decision) outcome {
	o := outcome{kind: d.Kind, reason: d.Reason, from: d.From, to: d.To, space: d.Space}
	if d.Person != nil {
		o.person = d.Person.ID
	}
	return o
}

func entry(code, door string) checkin.Scan {
	return checkin.Scan{Code: code, Door: door, Direction: checkin.Entry}
}

func exit(code, door string) checkin.Scan {
	return checkin.Scan{Code: code, Door: door, Direction: checkin.Exit}
}

func byName(id, door string) checkin.Scan {
	return checkin.Scan{Method: checkin.ByName, PersonID: id, Door: door, Direction: checkin.Entry, Note: "forgot badge"}
}

func override(s checkin.Scan) checkin.Scan {
	s.Override, s.Note = true, "staff override"
	return s
}

// Shorthands for the common shapes of an expected decision.
func admit(who, from, to string) outcome {
	return outcome{kind: checkin.Admit, reason: checkin.Admitted, person: who, from: from, to: to}
}

// again is an entry scan of someone already inside a space without
// anti-passback: the door opens, nobody moves.
func again(who, at string) outcome {
	return outcome{kind: checkin.Admit, reason: checkin.AlreadyInsideAgain, person: who, from: at, to: at}
}

func deny(r checkin.Reason, who, at, space string) outcome {
	return outcome{kind: checkin.Deny, reason: r, person: who, from: at, to: at, space: space}
}

func leave(who, from, to string) outcome {
	return outcome{kind: checkin.Leave, reason: checkin.ExitRecorded, person: who, from: from, to: to}
}

func full(space ...string) []move {
	var m []move
	for i, sp := range space {
		m = append(m, move{fillers[i], sp})
	}
	return m
}

type decideCase struct {
	name  string
	setup []move
	scan  checkin.Scan
	want  outcome
	after map[string]int // occupancy once the decision is applied; nil: as before
}

var decideCases = []decideCase{
	// admitted
	{name: "Admitted", scan: entry("ADA-1", "main"),
		want: admit("ada", "outside", "venue"), after: map[string]int{"venue": 1}},
	{name: "AdmittedStaffCounts", scan: entry("SAM-1", "main"),
		want: admit("sam", "outside", "venue"), after: map[string]int{"venue": 1}},
	{name: "AdmittedSponsorCompCounts", scan: entry("CY-1", "main"),
		want: admit("cy", "outside", "venue"), after: map[string]int{"venue": 1}},
	{name: "AdmittedLastPlaceInVenue", setup: full("venue", "venue", "venue"), scan: entry("ADA-1", "main"),
		want: admit("ada", "outside", "venue"), after: map[string]int{"venue": 4}},
	{name: "AdmittedIntoRoom", setup: []move{{"ada", "venue"}}, scan: entry("ADA-1", "ballroom-north"),
		want: admit("ada", "venue", "ballroom"), after: map[string]int{"venue": 1, "ballroom": 1}},
	{name: "AdmittedLastPlaceInRoom", setup: append(full("ballroom"), move{"ada", "venue"}), scan: entry("ADA-1", "ballroom-north"),
		want: admit("ada", "venue", "ballroom"), after: map[string]int{"venue": 2, "ballroom": 2}},
	{name: "AdmittedIntoRoomFromOutsideCountsVenue", scan: entry("ADA-1", "ballroom-north"),
		want: admit("ada", "outside", "ballroom"), after: map[string]int{"venue": 1, "ballroom": 1}},
	{name: "AdmittedIntoNestedRoomFromOutsideCountsEveryLevel", scan: entry("SAM-1", "stage"),
		want: admit("sam", "outside", "stage"), after: map[string]int{"venue": 1, "ballroom": 1, "stage": 1}},
	{name: "AdmittedRoomToRoom", setup: []move{{"ada", "hall-b"}}, scan: entry("ADA-1", "ballroom-north"),
		want: admit("ada", "hall-b", "ballroom"), after: map[string]int{"venue": 1, "ballroom": 1}},
	{name: "AlreadyInsideAgainVenue", setup: []move{{"ada", "venue"}}, scan: entry("ADA-1", "main"),
		want: again("ada", "venue"), after: map[string]int{"venue": 1}},
	{name: "AlreadyInsideAgainRoom", setup: []move{{"ada", "hall-b"}}, scan: entry("ADA-1", "hall-b"),
		want: again("ada", "hall-b"), after: map[string]int{"venue": 1, "hall-b": 1}},
	{name: "AlreadyInsideAgainByName", setup: []move{{"ada", "venue"}}, scan: byName("ada", "main"),
		want: again("ada", "venue"), after: map[string]int{"venue": 1}},
	{name: "AlreadyInsideAgainVenueFull", setup: append(full("venue", "venue", "venue"), move{"ada", "venue"}), scan: entry("ADA-1", "main"),
		want: again("ada", "venue"), after: map[string]int{"venue": 4}},
	{name: "AdmittedAtMainWhileRecordedInRoom", setup: []move{{"ada", "hall-b"}}, scan: entry("ADA-1", "main"),
		want: admit("ada", "hall-b", "venue"), after: map[string]int{"venue": 1}},
	{name: "AdmittedByTag", setup: []move{{"bo", "venue"}}, scan: entry("BO-1", "workshop-a"),
		want: admit("bo", "venue", "workshop-a"), after: map[string]int{"venue": 1, "workshop-a": 1}},
	{name: "AdmittedEverywhere", setup: []move{{"sam", "venue"}}, scan: entry("SAM-1", "workshop-a"),
		want: admit("sam", "venue", "workshop-a"), after: map[string]int{"venue": 1, "workshop-a": 1}},
	{name: "AdmittedRoomFullDoesNotStopVenue", setup: full("ballroom", "ballroom"), scan: entry("ADA-1", "main"),
		want: admit("ada", "outside", "venue"), after: map[string]int{"venue": 3, "ballroom": 2}},
	{name: "AdmittedVenueFullDoesNotStopRoomFromInside", setup: append(full("venue", "venue", "venue"), move{"ada", "venue"}),
		scan: entry("ADA-1", "ballroom-north"),
		want: admit("ada", "venue", "ballroom"), after: map[string]int{"venue": 4, "ballroom": 1}},

	// admitted by name, or by staff override
	{name: "AdmittedManual", scan: byName("ada", "main"),
		want:  outcome{kind: checkin.Admit, reason: checkin.AdmittedManual, person: "ada", from: "outside", to: "venue"},
		after: map[string]int{"venue": 1}},
	{name: "AdmittedOverrideNotEntitled", setup: []move{{"dee", "venue"}}, scan: override(entry("DEE-1", "ballroom-north")),
		want:  outcome{kind: checkin.Admit, reason: checkin.AdmittedOverride, person: "dee", from: "venue", to: "ballroom"},
		after: map[string]int{"venue": 1, "ballroom": 1}},
	{name: "AdmittedOverrideAlreadyInside", setup: []move{{"ada", "ballroom"}}, scan: override(entry("ADA-1", "ballroom-north")),
		want:  outcome{kind: checkin.Admit, reason: checkin.AdmittedOverride, person: "ada", from: "ballroom", to: "ballroom"},
		after: map[string]int{"venue": 1, "ballroom": 1}},

	// exits
	{name: "ExitRecorded", setup: []move{{"ada", "venue"}}, scan: exit("ADA-1", "main"),
		want: leave("ada", "venue", "outside"), after: map[string]int{}},
	{name: "ExitRecordedAtMainFromRoomDecrementsBoth", setup: append(full("ballroom"), move{"ada", "ballroom"}), scan: exit("ADA-1", "main"),
		want: leave("ada", "ballroom", "outside"), after: map[string]int{"venue": 1, "ballroom": 1}},
	{name: "ExitRecordedAtRoomDoor", setup: []move{{"ada", "ballroom"}}, scan: exit("ADA-1", "ballroom-north"),
		want: leave("ada", "ballroom", "venue"), after: map[string]int{"venue": 1}},
	{name: "ExitRecordedFromNestedRoom", setup: []move{{"sam", "stage"}}, scan: exit("SAM-1", "ballroom-north"),
		want: leave("sam", "stage", "venue"), after: map[string]int{"venue": 1}},
	{name: "ExitRecordedNotEntitled", setup: []move{{"dee", "ballroom"}}, scan: exit("DEE-1", "ballroom-north"),
		want: leave("dee", "ballroom", "venue"), after: map[string]int{"venue": 1}},
	{name: "ExitRecordedRevoked", setup: []move{{"rev", "venue"}}, scan: exit("REV-1", "main"),
		want: leave("rev", "venue", "outside"), after: map[string]int{}},
	{name: "ExitRecordedRevokedTicket", setup: []move{{"ref", "ballroom"}}, scan: exit("REF-1", "ballroom-north"),
		want: leave("ref", "ballroom", "venue"), after: map[string]int{"venue": 1}},
	{name: "ExitNotInside", scan: exit("ADA-1", "main"),
		want: outcome{kind: checkin.Leave, reason: checkin.NotInside, person: "ada", from: "outside", to: "outside", space: "venue"}},
	{name: "ExitNotInsideOtherRoom", setup: []move{{"ada", "hall-b"}}, scan: exit("ADA-1", "ballroom-north"),
		want: outcome{kind: checkin.Leave, reason: checkin.NotInside, person: "ada", from: "hall-b", to: "hall-b", space: "ballroom"}},

	// invalid codes
	{name: "InvalidCodeEmpty", scan: entry("", "main"), want: deny(checkin.InvalidCode, "", "", "")},
	{name: "InvalidCodeLeadingSpace", scan: entry(" ADA-1", "main"), want: deny(checkin.InvalidCode, "", "", "")},
	{name: "InvalidCodeTrailingSpace", scan: entry("ADA-1 ", "main"), want: deny(checkin.InvalidCode, "", "", "")},
	{name: "InvalidCodeControlCharacter", scan: entry("ADA\x00-1", "main"), want: deny(checkin.InvalidCode, "", "", "")},
	{name: "InvalidCodeNotUTF8", scan: entry("ADA-\xff", "main"), want: deny(checkin.InvalidCode, "", "", "")},
	{name: "InvalidCodeTooLong", scan: entry(strings.Repeat("A", checkin.MaxCodeLen+1), "main"), want: deny(checkin.InvalidCode, "", "", "")},
	{name: "InvalidCodeAtExit", scan: exit("\n", "main"), want: deny(checkin.InvalidCode, "", "", "")},
	{name: "InvalidCodeEvenWithOverride", scan: override(entry("", "main")), want: deny(checkin.InvalidCode, "", "", "")},

	// unknown and revoked badges
	{name: "UnknownBadge", scan: entry("NOPE-1", "main"), want: deny(checkin.UnknownBadge, "", "", "")},
	// signed badges that are not good
	{name: "ForgedBadge", scan: entry("PROBLEM-forged_badge", "main"), want: deny(checkin.ForgedBadge, "", "", "")},
	{name: "ForgedBadgeAtExit", scan: exit("PROBLEM-forged_badge", "main"), want: deny(checkin.ForgedBadge, "", "", "")},
	{name: "UnknownKey", scan: entry("PROBLEM-unknown_key", "main"), want: deny(checkin.UnknownKey, "", "", "")},
	{name: "WrongEvent", scan: entry("PROBLEM-wrong_event", "main"), want: deny(checkin.WrongEvent, "", "", "")},
	{name: "ExpiredBadge", scan: entry("PROBLEM-expired_badge", "main"), want: deny(checkin.ExpiredBadge, "", "", "")},
	{name: "NotYetValid", scan: entry("PROBLEM-badge_not_yet_valid", "main"), want: deny(checkin.NotYetValid, "", "", "")},
	{name: "UnknownBadgeAtExit", scan: exit("NOPE-1", "main"), want: deny(checkin.UnknownBadge, "", "", "")},
	{name: "UnknownBadgeByName", scan: byName("nobody", "main"), want: deny(checkin.UnknownBadge, "", "", "")},
	{name: "Revoked", scan: entry("REV-1", "main"), want: deny(checkin.Revoked, "rev", "outside", "")},
	{name: "RevokedBeforeCapacity", setup: full("venue", "venue", "venue", "venue"), scan: entry("REV-1", "main"),
		want: deny(checkin.Revoked, "rev", "outside", "")},
	{name: "RevokedEvenWithOverride", scan: override(entry("REV-1", "main")), want: deny(checkin.Revoked, "rev", "outside", "")},
	{name: "RevokedTicket", scan: entry("REF-1", "main"), want: deny(checkin.Revoked, "ref", "outside", "")},
	{name: "RevokedTicketIntoRoom", setup: []move{{"ref", "venue"}}, scan: entry("REF-1", "ballroom-north"),
		want: deny(checkin.Revoked, "ref", "venue", "")},
	{name: "RevokedTicketByName", scan: byName("ref", "main"), want: deny(checkin.Revoked, "ref", "outside", "")},
	{name: "RevokedTicketEvenWithOverride", scan: override(entry("REF-1", "main")), want: deny(checkin.Revoked, "ref", "outside", "")},

	// entitlement
	{name: "NotEntitled", setup: []move{{"dee", "venue"}}, scan: entry("DEE-1", "ballroom-north"),
		want: deny(checkin.NotEntitled, "dee", "venue", "ballroom")},
	{name: "NotEntitledOuterSpaceFirst", scan: entry("GIL-1", "ballroom-north"),
		want: deny(checkin.NotEntitled, "gil", "outside", "venue")},
	{name: "NotEntitledWithoutTag", setup: []move{{"ada", "venue"}}, scan: entry("ADA-1", "workshop-a"),
		want: deny(checkin.NotEntitled, "ada", "venue", "workshop-a")},
	{name: "NotEntitledUnknownCategory", scan: entry("ZED-1", "main"),
		want: deny(checkin.NotEntitled, "zed", "outside", "venue")},
	{name: "NotEntitledByName", setup: []move{{"dee", "venue"}}, scan: byName("dee", "ballroom-north"),
		want: deny(checkin.NotEntitled, "dee", "venue", "ballroom")},
	{name: "NotEntitledBeforeCapacity", setup: append(full("ballroom", "ballroom"), move{"dee", "venue"}), scan: entry("DEE-1", "ballroom-north"),
		want: deny(checkin.NotEntitled, "dee", "venue", "ballroom")},

	// anti-passback
	{name: "AlreadyInside", setup: []move{{"ada", "ballroom"}}, scan: entry("ADA-1", "ballroom-north"),
		want: deny(checkin.AlreadyInside, "ada", "ballroom", "ballroom")},
	{name: "AlreadyInsideFromNestedRoom", setup: []move{{"sam", "stage"}}, scan: entry("SAM-1", "ballroom-north"),
		want: deny(checkin.AlreadyInside, "sam", "stage", "ballroom")},
	{name: "AlreadyInsideBeforeCapacity", setup: append(full("ballroom"), move{"ada", "ballroom"}), scan: entry("ADA-1", "ballroom-north"),
		want: deny(checkin.AlreadyInside, "ada", "ballroom", "ballroom")},

	// capacity: every person counts, outermost first
	{name: "RoomFull", setup: append(full("ballroom", "ballroom"), move{"ada", "venue"}), scan: entry("ADA-1", "ballroom-north"),
		want: deny(checkin.RoomFull, "ada", "venue", "ballroom")},
	{name: "RoomFullFromOutside", setup: full("ballroom", "ballroom"), scan: entry("ADA-1", "ballroom-north"),
		want: deny(checkin.RoomFull, "ada", "outside", "ballroom")},
	{name: "RoomFullNested", setup: append(full("stage"), move{"sam", "ballroom"}), scan: entry("SAM-1", "stage"),
		want: deny(checkin.RoomFull, "sam", "ballroom", "stage")},
	{name: "RoomFullForStaff", setup: append(full("workshop-a"), move{"sam", "venue"}), scan: entry("SAM-1", "workshop-a"),
		want: deny(checkin.RoomFull, "sam", "venue", "workshop-a")},
	{name: "RoomFullOverride", setup: append(full("ballroom", "ballroom"), move{"dee", "venue"}), scan: override(entry("DEE-1", "ballroom-north")),
		want: deny(checkin.RoomFull, "dee", "venue", "ballroom")},
	{name: "VenueFull", setup: full("venue", "venue", "venue", "venue"), scan: entry("ADA-1", "main"),
		want: deny(checkin.VenueFull, "ada", "outside", "venue")},
	{name: "VenueFullForStaff", setup: full("venue", "venue", "venue", "venue"), scan: entry("SAM-1", "main"),
		want: deny(checkin.VenueFull, "sam", "outside", "venue")},
	{name: "VenueFullForSponsorComp", setup: full("venue", "venue", "venue", "venue"), scan: entry("CY-1", "main"),
		want: deny(checkin.VenueFull, "cy", "outside", "venue")},
	{name: "VenueFullCountsPeopleInRooms", setup: full("ballroom", "hall-b", "workshop-a", "stage"), scan: entry("ADA-1", "main"),
		want: deny(checkin.VenueFull, "ada", "outside", "venue")},
	{name: "VenueFullBeforeRoomFull", setup: full("ballroom", "ballroom", "venue", "venue"), scan: entry("ADA-1", "ballroom-north"),
		want: deny(checkin.VenueFull, "ada", "outside", "venue")},
	{name: "VenueFullAtRoomDoorFromOutside", setup: full("venue", "venue", "venue", "venue"), scan: entry("ADA-1", "hall-b"),
		want: deny(checkin.VenueFull, "ada", "outside", "venue")},
	{name: "VenueFullByName", setup: full("venue", "venue", "venue", "venue"), scan: byName("ada", "main"),
		want: deny(checkin.VenueFull, "ada", "outside", "venue")},
	{name: "VenueFullOverride", setup: full("venue", "venue", "venue", "venue"), scan: override(entry("GIL-1", "main")),
		want: deny(checkin.VenueFull, "gil", "outside", "venue")},
}

func TestDecide(t *testing.T) {
	for _, tc := range decideCases {
		t.Run(tc.name, func(t *testing.T) {
			f := MustFixture(t)
			st := f.MustState(t, tc.setup, nil)
			before := st.Occupancy()
			d := f.ev.Decide(tc.scan, f.badge(tc.scan), st)
			if got := outcomeOf(d); got != tc.want {
				t.Fatalf("Decide(%+v)\n got %+v\nwant %+v", tc.scan, got, tc.want)
			}
			checkMessage(t, f.ev, d)
			if got := st.Occupancy(); !equalCounts(got, before) {
				t.Fatalf("Decide changed the state: %v, was %v", got, before)
			}
			if d.Moves() {
				st.Move(d.Person.ID, d.To)
			}
			checkOccupancy(t, f.ev, st, tc.after, before)
			if d.Person != nil {
				if got := st.Location(d.Person.ID); got != d.To {
					t.Errorf("after the decision %s is in %q, want %q", d.Person.ID, got, d.To)
				}
			}
		})
	}
}

// TestDecideRevokedMessage: a denial for a ticket no longer valid says
// why, so the registration desk knows what to sort out; a badge revoked
// for itself says what it always said.
func TestDecideRevokedMessage(t *testing.T) {
	f := MustFixture(t)
	st := f.MustState(t, nil, nil)
	for _, tc := range []struct {
		name string
		scan checkin.Scan
		want string
	}{
		{"RevokedTicket", entry("REF-1", "main"), "This badge is no longer valid: refunded ticket. Send to the registration desk."},
		{"RevokedTicketByName", byName("ref", "main"), "This badge is no longer valid: refunded ticket. Send to the registration desk."},
		{"Revoked", entry("REV-1", "main"), "This badge is no longer valid. Send to the registration desk."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := f.ev.Decide(tc.scan, f.badge(tc.scan), st); d.Reason != checkin.Revoked || d.Message != tc.want {
				t.Errorf("Decide(%+v): %s %q, want %s %q", tc.scan, d.Reason, d.Message, checkin.Revoked, tc.want)
			}
		})
	}
}

// checkMessage checks the decision has words for the screen, naming the
// space it is about.
func checkMessage(tb testing.TB, ev *checkin.Event, d checkin.Decision) {
	tb.Helper()
	if strings.TrimSpace(d.Message) == "" {
		tb.Errorf("decision %s has no message", d.Reason)
	}
	if s := ev.Space(d.Space); s != nil && !strings.Contains(d.Message, s.Name) {
		tb.Errorf("message %q does not name %s", d.Message, s.Name)
	}
}

// checkOccupancy compares st with want (missing spaces: 0), or with
// before when want is nil.
func checkOccupancy(tb testing.TB, ev *checkin.Event, st *checkin.State, want, before map[string]int) {
	tb.Helper()
	if want == nil {
		want = before
	}
	got := st.Occupancy()
	for _, s := range ev.Spaces {
		if got[s.ID] != want[s.ID] {
			tb.Errorf("occupancy %v, want %v", got, want)
			return
		}
	}
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

type adjustCase struct {
	name    string
	setup   []move
	counted []string // doors where staff counted +1 before
	door    string
	delta   int
	want    outcome
	after   map[string]int
}

var adjustCases = []adjustCase{
	{name: "HeadcountAdded", door: "main", delta: 1,
		want:  outcome{kind: checkin.Admit, reason: checkin.HeadcountAdded, from: "outside", to: "venue", space: "venue"},
		after: map[string]int{"venue": 1}},
	{name: "HeadcountAddedToRoom", setup: []move{{"ada", "venue"}}, door: "ballroom-north", delta: 1,
		want:  outcome{kind: checkin.Admit, reason: checkin.HeadcountAdded, from: "venue", to: "ballroom", space: "ballroom"},
		after: map[string]int{"venue": 1, "ballroom": 1}},
	{name: "HeadcountVenueFull", setup: full("venue", "venue", "venue", "venue"), door: "main", delta: 1,
		want: outcome{kind: checkin.Deny, reason: checkin.VenueFull, from: "outside", to: "venue", space: "venue"}},
	{name: "HeadcountRoomFull", setup: full("ballroom", "ballroom"), door: "ballroom-north", delta: 1,
		want: outcome{kind: checkin.Deny, reason: checkin.RoomFull, from: "venue", to: "ballroom", space: "ballroom"}},
	{name: "HeadcountRemoved", counted: []string{"main"}, door: "main", delta: -1,
		want:  outcome{kind: checkin.Leave, reason: checkin.HeadcountRemoved, from: "outside", to: "venue", space: "venue"},
		after: map[string]int{}},
	{name: "NothingToRemove", door: "main", delta: -1,
		want: outcome{kind: checkin.Deny, reason: checkin.NothingToRemove, from: "outside", to: "venue", space: "venue"}},
	{name: "NothingToRemoveOnlyBadgeHolders", setup: []move{{"ada", "venue"}}, door: "main", delta: -1,
		want: outcome{kind: checkin.Deny, reason: checkin.NothingToRemove, from: "outside", to: "venue", space: "venue"}},
	{name: "NothingToRemoveFromEmptyRoom", counted: []string{"main"}, door: "ballroom-north", delta: -1,
		want: outcome{kind: checkin.Deny, reason: checkin.NothingToRemove, from: "venue", to: "ballroom", space: "ballroom"}},
}

func TestDecideAdjust(t *testing.T) {
	for _, tc := range adjustCases {
		t.Run(tc.name, func(t *testing.T) {
			f := MustFixture(t)
			st := f.MustState(t, tc.setup, tc.counted)
			before := st.Occupancy()
			d := f.ev.DecideAdjust(tc.door, tc.delta, st)
			if got := outcomeOf(d); got != tc.want {
				t.Fatalf("DecideAdjust(%s, %+d)\n got %+v\nwant %+v", tc.door, tc.delta, got, tc.want)
			}
			checkMessage(t, f.ev, d)
			if d.Kind != checkin.Deny {
				st.Adjust(d.From, d.To, tc.delta)
			}
			checkOccupancy(t, f.ev, st, tc.after, before)
		})
	}
}

type undoCase struct {
	name    string
	setup   []move
	counted []string
	rev     reversal
	want    outcome
	after   map[string]int
}

// reversal names the person by id, "" for a headcount change.
type reversal struct {
	who, from, to string
	delta         int
}

var undoCases = []undoCase{
	{name: "UndoAdmission", setup: []move{{"ada", "venue"}}, rev: reversal{who: "ada", from: "outside", to: "venue"},
		want:  outcome{kind: checkin.Undo, reason: checkin.Undone, person: "ada", from: "venue", to: "outside"},
		after: map[string]int{}},
	{name: "UndoExit", rev: reversal{who: "ada", from: "venue", to: "outside"},
		want:  outcome{kind: checkin.Undo, reason: checkin.Undone, person: "ada", from: "outside", to: "venue"},
		after: map[string]int{"venue": 1}},
	{name: "UndoExitIntoFullVenue", setup: full("venue", "venue", "venue", "venue"), rev: reversal{who: "ada", from: "venue", to: "outside"},
		want: deny(checkin.VenueFull, "ada", "outside", "venue")},
	{name: "UndoExitIntoFullRoom", setup: append(full("ballroom", "ballroom"), move{"ada", "venue"}), rev: reversal{who: "ada", from: "ballroom", to: "venue"},
		want: deny(checkin.RoomFull, "ada", "venue", "ballroom")},
	{name: "NothingToUndoMovedSince", setup: []move{{"ada", "ballroom"}}, rev: reversal{who: "ada", from: "outside", to: "venue"},
		want: deny(checkin.NothingToUndo, "ada", "ballroom", "")},
	{name: "UndoHeadcountAdded", counted: []string{"main"}, rev: reversal{from: "outside", to: "venue", delta: 1},
		want:  outcome{kind: checkin.Undo, reason: checkin.Undone, from: "outside", to: "venue", space: "venue"},
		after: map[string]int{}},
	{name: "UndoHeadcountRemoved", rev: reversal{from: "outside", to: "venue", delta: -1},
		want:  outcome{kind: checkin.Undo, reason: checkin.Undone, from: "outside", to: "venue", space: "venue"},
		after: map[string]int{"venue": 1}},
	{name: "UndoHeadcountRemovedIntoFullVenue", setup: full("venue", "venue", "venue", "venue"), rev: reversal{from: "outside", to: "venue", delta: -1},
		want: outcome{kind: checkin.Deny, reason: checkin.VenueFull, from: "outside", to: "venue", space: "venue"}},
}

func TestDecideUndo(t *testing.T) {
	for _, tc := range undoCases {
		t.Run(tc.name, func(t *testing.T) {
			f := MustFixture(t)
			st := f.MustState(t, tc.setup, tc.counted)
			before := st.Occupancy()
			rev := checkin.Reversal{Person: f.byID[tc.rev.who], From: tc.rev.from, To: tc.rev.to, Delta: tc.rev.delta}
			if tc.rev.who != "" && rev.Person == nil {
				t.Fatalf("bad case: no person %q", tc.rev.who)
			}
			d := f.ev.DecideUndo(rev, st)
			if got := outcomeOf(d); got != tc.want {
				t.Fatalf("DecideUndo(%+v)\n got %+v\nwant %+v", tc.rev, got, tc.want)
			}
			checkMessage(t, f.ev, d)
			switch {
			case d.Kind == checkin.Deny:
			case rev.Person == nil:
				st.Adjust(d.From, d.To, -rev.Delta)
			case d.Moves():
				st.Move(d.Person.ID, d.To)
			}
			checkOccupancy(t, f.ev, st, tc.after, before)
		})
	}
}

// TestEveryReasonHasACase fails when a reason is added without a case
// that produces it. log_failed comes from the store, not from a decision.
func TestEveryReasonHasACase(t *testing.T) {
	covered := map[checkin.Reason]bool{}
	for _, tc := range decideCases {
		covered[tc.want.reason] = true
	}
	for _, tc := range adjustCases {
		covered[tc.want.reason] = true
	}
	for _, tc := range undoCases {
		covered[tc.want.reason] = true
	}
	for _, tc := range rightsCases {
		covered[tc.want] = true
	}
	for _, tc := range standingCases {
		covered[tc.want] = true
	}
	for _, r := range checkin.Reasons {
		if r != checkin.LogFailed && !covered[r] {
			t.Errorf("no case produces reason %q", r)
		}
	}
	for r := range covered {
		if !slices.Contains(checkin.Reasons, r) {
			t.Errorf("a case expects %q, which is not in checkin.Reasons", r)
		}
	}
}

// TestHeadcountNeverUndercounts: occupancy must never count fewer people
// than are recorded inside, or a venue admits past its fire-code limit.
// A staff −1 must only take back someone counted without a badge.
func TestHeadcountNeverUndercounts(t *testing.T) {
	f := MustFixture(t)
	st := checkin.NewState(f.ev)
	step := func(what string, d checkin.Decision, delta int) {
		t.Helper()
		switch {
		case d.Kind == checkin.Deny:
		case delta != 0:
			st.Adjust(d.From, d.To, delta)
		case d.Moves():
			st.Move(d.Person.ID, d.To)
		}
		inside := 0
		if st.Location("ada") != checkin.Outside {
			inside = 1
		}
		if n := st.Count("venue"); n < inside || n < 0 {
			t.Fatalf("after %s (%s): venue counts %d, with %d recorded inside", what, d.Reason, n, inside)
		}
	}
	scan := entry("ADA-1", "main")
	step("Ada enters", f.ev.Decide(scan, f.badge(scan), st), 0)
	step("staff −1 at main", f.ev.DecideAdjust("main", -1, st), -1)
	scan = exit("ADA-1", "main")
	step("Ada leaves", f.ev.Decide(scan, f.badge(scan), st), 0)
}

type stateCase struct {
	name  string
	moves []move
	want  map[string]int    // missing spaces: 0
	where map[string]string // person → location
}

var stateCases = []stateCase{
	{name: "Empty", want: map[string]int{}, where: map[string]string{"ada": "outside"}},
	{name: "EnterVenue", moves: []move{{"ada", "venue"}},
		want: map[string]int{"venue": 1}, where: map[string]string{"ada": "venue"}},
	{name: "EnterRoomFromOutsideCountsVenue", moves: []move{{"ada", "ballroom"}},
		want: map[string]int{"venue": 1, "ballroom": 1}, where: map[string]string{"ada": "ballroom"}},
	{name: "EnterNestedRoomCountsEveryLevel", moves: []move{{"ada", "stage"}},
		want: map[string]int{"venue": 1, "ballroom": 1, "stage": 1}},
	{name: "RoomToRoomLeavesVenueAsIs", moves: []move{{"ada", "ballroom"}, {"ada", "hall-b"}},
		want: map[string]int{"venue": 1, "hall-b": 1}, where: map[string]string{"ada": "hall-b"}},
	{name: "RoomBackToVenue", moves: []move{{"ada", "stage"}, {"ada", "venue"}},
		want: map[string]int{"venue": 1}},
	{name: "LeaveFromNestedRoom", moves: []move{{"ada", "stage"}, {"ada", "outside"}},
		want: map[string]int{}, where: map[string]string{"ada": "outside"}},
	{name: "SameSpaceTwice", moves: []move{{"ada", "venue"}, {"ada", "venue"}},
		want: map[string]int{"venue": 1}},
	{name: "EveryoneCounts", moves: []move{{"ada", "venue"}, {"cy", "venue"}, {"sam", "venue"}, {"dee", "hall-b"}, {"f1", "stage"}},
		want:  map[string]int{"venue": 5, "hall-b": 1, "ballroom": 1, "stage": 1},
		where: map[string]string{"ada": "venue", "dee": "hall-b", "f1": "stage", "bo": "outside"}},
	{name: "SomeLeave", moves: []move{{"ada", "ballroom"}, {"cy", "ballroom"}, {"sam", "venue"}, {"cy", "outside"}, {"ada", "venue"}},
		want: map[string]int{"venue": 2}, where: map[string]string{"cy": "outside", "ada": "venue"}},
}

func TestStateMove(t *testing.T) {
	for _, tc := range stateCases {
		t.Run(tc.name, func(t *testing.T) {
			f := MustFixture(t)
			st := f.MustState(t, tc.moves, nil)
			got := st.Occupancy()
			if len(got) != len(f.ev.Spaces) {
				t.Errorf("Occupancy has %d spaces, want every space (%d)", len(got), len(f.ev.Spaces))
			}
			for _, s := range f.ev.Spaces {
				if got[s.ID] != tc.want[s.ID] || st.Count(s.ID) != tc.want[s.ID] {
					t.Fatalf("occupancy %v, want %v", got, tc.want)
				}
			}
			for who, loc := range tc.where {
				if got := st.Location(who); got != loc {
					t.Errorf("Location(%s) = %q, want %q", who, got, loc)
				}
			}
			checkCountsFollowPeople(t, f, st)
		})
	}
}

// checkCountsFollowPeople checks each space counts exactly the people
// recorded in it or in a room within it.
func checkCountsFollowPeople(tb testing.TB, f *fixture, st *checkin.State) {
	tb.Helper()
	want := map[string]int{}
	for _, id := range f.ids {
		for _, sp := range f.ev.Chain(st.Location(id)) {
			want[sp]++
		}
	}
	for _, s := range f.ev.Spaces {
		if st.Count(s.ID) != want[s.ID] {
			tb.Fatalf("%s counts %d, but %d people are recorded in it", s.ID, st.Count(s.ID), want[s.ID])
		}
	}
}

func TestStateOccupancyIsACopy(t *testing.T) {
	f := MustFixture(t)
	st := f.MustState(t, []move{{"ada", "ballroom"}}, nil)
	occ := st.Occupancy()
	occ["venue"], occ["ballroom"] = 99, 99
	if st.Count("venue") != 1 || st.Count("ballroom") != 1 {
		t.Fatalf("changing Occupancy's map changed the state: venue %d, ballroom %d", st.Count("venue"), st.Count("ballroom"))
	}
}

// FuzzDecide feeds Decide arbitrary codes, doors and states built from
// the case table's setups, and checks what must hold whatever the input.
// setup is pairs of bytes: a person and a place (indexes into the
// fixture's ids and locations).
func FuzzDecide(f *testing.F) {
	fx := MustFixture(f)
	for _, tc := range decideCases {
		var setup []byte
		for _, m := range tc.setup {
			setup = append(setup, byte(slices.Index(fx.ids, m.who)), byte(slices.Index(fx.locs, m.to)))
		}
		code := tc.scan.Code
		if tc.scan.Method == checkin.ByName {
			code = tc.scan.PersonID
		}
		f.Add(setup, code, tc.scan.Door, tc.scan.Direction == checkin.Exit, tc.scan.Method == checkin.ByName, tc.scan.Override)
	}
	f.Fuzz(func(t *testing.T, setup []byte, code, door string, isExit, isByName, isOverride bool) {
		fx := MustFixture(t)
		if fx.ev.Door(door) == nil {
			return // Decide's contract: the caller checks the door
		}
		st := checkin.NewState(fx.ev)
		for i := 0; i+1 < len(setup); i += 2 {
			st.Move(fx.ids[int(setup[i])%len(fx.ids)], fx.locs[int(setup[i+1])%len(fx.locs)])
		}
		scan := checkin.Scan{Code: code, Door: door, Direction: checkin.Entry, Override: isOverride}
		if isExit {
			scan.Direction = checkin.Exit
		}
		if isByName {
			scan.Method, scan.Code, scan.PersonID = checkin.ByName, "", code
		}
		before := st.Occupancy()
		d := fx.ev.Decide(scan, fx.badge(scan), st)
		if !equalCounts(st.Occupancy(), before) {
			t.Fatalf("Decide changed the state")
		}
		checkDecision(t, fx, scan, st, d)
		if d.Moves() {
			st.Move(d.Person.ID, d.To)
		}
		checkCountsFollowPeople(t, fx, st)
		if d.Kind == checkin.Admit {
			for _, s := range fx.ev.Spaces {
				if n := st.Count(s.ID); n > before[s.ID] && n > s.Capacity {
					t.Fatalf("admitted into %s past its capacity: %d / %d", s.ID, n, s.Capacity)
				}
			}
		}
	})
}

// kinds is the kind each reason Decide can give goes with.
var kinds = map[checkin.Reason]checkin.Kind{
	checkin.Admitted: checkin.Admit, checkin.AdmittedManual: checkin.Admit, checkin.AdmittedOverride: checkin.Admit,
	checkin.AlreadyInsideAgain: checkin.Admit, checkin.ExitRecorded: checkin.Leave, checkin.NotInside: checkin.Leave,
	checkin.InvalidCode: checkin.Deny, checkin.UnknownBadge: checkin.Deny, checkin.Revoked: checkin.Deny,
	checkin.NotEntitled: checkin.Deny, checkin.AlreadyInside: checkin.Deny, checkin.RoomFull: checkin.Deny,
	checkin.VenueFull:   checkin.Deny,
	checkin.ForgedBadge: checkin.Deny, checkin.UnknownKey: checkin.Deny, checkin.WrongEvent: checkin.Deny,
	checkin.ExpiredBadge: checkin.Deny, checkin.NotYetValid: checkin.Deny,
}

// checkDecision checks what holds of any decision of scan in st.
func checkDecision(tb testing.TB, fx *fixture, scan checkin.Scan, st *checkin.State, d checkin.Decision) {
	tb.Helper()
	door := fx.ev.Door(scan.Door)
	kind, ok := kinds[d.Reason]
	switch {
	case !ok:
		tb.Fatalf("Decide gave reason %q, which a scan cannot have", d.Reason)
	case d.Kind != kind:
		tb.Fatalf("reason %s with kind %s, want %s", d.Reason, d.Kind, kind)
	case scan.Method != checkin.ByName && !checkin.PlausibleCode(scan.Code) && d.Reason != checkin.InvalidCode:
		tb.Fatalf("implausible code %q: got %s", scan.Code, d.Reason)
	case d.Person == nil && d.Reason != checkin.InvalidCode && d.Reason != checkin.UnknownBadge && !strings.HasPrefix(scan.Code, "PROBLEM-"):
		tb.Fatalf("reason %s without a person", d.Reason)
	case d.Person != nil && d.From != st.Location(d.Person.ID):
		tb.Fatalf("From %q, but %s is in %q", d.From, d.Person.ID, st.Location(d.Person.ID))
	case d.Kind == checkin.Deny && d.From != d.To:
		tb.Fatalf("a denial moves %q → %q", d.From, d.To)
	case d.Kind == checkin.Admit && (scan.Direction == checkin.Exit || d.To != door.To):
		tb.Fatalf("admitted %s to %q through door %s (%s)", scan.Direction, d.To, door.ID, door.To)
	case d.Reason == checkin.AlreadyInsideAgain && (d.From != d.To || d.Moves() || fx.ev.Space(d.To).AntiPassback):
		tb.Fatalf("%s from %q to %q through door %s", d.Reason, d.From, d.To, door.ID)
	case d.Reason == checkin.ExitRecorded && (scan.Direction != checkin.Exit || d.To != door.From):
		tb.Fatalf("exit recorded %s to %q through door %s (from %s)", scan.Direction, d.To, door.ID, door.From)
	}
	checkMessage(tb, fx.ev, d)
	if d.Kind == checkin.Admit && !scan.Override {
		for _, sp := range fx.ev.Chain(d.To) {
			if !slices.Contains(fx.ev.Chain(d.From), sp) && !fx.ev.MayEnter(d.Person, sp) {
				tb.Fatalf("%s admitted into %s without entitlement", d.Person.ID, sp)
			}
		}
	}
}
