package checkin_test

import (
	"slices"
	"testing"

	"usher/checkin"
)

// salonEvent is the reproduction of a room with two doors: a salon
// (cap 5) inside a hall, a front door into the hall, salon doors s1 and
// s2 from the hall, a terrace door from the street straight into the
// salon, and a sibling room with its own door.
func salonEvent(t *testing.T) *checkin.Event {
	t.Helper()
	ev := &checkin.Event{ID: "salon", Name: "Salon",
		Spaces: []checkin.Space{{ID: "hall", Capacity: 200}, {ID: "salon", Parent: "hall", Capacity: 5},
			{ID: "annex", Parent: "hall", Capacity: 10}},
		Doors: []checkin.Door{{ID: "front", From: checkin.Outside, To: "hall"}, {ID: "s1", From: "hall", To: "salon"},
			{ID: "s2", From: "hall", To: "salon"}, {ID: "a1", From: "hall", To: "annex"},
			{ID: "terrace", From: checkin.Outside, To: "salon"}},
		Categories: []checkin.Category{{ID: "attendee", MayEnter: []string{checkin.Everywhere}}},
	}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	return ev
}

const minute = 60_000

func TestStampCertainlyBefore(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b checkin.Stamp
		want bool
	}{
		{"Apart", checkin.Stamp{T: 1000, Err: 10}, checkin.Stamp{T: 2000, Err: 10}, true},
		{"Overlapping", checkin.Stamp{T: 1000, Err: 600}, checkin.Stamp{T: 2000, Err: 600}, false},
		{"Touching", checkin.Stamp{T: 1000, Err: 500}, checkin.Stamp{T: 2000, Err: 500}, false},
		{"After", checkin.Stamp{T: 2000, Err: 10}, checkin.Stamp{T: 1000, Err: 10}, false},
		{"FirstUnknown", checkin.Stamp{T: 1000, Err: -1}, checkin.Stamp{T: 9000, Err: 0}, false},
		{"SecondUnknown", checkin.Stamp{T: 1000, Err: 0}, checkin.Stamp{T: 9000, Err: -1}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.a.CertainlyBefore(c.b); got != c.want {
				t.Errorf("%+v before %+v: %v, want %v", c.a, c.b, got, c.want)
			}
		})
	}
}

func TestEstimate(t *testing.T) {
	// Ten minutes after a sync with a 40 ms round trip: the center's
	// clock moved on ten minutes, and the error grew by 200 ppm of them.
	got := checkin.Estimate(1_000_000, 20, 10*minute)
	if want := (checkin.Stamp{T: 1_000_000 + 10*minute, Err: 20 + 120 + 1}); got != want {
		t.Errorf("estimate %+v, want %+v", got, want)
	}
	// A monotonic reading before the anchor proves nothing.
	if got := checkin.Estimate(1_000_000, 20, -1); got.Known() {
		t.Errorf("estimate before the anchor %+v, want no bound", got)
	}
}

// stay is P's stay opened by kiosk k's admission seq at t ± 50 ms,
// pushed with server sequence rseq.
func stay(k string, seq int64, counter, dest string, t int64, rseq int64) checkin.Stay {
	return checkin.Stay{Holder: "P", Kiosk: k, Seq: seq, Counter: counter, Dest: dest,
		Stamp: checkin.Stamp{T: t, Err: 50}, HLC: uint64(t) << 16, RSeq: rseq}
}

func TestExitCloses(t *testing.T) {
	ev := salonEvent(t)
	const t0 = 1_800_000_000_000
	open := []checkin.Stay{stay("K-front", 1, "hall", "hall", t0, 10), stay("K-s1", 1, "salon", "salon", t0+minute, 11)}
	at := func(k string, t, hlcT, cursor int64) checkin.Mark {
		return checkin.Mark{Kiosk: k, Seq: 5, Cursor: cursor, Stamp: checkin.Stamp{T: t, Err: 50}, HLC: uint64(hlcT) << 16}
	}
	for _, c := range []struct {
		name string
		door string
		exit checkin.Mark
		want []int
	}{
		// The reproduction: admitted at s1, out at s2.
		{"OtherDoorOfTheRoom", "s2", at("K-s2", t0+2*minute, t0+2*minute, 0), []int{1}},
		{"OtherDoorPulledTheAdmission", "s2", checkin.Mark{Kiosk: "K-s2", Seq: 5, Cursor: 11, Stamp: checkin.Stamp{T: 0, Err: -1}}, []int{1}},
		// Leaving the venue ends the room stay too.
		{"LeavingTheHall", "front", at("K-out", t0+2*minute, t0+2*minute, 0), []int{0, 1}},
		// Too close to tell which came first: the stay stays open.
		{"InDoubt", "s2", checkin.Mark{Kiosk: "K-s2", Seq: 5, Stamp: checkin.Stamp{T: t0 + minute + 60, Err: 50}}, nil},
		{"NoBound", "s2", checkin.Mark{Kiosk: "K-s2", Seq: 5, Stamp: checkin.Stamp{T: t0 + 2*minute, Err: -1}, HLC: uint64(t0+2*minute) << 16}, nil},
		// The exiting kiosk's wall clock was set 10 minutes back: its
		// hybrid clock puts the exit before the admission, its stamp on
		// the monotonic clock does not. The match stands.
		{"WallClockBack", "s2", at("K-s2", t0+2*minute, t0-8*minute, 0), []int{1}},
		// The exiting kiosk's wall clock was set 10 minutes forward and
		// its exit came before the admission: the hybrid clock would put
		// it after and close the stay of someone inside; the stamp does not.
		{"WallClockForward", "s2", at("K-s2", t0+minute-5000, t0+11*minute, 0), nil},
		{"AnotherRoom", "a1", at("K-a1", t0+2*minute, t0+2*minute, 0), nil},
		// Out through the terrace, from the salon to the street: out of
		// the hall too.
		{"StraightToTheStreet", "terrace", at("K-t", t0+2*minute, t0+2*minute, 0), []int{0, 1}},
		{"UnknownDoor", "nope", at("K-x", t0+2*minute, t0+2*minute, 0), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ev.ExitCloses(c.door, c.exit, open); !slices.Equal(got, c.want) {
				t.Errorf("exit at %s closes %v, want %v", c.door, got, c.want)
			}
		})
	}
	t.Run("SameKioskEarlierSeq", func(t *testing.T) {
		m := checkin.Mark{Kiosk: "K-s1", Seq: 2, Stamp: checkin.Stamp{T: 0, Err: -1}}
		if got := ev.ExitCloses("s1", m, open); !slices.Equal(got, []int{1}) {
			t.Errorf("exit at the admitting kiosk closes %v, want [1]", got)
		}
	})
}

