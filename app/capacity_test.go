package app

import (
	"testing"

	"usher/checkin"
)

// A capacity denial tells staff whether the room (or venue) is full, so
// nobody gets in until someone leaves, or only this door has used up its
// share of the places, so people can go to another door. A standalone
// kiosk's full room is TestScan/ErrRoomFull.
func TestCapacityDenials(t *testing.T) {
	t.Run("ErrDoorOutOfCapacity", func(t *testing.T) {
		// This door spent both its rights; other doors have 5 places.
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.limitByRights(doorBallroom, 2, 5)
		h.scan(ada.Code)
		h.advance(holdGood)
		h.scan(grace.Code)
		h.wantPanel(toneAdmit, "Grace Hopper · Speaker", "Welcome, Grace Hopper.")
		h.advance(holdGood)
		h.scan(alan.Code)
		h.wantPanel(toneDoorFull, "Alan Turing · Attendee",
			"This door is out of capacity for Grand Ballroom — 5 places free at other doors at the last sync.")
		if got := h.occ(ballroom); got != 2 {
			t.Errorf("ballroom occupancy = %d, want 2", got)
		}
		if r := h.last(); r.Reason != string(checkin.OutOfCapacity) || r.Space != ballroom {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("ErrRoomFullEverywhere", func(t *testing.T) {
		// The same door when the center said no other door has a place.
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.limitByRights(doorBallroom, 2, 0)
		h.scan(ada.Code)
		h.advance(holdGood)
		h.scan(grace.Code)
		h.advance(holdGood)
		h.scan(alan.Code)
		h.wantPanel(toneRoomFull, "Alan Turing · Attendee", "Grand Ballroom is full (800 / 800).")
		if r := h.last(); r.Reason != string(checkin.RoomFull) || r.Space != ballroom {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("ErrVenueFullEverywhere", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorMain})
		h.limitByRights(doorMain, 0, 0)
		h.scan(ada.Code)
		h.wantPanel(toneVenueFull, "Ada Lovelace · Attendee", "Convention Center is full (1500 / 1500).")
		if r := h.last(); r.Reason != string(checkin.VenueFull) || r.Space != venue {
			t.Errorf("logged %+v", r)
		}
	})
}

// The capacity words are denials in colour and icon, and each is told
// apart from the others by its word alone.
func TestToneOfCapacity(t *testing.T) {
	for _, tc := range []struct {
		reason checkin.Reason
		want   string
	}{
		{checkin.RoomFull, "ROOM FULL"},
		{checkin.VenueFull, "VENUE FULL"},
		{checkin.OutOfCapacity, "DOOR FULL"},
		{checkin.NotEntitled, "DENY"},
	} {
		t.Run(string(tc.reason), func(t *testing.T) {
			got := toneOf(checkin.Decision{Kind: checkin.Deny, Reason: tc.reason})
			if got.word != tc.want || got.bg != toneDeny.bg || got.fg != toneDeny.fg || got.icon != toneDeny.icon {
				t.Errorf("tone %q (colour %v), want %q in the deny colour and icon", got.word, got.bg, tc.want)
			}
		})
	}
}
