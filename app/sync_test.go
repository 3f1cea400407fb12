package app

import (
	"testing"
	"time"
)

// TestOnScan checks that OnScan follows the scan log: called once for
// every decision recorded, by scan or by staff, and never for a repeat
// the screen ignores.
func TestOnScan(t *testing.T) {
	var calls int
	h := MustKiosk(t, Options{OnScan: func() { calls++ }})
	h.scan(ada.Code)
	h.scan(ada.Code) // a scanner's double read: ignored, not logged
	h.advance(2 * time.Second)
	h.scan(unknownCode) // a denial is logged too
	h.advance(30 * time.Second)
	h.unlockStaff()
	h.staffKey('2') // undo the last scan: nothing to undo, logged
	h.unlockStaff()
	h.staffKey('3') // +1 without a badge: asks for the reason
	h.enter("No badge")
	if n := len(h.rows()); calls != n || n != 4 {
		t.Errorf("OnScan called %d times for %d rows in the log, want 4 and 4", calls, n)
	}
}

// TestConnectionLine checks the line the sync's status goes to.
func TestConnectionLine(t *testing.T) {
	h := MustKiosk(t, Options{})
	for _, s := range []string{"online", "offline since 14:02 — 12 scans waiting", "this kiosk was revoked"} {
		h.k.SetConnection(s)
		if got := h.k.conn.Text; got != s {
			t.Errorf("connection line %q, want %q", got, s)
		}
	}
}

// TestDefaultDoor checks that an enrolled kiosk opens at its door until
// staff choose another, which then sticks.
func TestDefaultDoor(t *testing.T) {
	h := MustKiosk(t, Options{DefaultDoor: doorBallroom})
	if got := h.k.door.ID; got != doorBallroom {
		t.Errorf("door %s, want the default %s", got, doorBallroom)
	}
	h.unlockStaff()
	h.staffKey('6') // change door
	chosen := h.k.door.ID
	if chosen == doorBallroom {
		t.Fatalf("staff's door change left the door at %s", chosen)
	}
	h.open(Options{DefaultDoor: doorBallroom})
	if got := h.k.door.ID; got != chosen {
		t.Errorf("door %s after a restart, want staff's choice %s", got, chosen)
	}
}
