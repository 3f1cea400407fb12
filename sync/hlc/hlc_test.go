package hlc_test

import (
	"testing"
	"time"

	"usher/sync/hlc"
)

// A clock never issues the same or a smaller timestamp, whatever its wall
// clock does, and orders its events after every timestamp it observed.
func TestClock(t *testing.T) {
	wall := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := hlc.New(func() time.Time { return wall }, 0)
	a := c.Now()
	if !a.Time().Equal(wall) || a.Logical() != 0 {
		t.Errorf("first reading %v/%d, want the wall clock", a.Time(), a.Logical())
	}
	b := c.Now() // the wall clock did not move
	if b <= a || b.Logical() != 1 {
		t.Errorf("second reading %d after %d, want the logical part to count", b, a)
	}
	wall = wall.Add(-time.Hour) // the wall clock jumps back
	if d := c.Now(); d <= b {
		t.Errorf("after a backward jump: %d, not after %d", d, b)
	}
	remote := hlc.Make(wall.Add(2*time.Hour), 7) // a peer two hours ahead
	if o := c.Observe(remote); o < remote {
		t.Errorf("observe %d gave %d, behind it", remote, o)
	}
	if n := c.Now(); n <= remote {
		t.Errorf("a local event after observing %d got %d", remote, n)
	}
	if got := hlc.Ahead(remote, wall); got != 2*time.Hour {
		t.Errorf("Ahead = %v, want 2h", got)
	}

	// Restarted from its log, a clock continues after the last stamp.
	r := hlc.New(func() time.Time { return wall }, remote)
	if n := r.Now(); n <= remote {
		t.Errorf("restarted clock issued %d, not after %d", n, remote)
	}
}
