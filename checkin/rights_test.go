package checkin_test

import (
	"testing"

	"usher/checkin"
)

// rightsCases decide scans at a kiosk limited by rights: it holds grant
// rights of each counter, and the center last said elsewhere places were
// free at other doors.
var rightsCases = []struct {
	name      string
	door      string
	exit      bool
	grant     map[string]int
	elsewhere map[string]int
	adjust    int // a staff +1 instead of a scan
	want      checkin.Reason
	space     string
}{
	{name: "AdmitWithRights", door: "main", grant: map[string]int{"venue": 1}, want: checkin.Admitted},
	{name: "OutOfCapacity", door: "main", elsewhere: map[string]int{"venue": 3}, want: checkin.OutOfCapacity, space: "venue"},
	{name: "NoShareYet", door: "main", want: checkin.OutOfCapacity, space: "venue"},
	{name: "FullEverywhere", door: "main", elsewhere: map[string]int{"venue": 0}, want: checkin.VenueFull, space: "venue"},
	{name: "RoomFullEverywhere", door: "ballroom-north", grant: map[string]int{"venue": 5}, elsewhere: map[string]int{"ballroom": 0}, want: checkin.RoomFull, space: "ballroom"},
	// A door from the hallway into a room needs the room's rights only:
	// whoever comes through it is in the venue already.
	{name: "RoomDoorNeedsNoVenueRight", door: "ballroom-north", grant: map[string]int{"ballroom": 1}, want: checkin.Admitted},
	{name: "ExitNeedsNoRight", door: "main", exit: true, want: checkin.NotInside, space: "venue"},
	{name: "HeadcountNeedsRights", door: "hall-b", adjust: 1, elsewhere: map[string]int{"hall-b": 1}, want: checkin.OutOfCapacity, space: "hall-b"},
	{name: "HeadcountWithRights", door: "hall-b", adjust: 1, grant: map[string]int{"hall-b": 1}, want: checkin.HeadcountAdded, space: "hall-b"},
}

func TestDecideWithRights(t *testing.T) {
	f := MustFixture(t)
	for _, tc := range rightsCases {
		t.Run(tc.name, func(t *testing.T) {
			st := checkin.NewState(f.ev)
			st.LimitByRights()
			for c, n := range tc.grant {
				st.ApplyRights(1, "", []checkin.RightChange{{Counter: c, Kind: checkin.RightGrant, N: n}})
			}
			st.SetElsewhere(tc.elsewhere)
			var d checkin.Decision
			if tc.adjust != 0 {
				d = f.ev.DecideAdjust(tc.door, tc.adjust, st)
			} else {
				dir := checkin.Entry
				if tc.exit {
					dir = checkin.Exit
				}
				d = f.ev.Decide(checkin.Scan{Code: "ADA-1", Door: tc.door, Direction: dir}, f.badge(checkin.Scan{Code: "ADA-1"}), st)
			}
			if d.Reason != tc.want || d.Space != tc.space {
				t.Fatalf("got %s about %q (%s), want %s about %q", d.Reason, d.Space, d.Message, tc.want, tc.space)
			}
			if d.Reason.Overridable() && (tc.want == checkin.OutOfCapacity) {
				t.Fatalf("%s must never be overridable", d.Reason)
			}
		})
	}
}

// A staff override waives entitlement, never capacity rights.
func TestOverrideNeedsRights(t *testing.T) {
	f := MustFixture(t)
	st := checkin.NewState(f.ev)
	st.LimitByRights()
	st.SetElsewhere(map[string]int{"venue": 2})
	d := f.ev.Decide(checkin.Scan{Code: "GIL-1", Door: "main", Override: true, Note: "VIP"}, f.badge(checkin.Scan{Code: "GIL-1"}), st)
	if d.Reason != checkin.OutOfCapacity {
		t.Fatalf("override without rights: got %s", d.Reason)
	}
	if d.Reason.Overridable() {
		t.Fatalf("%s is overridable", d.Reason)
	}
}

