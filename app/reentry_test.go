package app

import (
	"testing"
	"time"

	"usher/checkin"
)

// A second scan of someone inside a space without anti-passback (the
// venue here) opens the door but is not an ADMIT: staff see WARN, since
// when and through which door the person is inside, and the count stays.
func TestScanAlreadyInsideAgain(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.clock.now = time.Date(2026, time.May, 14, 10, 2, 0, 0, time.Local)
	h.scan(ada.Code)
	h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace.")
	h.advance(20 * time.Minute)
	h.scan(ada.Code)
	h.wantPanel(toneWarn, "Ada Lovelace · Attendee", "Already inside since 10:02 ("+mainDoorName+")")
	if got := h.occ(venue); got != 1 {
		t.Errorf("venue occupancy = %d, want 1", got)
	}
	if got := h.gaugeText(venue); got != "1 / 1500" {
		t.Errorf("venue gauge = %q, want 1 / 1500", got)
	}
	if r := h.last(); r.Decision != string(checkin.Admit) || r.Reason != string(checkin.AlreadyInsideAgain) || r.Location.Valid {
		t.Errorf("logged %+v, want an admit with reason %s that moves nobody", r, checkin.AlreadyInsideAgain)
	}
}
