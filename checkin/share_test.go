package checkin_test

import (
	"testing"

	"usher/checkin"
)

// shareEvent is a venue of 100 with three doors in from outside.
func shareEvent(tb testing.TB) *checkin.Event {
	tb.Helper()
	ev := &checkin.Event{
		ID:     "share",
		Name:   "Share",
		Spaces: []checkin.Space{{ID: "venue", Name: "Venue", Capacity: 100}},
		Doors: []checkin.Door{
			{ID: "north", From: checkin.Outside, To: "venue"},
			{ID: "south", From: checkin.Outside, To: "venue"},
			{ID: "side", From: checkin.Outside, To: "venue"},
		},
		Categories: []checkin.Category{{ID: "attendee", Name: "Attendee", MayEnter: []string{"venue"}}},
	}
	MustValidate(tb, ev)
	return ev
}

// TestDecideShare: a kiosk at the north door reports its rights of the
// venue. With the whole capacity free and three doors, the center keeps
// a pool of 3 and the rest, 97, is shared by weight: a third each when
// no door has demand, so a fresh kiosk's share is 32 (high-water mark
// 40).
func TestDecideShare(t *testing.T) {
	ev := shareEvent(t)
	fresh := checkin.ShareRequest{Counter: "venue", Door: "north", OfDoor: true, Reserve: 100}
	for _, c := range []struct {
		name   string
		change func(r *checkin.ShareRequest)
		want   checkin.ShareAnswer
	}{
		{"FreshKiosk", func(r *checkin.ShareRequest) {}, checkin.ShareAnswer{Grant: 32}},
		{"BusierPeer", func(r *checkin.ShareRequest) { r.Peers = []checkin.PeerDemand{{Door: "south", Demand: 4}} },
			checkin.ShareAnswer{Grant: 13}}, // 97 × 1/7
		{"TwoKiosksAtTheDoor", func(r *checkin.ShareRequest) { r.Peers = []checkin.PeerDemand{{Door: "north"}} },
			checkin.ShareAnswer{Grant: 24}}, // 97 × 2/4, split in two
		{"OwnDemand", func(r *checkin.ShareRequest) { r.Demand = 2 }, checkin.ShareAnswer{Grant: 58}}, // 97 × 3/5
		{"TopUp", func(r *checkin.ShareRequest) { r.Balance, r.Held, r.Reserve, r.AllHeld = 20, 20, 80, 20 },
			checkin.ShareAnswer{Grant: 12}},
		{"HeldByTheCentersCount", func(r *checkin.ShareRequest) { r.Held, r.Reserve, r.AllHeld = 35, 65, 35 },
			checkin.ShareAnswer{Grant: 5}}, // reports none, holds 35: up to 40
		{"HeldAtTheLimit", func(r *checkin.ShareRequest) { r.Held, r.Reserve, r.AllHeld = 40, 60, 40 }, checkin.ShareAnswer{}},
		{"WithinHighWater", func(r *checkin.ShareRequest) { r.Balance, r.Held, r.Reserve, r.AllHeld = 38, 38, 62, 38 },
			checkin.ShareAnswer{}},
		{"AboveHighWater", func(r *checkin.ShareRequest) { r.Balance, r.Held, r.Reserve, r.AllHeld = 50, 50, 50, 50 },
			checkin.ShareAnswer{Return: 18}},
		{"InDebt", func(r *checkin.ShareRequest) { r.Balance, r.Debt, r.Reserve, r.AllHeld = 7, 5, 0, 7 },
			checkin.ShareAnswer{Return: 7, InDebt: true}},
		{"InDebtHoldingNone", func(r *checkin.ShareRequest) { r.Debt, r.Reserve = 5, 0 }, checkin.ShareAnswer{InDebt: true}},
		{"NotOfDoor", func(r *checkin.ShareRequest) { r.OfDoor, r.Balance = false, 3 }, checkin.ShareAnswer{Return: 3}},
		{"NotOfDoorHoldingNone", func(r *checkin.ShareRequest) { r.OfDoor = false }, checkin.ShareAnswer{}},
		{"Reclaimed", func(r *checkin.ShareRequest) { r.Reclaim, r.Balance, r.Held, r.Reserve, r.AllHeld = 2, 30, 30, 70, 30 },
			checkin.ShareAnswer{Return: 2, ClearReclaim: true}},
		{"ReclaimedTakesNoGrant", func(r *checkin.ShareRequest) { r.Reclaim, r.Balance, r.Held, r.Reserve, r.AllHeld = 1, 1, 1, 99, 1 },
			checkin.ShareAnswer{Return: 1, ClearReclaim: true}},
		{"UrgentFromTheReserve", func(r *checkin.ShareRequest) { r.Urgent, r.Reserve, r.AllHeld = true, 2, 98 },
			checkin.ShareAnswer{Grant: 2}}, // the pool too
		{"UrgentReserveEmpty", func(r *checkin.ShareRequest) { r.Urgent, r.Reserve, r.AllHeld = true, 0, 100 },
			checkin.ShareAnswer{Reclaim: true}},
		{"UrgentInDebt", func(r *checkin.ShareRequest) { r.Urgent, r.Reserve, r.Debt = true, 0, 1 },
			checkin.ShareAnswer{InDebt: true}},
		{"UrgentKeepsItsReclaim", func(r *checkin.ShareRequest) { r.Urgent, r.Reclaim, r.Reserve, r.AllHeld = true, 1, 0, 100 },
			checkin.ShareAnswer{Reclaim: true}},
		{"LastPlaceIsThePools", func(r *checkin.ShareRequest) { r.Reserve = 1 }, checkin.ShareAnswer{}},
		{"LastPlaceUrgent", func(r *checkin.ShareRequest) { r.Urgent, r.Reserve = true, 1 }, checkin.ShareAnswer{Grant: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := fresh
			c.change(&r)
			if got := ev.DecideShare(r); got != c.want {
				t.Errorf("DecideShare(%+v) = %+v, want %+v", r, got, c.want)
			}
		})
	}
}

func TestPool(t *testing.T) {
	for _, c := range []struct {
		free  int64
		doors int
		want  int64
	}{{1000, 1, 0}, {1000, 3, 3}, {10, 3, 3}, {2, 3, 1}, {1, 2, 1}, {0, 3, 0}, {-4, 3, 0}, {5, 0, 0}} {
		if got := checkin.Pool(c.free, c.doors); got != c.want {
			t.Errorf("Pool(%d, %d) = %d, want %d", c.free, c.doors, got, c.want)
		}
	}
}
