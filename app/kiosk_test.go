package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/checkin"
)

func TestNewStartsReady(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.wantReady()
	if got := h.k.doorName.Text; got != mainDoorName {
		t.Errorf("door name = %q, want %q", got, mainDoorName)
	}
	if got := h.k.dirText.Text; got != "ENTRY" {
		t.Errorf("direction = %q, want ENTRY", got)
	}
	if got := h.gaugeText(venue); got != "0 / 1500" {
		t.Errorf("venue gauge = %q, want 0 / 1500", got)
	}
	if got := h.k.conn.Text; got != "standalone" {
		t.Errorf("connection line = %q, want standalone", got)
	}
	if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
		t.Error("the scanner input does not have the focus at start")
	}
}

func TestScan(t *testing.T) {
	t.Run("Admit", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(ada.Code)
		h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace.")
		if got := h.occ(venue); got != 1 {
			t.Errorf("venue occupancy = %d, want 1", got)
		}
		if got := h.gaugeText(venue); got != "1 / 1500" {
			t.Errorf("venue gauge = %q, want 1 / 1500", got)
		}
		r := h.last()
		if r.Decision != "admit" || r.Reason != string(checkin.Admitted) || r.Method != "badge" ||
			r.Code != ada.Code || r.Person.String != ada.ID || r.Door != doorMain || r.At != start.UnixMilli() {
			t.Errorf("logged %+v", r)
		}
		if h.k.entry.Text != "" {
			t.Errorf("scanner input still holds %q after Enter", h.k.entry.Text)
		}
		if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
			t.Error("the scanner input lost the focus after a scan")
		}
	})

	t.Run("ErrUnknownBadge", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(unknownCode)
		h.wantPanel(toneDeny, "", "Unknown badge. Send to the registration desk.")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if r := h.last(); r.Decision != "deny" || r.Reason != string(checkin.UnknownBadge) || r.Code != unknownCode {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("ErrRoomFull", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorWorkshop})
		for _, p := range speakers(workshopCap) {
			h.admitDirect(doorWorkshop, p.Code)
		}
		h.k.Tick()
		if got := h.gaugeText(workshop); got != "40 / 40" {
			t.Errorf("workshop gauge = %q, want 40 / 40", got)
		}
		if got := h.gaugeColor(workshop); got != gaugeFull {
			t.Errorf("workshop gauge colour = %v, want red %v", got, gaugeFull)
		}
		h.scan(grace.Code)
		h.wantPanel(toneRoomFull, "Grace Hopper · Speaker", "Workshop Room A is full (40 / 40).")
		if got := h.occ(workshop); got != workshopCap {
			t.Errorf("workshop occupancy = %d, want %d", got, workshopCap)
		}
		if r := h.last(); r.Reason != string(checkin.RoomFull) || r.Space != workshop || r.Location.Valid {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("Exit", func(t *testing.T) {
		h := MustKiosk(t, Options{Direction: checkin.Exit})
		h.admitDirect(doorMain, ada.Code)
		h.k.Tick()
		if got := h.k.dirText.Text; got != "EXIT" {
			t.Errorf("direction = %q, want EXIT", got)
		}
		h.scan(ada.Code)
		h.wantPanel(toneExit, "Ada Lovelace · Attendee", "Goodbye, Ada Lovelace.")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if r := h.last(); r.Decision != "exit" || r.Reason != string(checkin.ExitRecorded) || r.Direction != "exit" {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("WarnExitNotInside", func(t *testing.T) {
		h := MustKiosk(t, Options{Direction: checkin.Exit})
		h.scan(alan.Code)
		h.wantPanel(toneWarn, "Alan Turing · Attendee", "Exit logged. Alan Turing was not recorded inside Convention Center.")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if r := h.last(); r.Reason != string(checkin.NotInside) {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("ErrNotEntitled", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(hedy.Code)
		h.wantPanel(toneDeny, "Hedy Lamarr · Exhibitor", "Hedy Lamarr (Exhibitor) may not enter Grand Ballroom.")
	})

	// A decision that cannot be made durable is never an admit, and the
	// screen raises the alarm.
	t.Run("ErrLogFailed", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.db.Close()
		h.scan(ada.Code)
		h.wantPanel(toneDeny, "ALARM: The kiosk database cannot be written: scans cannot be recorded.", alarmAdvice)
		h.k.Tick()
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if got := h.k.conn.Text; !strings.HasPrefix(got, "database error") {
			t.Errorf("connection line = %q, want a database error", got)
		}
		// The alarm stays in place of Ready.
		h.advance(holdBad)
		h.wantPanel(toneAlarm, "The kiosk database cannot be written: scans cannot be recorded.", alarmAdvice)
	})

	t.Run("BlankIgnored", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan("   ")
		h.wantReady()
		if n := len(h.rows()); n != 0 {
			t.Errorf("%d rows logged for a blank line, want 0", n)
		}
	})
}

// A scanner that sends every code twice must not produce a second
// decision; the same code a moment later is a new scan.
func TestScanRepeat(t *testing.T) {
	t.Run("IgnoredWithinASecond", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(ada.Code)
		h.clock.Advance(900 * time.Millisecond)
		h.scan(ada.Code)
		h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace.")
		if n := len(h.rows()); n != 1 {
			t.Errorf("%d rows in the scan log, want 1", n)
		}
		if got := h.occ(ballroom); got != 1 {
			t.Errorf("ballroom occupancy = %d, want 1", got)
		}
	})

	t.Run("DecidedAgainAfterASecond", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(ada.Code)
		h.clock.Advance(1500 * time.Millisecond)
		h.scan(ada.Code)
		h.wantPanel(toneDeny, "Ada Lovelace · Attendee", "Ada Lovelace is already inside Grand Ballroom.")
		rs := h.rows()
		if len(rs) != 2 {
			t.Fatalf("%d rows in the scan log, want 2", len(rs))
		}
		if rs[1].Reason != string(checkin.AlreadyInside) {
			t.Errorf("second scan logged %q, want already_inside", rs[1].Reason)
		}
		if got := h.occ(ballroom); got != 1 {
			t.Errorf("ballroom occupancy = %d, want 1", got)
		}
	})

	t.Run("OtherCodeNotIgnored", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(ada.Code)
		h.scan(alan.Code)
		h.wantPanel(toneAdmit, "Alan Turing · Attendee", "Welcome, Alan Turing.")
		if n := len(h.rows()); n != 2 {
			t.Errorf("%d rows in the scan log, want 2", n)
		}
	})

	// A-B-A within a second: the second A is not the repeat of the last
	// code, so it is decided (and denied by anti-passback here).
	t.Run("InterleavedDecided", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(ada.Code)
		h.scan(alan.Code)
		h.scan(ada.Code)
		if n := len(h.rows()); n != 3 {
			t.Errorf("%d rows in the scan log, want 3", n)
		}
	})
}

