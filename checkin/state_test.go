package checkin_test

import (
	"testing"

	"usher/checkin"
)

// TestStateApply: a logged move with a delta is a headcount change of
// people without a badge, one without is the person's move, and one
// with neither moves nobody.
func TestStateApply(t *testing.T) {
	f := MustFixture(t)
	st := checkin.NewState(f.ev)
	for _, c := range []struct {
		name             string
		person, from, to string
		delta            int
		want             map[string]int // counts after the move
		unbadged         int            // people without a badge in hall-b after it
	}{
		{"PersonIn", "ada", checkin.Outside, "venue", 0, map[string]int{"venue": 1}, 0},
		{"PersonOnward", "ada", "venue", "hall-b", 0, map[string]int{"venue": 1, "hall-b": 1}, 0},
		{"CountIn", "", "venue", "hall-b", 1, map[string]int{"venue": 1, "hall-b": 2}, 1},
		// A count names whoever staff noted; it moves the count only.
		{"CountNamingSomeone", "bo", "venue", "hall-b", 1, map[string]int{"venue": 1, "hall-b": 3}, 2},
		{"CountTakenBack", "", "venue", "hall-b", -1, map[string]int{"venue": 1, "hall-b": 2}, 1},
		{"Nobody", "", checkin.Outside, "venue", 0, map[string]int{"venue": 1, "hall-b": 2}, 1},
		{"PersonOut", "ada", "hall-b", checkin.Outside, 0, map[string]int{"venue": 0, "hall-b": 1}, 1},
	} {
		st.Apply(c.person, c.from, c.to, c.delta)
		for sp, n := range c.want {
			if got := st.Count(sp); got != n {
				t.Errorf("%s: %s counts %d, want %d", c.name, sp, got, n)
			}
		}
		if got := st.Unbadged("hall-b"); got != c.unbadged {
			t.Errorf("%s: %d without a badge in hall-b, want %d", c.name, got, c.unbadged)
		}
	}
	if got := st.Location("bo"); got != checkin.Outside {
		t.Errorf("bo, named by a count, is in %s, want outside", got)
	}
}
