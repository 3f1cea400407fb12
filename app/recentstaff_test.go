package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
)

// openRecent opens the staff menu's Recent scans and checks it lists the
// door's decisions.
func (h *harness) openRecent() {
	h.t.Helper()
	h.unlockStaff()
	h.staffKey('R')
	if !h.shows("Recent scans at this door") {
		h.t.Fatalf("R did not open the recent scans; %T shown", h.k.showing())
	}
}

// Staff pick one of the door's recent scans to act on it: the newest
// can be undone, a denial of a known person overridden; for any other
// the list says why not, and nothing is recorded.
func TestRecentScansStaff(t *testing.T) {
	t.Run("UndoLast", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorMain})
		h.scan(ada.Code)
		h.advance(holdGood)
		h.scan(alan.Code)
		at := h.clock.Now().Local().Format("15:04:05")
		h.advance(30 * time.Second)
		h.openRecent()
		h.enter("1")
		if want := at + " · Alan Turing · ADMIT"; !h.shows("Undo the last scan?") || !h.shows(want) {
			t.Fatalf("picking the last scan does not ask to undo %q", want)
		}
		if n := len(h.rows()); n != 2 || h.occ(venue) != 2 {
			t.Fatalf("undone before Enter: %d rows, venue %d", n, h.occ(venue))
		}
		h.key(fyne.KeyReturn)
		h.wantPanel(toneWarn, "Alan Turing · Attendee", "Undone: Alan Turing is back outside.")
		if r := h.last(); r.Method != "undo" || !r.Undoes.Valid {
			t.Errorf("logged %+v, want the undo", r)
		}
		if got := h.occ(venue); got != 1 {
			t.Errorf("venue occupancy %d, want 1", got)
		}
	})

	t.Run("OlderNotUndone", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorMain})
		h.scan(ada.Code)
		h.advance(holdGood)
		h.scan(alan.Code)
		h.openRecent()
		h.key(fyne.KeyDown)
		h.key(fyne.KeyReturn)
		if !h.shows("Only the last scan at this door can be undone.") {
			t.Error("picking an older admission does not say only the last can be undone")
		}
		if h.shows("Undo the last scan?") {
			t.Error("an older admission is offered for undo")
		}
		if n := len(h.rows()); n != 2 || h.occ(venue) != 2 {
			t.Errorf("something changed: %d rows, venue %d", n, h.occ(venue))
		}
	})

	t.Run("OverrideNotEntitled", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(hedy.Code)
		h.advance(holdBad)
		h.scan(ada.Code) // the denial is no longer the last scan
		h.openRecent()
		h.enter("2")
		if !h.shows("Override the denial of Hedy Lamarr: why?") {
			t.Fatalf("picking the denial does not ask why; %T shown", h.k.showing())
		}
		h.enter("Sponsor booth tour")
		h.wantPanel(toneAdmit, "Hedy Lamarr · Exhibitor", "Welcome, Hedy Lamarr (staff override).")
		if got := h.occ(ballroom); got != 2 {
			t.Errorf("ballroom occupancy = %d, want 2", got)
		}
		if r := h.last(); r.Reason != "admitted_override" || r.Note != "Sponsor booth tour" ||
			r.Person.String != hedy.ID || r.Location.String != ballroom {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("CapacityRefused", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorWorkshop})
		for _, p := range speakers(workshopCap) {
			h.admitDirect(doorWorkshop, p.Code)
		}
		h.scan(grace.Code)
		h.wantPanel(toneRoomFull, "Grace Hopper · Speaker", "Workshop Room A is full (40 / 40).")
		n := len(h.rows())
		h.openRecent()
		h.enter("1")
		if !h.shows("A capacity denial cannot be overridden: the space is full.") {
			t.Error("picking a capacity denial does not say it cannot be overridden")
		}
		if h.k.note.box.Visible() {
			t.Error("a capacity denial asks for an override reason")
		}
		if got := len(h.rows()); got != n || h.occ(workshop) != workshopCap {
			t.Errorf("something changed: %d rows (want %d), workshop %d", got, n, h.occ(workshop))
		}
	})

	t.Run("EscBack", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorMain})
		h.scan(ada.Code)
		h.openRecent()
		h.key(fyne.KeyEscape)
		if !h.k.staff.box.Visible() || h.focused() != fyne.Focusable(h.k.staff.keys) {
			t.Errorf("Esc did not go back to the staff menu; %T shown", h.k.showing())
		}
		if n := len(h.rows()); n != 1 {
			t.Errorf("%d rows, want 1", n)
		}
	})

	t.Run("ScanIsAScan", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorMain})
		h.scan(ada.Code)
		h.advance(holdGood)
		h.openRecent()
		h.wedge(alan.Code) // its digits pick no row
		h.wantPanel(toneAdmit, "Alan Turing · Attendee", "Welcome, Alan Turing.")
		if r := h.last(); r.Code != alan.Code || r.Reason != "admitted" {
			t.Errorf("logged %+v, want Alan's admission", r)
		}
		if n := len(h.rows()); n != 2 || h.occ(venue) != 2 {
			t.Errorf("%d rows, venue %d; want 2 and 2", n, h.occ(venue))
		}
		h.key(fyne.KeyF2)
		if !h.k.pin.box.Visible() {
			t.Error("a scan into the list did not lock staff mode")
		}
	})
}
