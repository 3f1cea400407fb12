package checkin_test

import (
	"maps"
	"testing"

	"usher/checkin"
)

// TestDecideAlreadyInsideAgain: an entry scan of someone recorded inside
// a space without anti-passback opens the door but moves nobody and
// counts nobody again; anti-passback still refuses, and an entry into a
// space deeper in, or out of a room through the venue's door, is a move
// as before.
func TestDecideAlreadyInsideAgain(t *testing.T) {
	f := MustFixture(t)
	for _, tc := range []struct {
		name  string
		setup []move
		scan  checkin.Scan
		want  outcome
		moves bool
	}{
		{name: "Venue", setup: []move{{"ada", "venue"}}, scan: entry("ADA-1", "main"), want: again("ada", "venue")},
		{name: "Room", setup: []move{{"ada", "hall-b"}}, scan: entry("ADA-1", "hall-b"), want: again("ada", "hall-b")},
		{name: "ByName", setup: []move{{"ada", "venue"}}, scan: byName("ada", "main"), want: again("ada", "venue")},
		{name: "VenueFull", setup: append(full("venue", "venue", "venue"), move{"ada", "venue"}), scan: entry("ADA-1", "main"),
			want: again("ada", "venue")},
		{name: "AntiPassbackStillDenies", setup: []move{{"ada", "ballroom"}}, scan: entry("ADA-1", "ballroom-north"),
			want: deny(checkin.AlreadyInside, "ada", "ballroom", "ballroom")},
		{name: "OverrideOfAntiPassback", setup: []move{{"ada", "ballroom"}}, scan: override(entry("ADA-1", "ballroom-north")),
			want: outcome{kind: checkin.Admit, reason: checkin.AdmittedOverride, person: "ada", from: "ballroom", to: "ballroom"}},
		{name: "DeeperSpaceIsAnEntry", setup: []move{{"ada", "venue"}}, scan: entry("ADA-1", "hall-b"),
			want: admit("ada", "venue", "hall-b"), moves: true},
		{name: "VenueDoorFromRoomIsAMove", setup: []move{{"ada", "hall-b"}}, scan: entry("ADA-1", "main"),
			want: admit("ada", "hall-b", "venue"), moves: true},
		{name: "ExitUnaffected", setup: []move{{"ada", "venue"}}, scan: exit("ADA-1", "main"),
			want: leave("ada", "venue", "outside"), moves: true},
		{name: "RevokedStillDenied", setup: []move{{"ref", "venue"}}, scan: entry("REF-1", "main"),
			want: deny(checkin.Revoked, "ref", "venue", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := f.MustState(t, tc.setup, nil)
			occupancy := st.Occupancy()
			d := f.ev.Decide(tc.scan, f.badge(tc.scan), st)
			if got := outcomeOf(d); got != tc.want {
				t.Fatalf("Decide(%+v) = %+v (%s)\nwant %+v", tc.scan, got, d.Message, tc.want)
			}
			if d.Moves() != tc.moves {
				t.Errorf("Moves() = %v, want %v", d.Moves(), tc.moves)
			}
			if d.Reason == checkin.AlreadyInsideAgain && d.Message != "Already inside (not counted again)." {
				t.Errorf("message %q", d.Message)
			}
			checkMessage(t, f.ev, d)
			if d.Moves() {
				st.Move(d.Person.ID, d.To)
			}
			if got := st.Occupancy(); !tc.moves && !maps.Equal(got, occupancy) {
				t.Errorf("occupancy %v, was %v", got, occupancy)
			}
		})
	}
}

// TestAlreadyInsideAgainRights: at a kiosk limited by rights, a re-scan
// of someone it admitted changes no balance: the right their admission
// spent comes back (State.Readmits) and one is spent in its place, so
// their place moves to the re-scan and is never held twice. Without a
// right to spend it is refused like any admission.
func TestAlreadyInsideAgainRights(t *testing.T) {
	f := MustFixture(t)
	for _, tc := range []struct {
		name, door, space string
		counters          []string
	}{
		{name: "Venue", door: "main", space: "venue", counters: []string{"venue"}},
		{name: "Room", door: "hall-b", space: "hall-b", counters: []string{"hall-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := f.MustState(t, []move{{"ada", tc.space}}, nil)
			st.LimitByRights()
			for _, c := range tc.counters {
				st.ApplyRights(1, "", []checkin.RightChange{{Counter: c, Kind: checkin.RightGrant, N: 1}})
			}
			// The admission that put Ada there, seq 2, spent one right of each.
			st.ApplyRights(2, "ada", checkin.Spends(f.ev, tc.door))
			st.SetElsewhere(map[string]int{"venue": 0, "hall-b": 0})
			scan := entry("ADA-1", tc.door)

			if d := f.ev.Decide(scan, f.badge(scan), st); d.Kind != checkin.Deny {
				t.Fatalf("with no right left: %s %s, want a denial for want of rights", d.Kind, d.Reason)
			}
			for _, c := range tc.counters {
				st.ApplyRights(3, "", []checkin.RightChange{{Counter: c, Kind: checkin.RightGrant, N: 1}})
			}
			before := st.Balances()
			d := f.ev.Decide(scan, f.badge(scan), st)
			if got := outcomeOf(d); got != again("ada", tc.space) {
				t.Fatalf("re-scan: %+v (%s), want %+v", got, d.Message, again("ada", tc.space))
			}
			changes := append(st.Readmits(f.ev, tc.door, "ada"), checkin.Spends(f.ev, tc.door)...)
			st.ApplyRights(4, "ada", changes)
			if got := st.Balances(); !maps.Equal(got, before) {
				t.Errorf("balances %v after the re-scan (%+v), were %v", got, changes, before)
			}
			for _, c := range tc.counters {
				if st.IsOpen("ada", c, 2) || !st.IsOpen("ada", c, 4) {
					t.Errorf("%s: the re-scan (4) must hold Ada's place instead of the admission (2)", c)
				}
			}
		})
	}
}
