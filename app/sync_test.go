package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/checkin"
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
	h.key(fyne.KeyReturn)
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
	h.enter("1")    // to the first
	chosen := h.k.door.ID
	if chosen == doorBallroom {
		t.Fatalf("staff's door change left the door at %s", chosen)
	}
	h.open(Options{DefaultDoor: doorBallroom})
	if got := h.k.door.ID; got != chosen {
		t.Errorf("door %s after a restart, want staff's choice %s", got, chosen)
	}
}

// An enrollment QR scanned in staff mode goes to Options.Enroll, not to
// the scan log, and the panel says how it went.
func TestEnrollInStaffMode(t *testing.T) {
	var got []string
	var finish func(error)
	h := MustKiosk(t, Options{Enroll: func(code string, done func(error)) {
		got = append(got, code)
		finish = done
	}})
	code := "USHER-ENROLL:eyJ1cmwiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAifQ"
	h.unlockStaff()
	h.wedge(code)
	if len(got) != 1 || got[0] != code {
		t.Fatalf("Enroll got %q, want the code once", got)
	}
	if n := len(h.rows()); n != 0 {
		t.Errorf("%d scan rows logged for an enrollment code", n)
	}
	if w := h.k.panel.word.Text; w != toneWarn.word {
		t.Errorf("panel while enrolling: %q", w)
	}
	finish(nil)
	if h.k.panel.word.Text != toneAdmit.word || h.k.panel.who.Text != "Enrolled" {
		t.Errorf("after enrolling: %q %q", h.k.panel.word.Text, h.k.panel.who.Text)
	}
	h.unlockStaff()
	h.wedge(code)
	finish(checkin.Errorf("unauthorized", "this enrollment code is unknown or was used already"))
	if h.k.panel.word.Text != toneWarn.word || h.k.panel.msg != "this enrollment code is unknown or was used already" {
		t.Errorf("after a refused enrollment: %q %q", h.k.panel.word.Text, h.k.panel.msg)
	}

	// Without Enroll (a kiosk not built for sync) the code is a scan,
	// denied like any unknown code.
	plain := MustKiosk(t, Options{})
	plain.unlockStaff()
	plain.wedge(code)
	if r := plain.last(); r.Reason != string(checkin.UnknownBadge) {
		t.Errorf("without Enroll the code was logged as %q", r.Reason)
	}
}