// The result is held, then the panel goes back to Ready on the clock
// step: 3 s for a good result, 6 s for a bad one.
func TestHold(t *testing.T) {
	for _, tc := range []struct {
		name string
		code string
		hold time.Duration
		want tone
	}{
		{"Admit", ada.Code, holdGood, toneAdmit},
		{"Deny", unknownCode, holdBad, toneDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustKiosk(t, Options{})
			h.scan(tc.code)
			h.k.Tick()
			if h.k.panel.word.Text != tc.want.word {
				t.Fatalf("panel = %q right after the scan, want %q", h.k.panel.word.Text, tc.want.word)
			}
			h.advance(tc.hold - time.Millisecond)
			if h.k.panel.word.Text != tc.want.word {
				t.Errorf("panel = %q %v after the scan, want %q still", h.k.panel.word.Text, tc.hold-time.Millisecond, tc.want.word)
			}
			h.clock.Advance(time.Millisecond)
			if h.k.panel.word.Text != tc.want.word {
				t.Error("the panel changed without a clock step")
			}
			h.k.Tick()
			h.wantReady()
		})
	}

	// A new scan during the hold restarts it.
	t.Run("NewScanRestartsHold", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(ada.Code)
		h.advance(2 * time.Second)
		h.scan(alan.Code)
		h.advance(2 * time.Second)
		h.wantPanel(toneAdmit, "Alan Turing · Attendee", "Welcome, Alan Turing.")
		h.advance(time.Second)
		h.wantReady()
	})
}

// The scanner input keeps the focus: Tick takes it back if it was lost
// while the scan view shows.
func TestTickRefocusesScanner(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.w.Canvas().Unfocus()
	h.k.Tick()
	if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
		t.Fatal("Tick did not give the focus back to the scanner input")
	}
	h.scan(ada.Code)
	h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace.")
}

// Gauges follow scans made by another process on the same database
// after the next clock step.
func TestGaugesFollowOtherKiosks(t *testing.T) {
	h := MustKiosk(t, Options{Door: doorBallroom})
	h.admitDirect(doorBallroom, ada.Code)
	h.k.Tick()
	if got := h.gaugeText(ballroom); got != "1 / 800" {
		t.Errorf("ballroom gauge = %q, want 1 / 800", got)
	}
	if got := h.gaugeText(venue); got != "1 / 1500" {
		t.Errorf("venue gauge = %q, want 1 / 1500", got)
	}
}

func TestGaugeColour(t *testing.T) {
	for _, tc := range []struct {
		n, capacity int
		want        any
	}{{0, 40, gaugeOK}, {35, 40, gaugeOK}, {36, 40, gaugeNear}, {39, 40, gaugeNear}, {40, 40, gaugeFull}, {41, 40, gaugeFull}} {
		if got := gaugeColor(tc.n, tc.capacity); got != tc.want {
			t.Errorf("gaugeColor(%d, %d) = %v, want %v", tc.n, tc.capacity, got, tc.want)
		}
	}
}

func (h *harness) gaugeColor(space string) any {
	for _, o := range h.k.gauges.Objects {
		if g := o.(*gauge); g.space == space {
			return g.fill.FillColor
		}
	}
	return nil
}