func TestCounters(t *testing.T) {
	ev := newFixtureEvent()
	ev.Doors = append(ev.Doors, checkin.Door{ID: "side", From: checkin.Outside, To: "stage"})
	MustValidate(t, ev)
	for door, want := range map[string][]string{
		"main": {"venue"}, "ballroom-north": {"ballroom"}, "stage": {"stage"},
		"side": {"venue", "ballroom", "stage"}, "nowhere": nil,
	} {
		if got := ev.Counters(door); !equal(got, want) {
			t.Errorf("Counters(%s) = %v, want %v", door, got, want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Credits go only to admissions this kiosk spent and has not credited:
// the latest first, each once; an exit of someone it never admitted (a
// phantom exit) earns nothing.
func TestCreditsOnlyOpenAdmissions(t *testing.T) {
	f := MustFixture(t)
	st := checkin.NewState(f.ev)
	st.LimitByRights()
	st.ApplyRights(1, "", []checkin.RightChange{{Counter: "venue", Kind: checkin.RightGrant, N: 3}})
	if got := st.Credits(f.ev, "main", "ada", false); len(got) != 0 {
		t.Fatalf("a phantom exit earns %v", got)
	}
	st.ApplyRights(10, "ada", checkin.Spends(f.ev, "main"))
	st.ApplyRights(11, "ada", checkin.Spends(f.ev, "main"))
	if st.Balance("venue") != 1 {
		t.Fatalf("balance after two spends = %d, want 1", st.Balance("venue"))
	}
	c := st.Credits(f.ev, "main", "ada", false)
	if len(c) != 1 || c[0].Ref != 11 || c[0].Kind != checkin.RightCredit {
		t.Fatalf("credit = %+v, want one credit of admission 11", c)
	}
	st.ApplyRights(12, "ada", c)
	if !st.IsOpen("ada", "venue", 10) || st.IsOpen("ada", "venue", 11) {
		t.Fatal("the credit closed the wrong admission")
	}
	st.ApplyRights(13, "ada", st.Credits(f.ev, "main", "ada", false))
	if got := st.Credits(f.ev, "main", "ada", false); len(got) != 0 || st.Balance("venue") != 3 {
		t.Fatalf("after crediting both admissions: credits %v, balance %d (want none, 3)", got, st.Balance("venue"))
	}
	if got := st.Credits(f.ev, "main", "bo", false); len(got) != 0 {
		t.Fatalf("someone else's exit earns %v", got)
	}
	// An exit scan this kiosk cannot credit is listed for the center.
	if got := st.Credits(f.ev, "main", "bo", true); len(got) != 1 || got[0].Kind != checkin.RightLeft || got[0].Delta() != 0 {
		t.Fatalf("an uncredited exit scan lists %+v, want one left venue moving no right", got)
	}
}

func TestRightChangeCheck(t *testing.T) {
	good := []checkin.RightChange{
		{Counter: "venue", Kind: checkin.RightGrant, N: 5, Ref: 3},
		{Counter: "venue", Kind: checkin.RightSpend, N: 1},
		{Counter: "venue", Kind: checkin.RightCredit, N: 1, Ref: 9},
		{Counter: "venue", Kind: checkin.RightReturn, N: 2},
		{Counter: "venue", Kind: checkin.RightLeft, N: 1},
	}
	for _, c := range good {
		if err := c.Check(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := []checkin.RightChange{
		{Kind: checkin.RightGrant, N: 1},
		{Counter: "venue", Kind: "steal", N: 1},
		{Counter: "venue", Kind: checkin.RightGrant, N: 0},
		{Counter: "venue", Kind: checkin.RightGrant, N: -4},
		{Counter: "venue", Kind: checkin.RightSpend, N: 2},
		{Counter: "venue", Kind: checkin.RightCredit, N: 1},
		{Counter: "venue", Kind: checkin.RightLeft, N: 2},
	}
	for _, c := range bad {
		if err := c.Check(); err == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
}

// Someone admitted again at the door that admitted them: the old
// admission's right comes back in the same row, so a re-scan spends no
// place, offline too; a +1 is someone else and credits nothing.
func TestReadmits(t *testing.T) {
	f := MustFixture(t)
	st := checkin.NewState(f.ev)
	if got := st.Readmits(f.ev, "main", "ada"); got != nil {
		t.Fatalf("a kiosk not limited by rights credits %v", got)
	}
	st.LimitByRights()
	st.ApplyRights(1, "", []checkin.RightChange{{Counter: "venue", Kind: checkin.RightGrant, N: 3}})
	if got := st.Readmits(f.ev, "main", "ada"); len(got) != 0 {
		t.Fatalf("a first admission credits %v", got)
	}
	st.ApplyRights(10, "ada", checkin.Spends(f.ev, "main"))
	got := st.Readmits(f.ev, "main", "ada")
	if len(got) != 1 || got[0].Kind != checkin.RightCredit || got[0].Ref != 10 || got[0].Counter != "venue" {
		t.Fatalf("admitted again: %+v, want the credit of admission 10", got)
	}
	st.ApplyRights(11, "ada", append(got, checkin.Spends(f.ev, "main")...))
	if st.Balance("venue") != 2 || st.IsOpen("ada", "venue", 10) || !st.IsOpen("ada", "venue", 11) {
		t.Errorf("after the re-admission: balance %d, open 10 %v, open 11 %v; want 2, false, true",
			st.Balance("venue"), st.IsOpen("ada", "venue", 10), st.IsOpen("ada", "venue", 11))
	}
	st.ApplyRights(12, checkin.AnonHolder("venue"), checkin.Spends(f.ev, "main"))
	if got := st.Readmits(f.ev, "main", checkin.AnonHolder("venue")); got != nil {
		t.Errorf("a second +1 credits the first: %v", got)
	}
}

// TestHolder: a person's moves are theirs; a staff headcount change is
// the people counted into its space without a badge.
func TestHolder(t *testing.T) {
	for _, c := range []struct {
		person string
		delta  int
		loc    string
		want   string
	}{
		{"ada", 0, "venue", "ada"},
		{"", 1, "hall-b", checkin.AnonHolder("hall-b")},
		{"", -1, "hall-b", checkin.AnonHolder("hall-b")},
		{"", 0, "hall-b", ""},
	} {
		if got := checkin.Holder(c.person, c.delta, c.loc); got != c.want {
			t.Errorf("Holder(%q, %d, %q) = %q, want %q", c.person, c.delta, c.loc, got, c.want)
		}
	}
}

// TestRightsOf: an admission spends a right of each counter the door
// increases, an exit credits back the kiosk's open admission, a +1 is
// the space's own holder, and a denial or a kiosk not limited by rights
// moves none.
func TestRightsOf(t *testing.T) {
	f := MustFixture(t)
	ada := f.byID["ada"]
	admit := checkin.Decision{Kind: checkin.Admit, Person: ada, From: checkin.Outside, To: "venue"}
	st := checkin.NewState(f.ev)
	if h, got := st.RightsOf(f.ev, "main", admit, 0); h != "" || got != nil {
		t.Fatalf("not limited by rights: %q %v, want none", h, got)
	}
	st.LimitByRights()
	st.ApplyRights(1, "", []checkin.RightChange{{Counter: "venue", Kind: checkin.RightGrant, N: 3}})
	if h, got := st.RightsOf(f.ev, "main", checkin.Decision{Kind: checkin.Deny, Person: ada}, 0); h != "" || got != nil {
		t.Fatalf("a denial: %q %v, want none", h, got)
	}
	h, got := st.RightsOf(f.ev, "main", admit, 0)
	if h != "ada" || len(got) != 1 || got[0] != (checkin.RightChange{Counter: "venue", Kind: checkin.RightSpend, N: 1}) {
		t.Fatalf("an admission: %q %+v, want ada spending one right of the venue", h, got)
	}
	st.ApplyRights(10, h, got)
	leave := checkin.Decision{Kind: checkin.Leave, Person: ada, From: "venue", To: checkin.Outside}
	h, got = st.RightsOf(f.ev, "main", leave, 0)
	if h != "ada" || len(got) != 1 || got[0] != (checkin.RightChange{Counter: "venue", Kind: checkin.RightCredit, N: 1, Ref: 10}) {
		t.Fatalf("an exit: %q %+v, want ada's credit of admission 10", h, got)
	}
	plus := checkin.Decision{Kind: checkin.Admit, From: "venue", To: "hall-b"}
	h, got = st.RightsOf(f.ev, "hall-b", plus, 1)
	if h != checkin.AnonHolder("hall-b") || len(got) != 1 || got[0].Kind != checkin.RightSpend || got[0].Counter != "hall-b" {
		t.Fatalf("a +1: %q %+v, want %s spending one right of hall-b", h, got, checkin.AnonHolder("hall-b"))
	}
}
