package checkin_test

import (
	"reflect"
	"testing"

	"usher/checkin"
)

// A state's contents restore to a state that holds and decides the same,
// and contents no log could build are refused.
func TestRestore(t *testing.T) {
	ev := newFixtureEvent()
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	st := checkin.NewState(ev)
	st.LimitByRights()
	st.Move("P1", "venue")
	st.Move("P2", "ballroom")
	st.Adjust(checkin.Outside, "venue", 2)
	st.ApplyRights(1, "", []checkin.RightChange{{Counter: "venue", Kind: checkin.RightGrant, N: 5, Ref: 1}})
	st.ApplyRights(2, "P1", checkin.Spends(ev, "main"))
	st.ApplyRights(3, checkin.AnonHolder("venue"), checkin.Spends(ev, "main"))
	st.ApplyRights(4, "", []checkin.RightChange{{Counter: "ballroom", Kind: checkin.RightGrant, N: 1, Ref: 2}})
	st.ApplyRights(5, "", []checkin.RightChange{{Counter: "ballroom", Kind: checkin.RightReturn, N: 1}})

	c := st.Contents()
	back, err := ev.Restore(c)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got := back.Contents(); !reflect.DeepEqual(got, c) {
		t.Fatalf("restored contents %+v, want %+v", got, c)
	}
	if back.Location("P2") != "ballroom" || back.Count("venue") != 4 || back.Unbadged("venue") != 2 ||
		back.Balance("venue") != 3 || !back.IsOpen("P1", "venue", 2) || !back.Limited() {
		t.Fatalf("restored state %+v", back.Contents())
	}
	if _, ok := back.Balances()["ballroom"]; !ok {
		t.Errorf("a counter held once and now at 0 was dropped: %v", back.Balances())
	}

	for _, bad := range []struct {
		name string
		c    checkin.Contents
	}{
		{"UnknownSpace", checkin.Contents{Where: map[string]string{"P1": "attic"}}},
		{"Outside", checkin.Contents{Where: map[string]string{"P1": checkin.Outside}}},
		{"NoPerson", checkin.Contents{Where: map[string]string{"": "venue"}}},
		{"ControlCharacter", checkin.Contents{Where: map[string]string{"P\x07": "venue"}}},
		{"NegativeCount", checkin.Contents{Count: map[string]int{"venue": -1}}},
		{"CountOfNoSpace", checkin.Contents{Count: map[string]int{"attic": 1}}},
		{"NegativeUnbadged", checkin.Contents{Unbadged: map[string]int{"venue": -1}}},
		{"RightsNotLimited", checkin.Contents{Balance: map[string]int{"venue": 1}}},
		{"NegativeBalance", checkin.Contents{Limited: true, Balance: map[string]int{"venue": -1}}},
		{"BalanceOfNoSpace", checkin.Contents{Limited: true, Balance: map[string]int{"attic": 1}}},
		{"AnonOfNoSpace", checkin.Contents{Limited: true, Open: map[string]checkin.Opened{"+attic": {"venue": {1}}}}},
		{"OpenIntoNoSpace", checkin.Contents{Limited: true, Open: map[string]checkin.Opened{"P1": {"attic": {1}}}}},
		{"SeqsOutOfOrder", checkin.Contents{Limited: true, Open: map[string]checkin.Opened{"P1": {"venue": {3, 2}}}}},
		{"SeqZero", checkin.Contents{Limited: true, Open: map[string]checkin.Opened{"P1": {"venue": {0}}}}},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := ev.Restore(bad.c); checkin.ErrorCode(err) != checkin.EINVALID {
				t.Fatalf("Restore: %v, want EINVALID", err)
			}
		})
	}
}