func TestSettle(t *testing.T) {
	ev := salonEvent(t)
	const t0 = 1_800_000_000_000
	hall := stay("K-front", 1, "hall", "hall", t0, 10)
	salon := stay("K-s1", 1, "salon", "salon", t0+minute, 11)
	for _, c := range []struct {
		name string
		open []checkin.Stay
		want []int
	}{
		{"RoomInsideHall", []checkin.Stay{hall, salon}, nil},
		// Walked out of the salon unscanned and into the annex.
		{"SiblingRoom", []checkin.Stay{hall, salon, stay("K-a1", 1, "annex", "annex", t0+2*minute, 12)}, []int{1}},
		// Left the hall unseen and came in again at the front.
		{"BackInAtTheFront", []checkin.Stay{hall, salon, stay("K-front", 2, "hall", "hall", t0+3*minute, 13)}, []int{0, 1}},
		// Order in doubt: counted twice rather than not at all.
		{"InDoubt", []checkin.Stay{hall, salon, stay("K-a1", 1, "annex", "annex", t0+minute+40, 12)}, nil},
		{"One", []checkin.Stay{hall}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ev.Settle(c.open); !slices.Equal(got, c.want) {
				t.Errorf("settle closes %v, want %v", got, c.want)
			}
		})
	}
}

func TestInnermost(t *testing.T) {
	ev := salonEvent(t)
	for _, c := range []struct {
		in   []string
		want string
	}{{nil, checkin.Outside}, {[]string{"hall"}, "hall"}, {[]string{"salon", "hall"}, "salon"}, {[]string{"hall", "annex"}, "annex"}} {
		if got := ev.Innermost(c.in); got != c.want {
			t.Errorf("innermost of %v: %q, want %q", c.in, got, c.want)
		}
	}
}

func TestShare(t *testing.T) {
	three := []checkin.DoorShare{{Door: "a", Weight: 1}, {Door: "b", Weight: 1}, {Door: "c", Weight: 1}}
	for _, c := range []struct {
		name  string
		free  int64
		doors []checkin.DoorShare
		door  string
		want  int64
	}{
		// Three doors into a venue of 1,000: whichever enrolls first gets
		// a third of what the center's pool (one place per door) leaves,
		// not the whole reserve.
		{"FirstOfThree", 1000, three, "a", 332},
		{"LastOfThree", 1000, three, "c", 332},
		// A small room: the pool is a quarter of it.
		{"SmallRoom", 10, three, "b", 2},
		{"OnlyDoor", 40, []checkin.DoorShare{{Door: "a", Weight: 1}}, "a", 40},
		{"BusyDoor", 102, []checkin.DoorShare{{Door: "a", Weight: 3}, {Door: "b", Weight: 1}}, "a", 75},
		{"QuietDoor", 102, []checkin.DoorShare{{Door: "a", Weight: 3}, {Door: "b", Weight: 1}}, "b", 25},
		{"WeightBelowOne", 92, []checkin.DoorShare{{Door: "a", Weight: 0}, {Door: "b", Weight: -5}}, "a", 45},
		{"LastPlace", 1, three, "a", 0},
		{"NotADoorOfTheCounter", 1000, three, "z", 0},
		{"NothingFree", 0, three, "a", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := checkin.Share(c.free, c.doors, c.door); got != c.want {
				t.Errorf("share of %s: %d, want %d", c.door, got, c.want)
			}
		})
	}
}

func TestLeaves(t *testing.T) {
	ev := salonEvent(t)
	for _, c := range []struct {
		door, loc string
		want      bool
	}{
		{"s2", "salon", true}, {"s2", "hall", false}, {"s2", "annex", false}, {"s2", checkin.Outside, false},
		{"front", "salon", true}, {"front", "hall", true}, {"front", checkin.Outside, false},
		{"terrace", "hall", true}, {"terrace", "annex", true}, {"terrace", "salon", true},
		{"nope", "salon", false},
	} {
		if got := ev.Leaves(c.door, c.loc); got != c.want {
			t.Errorf("an exit through %s leaves %s: %v, want %v", c.door, c.loc, got, c.want)
		}
	}
}
