package app

import (
	"testing"
	"time"
)

// An enrolled kiosk's gauges show the center's count at the last pull
// plus this kiosk's moves since; the line under them says how old the
// center's figure is. A standalone kiosk counts alone and says nothing.
func TestSharedCountLine(t *testing.T) {
	t.Run("Enrolled", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.limitByRights(doorMain, 10, 10)
		h.k.Tick()
		h.wantNoShared() // enrolled, but the center has not counted yet

		at := sharedAt()
		h.clock.now = at.Add(20 * time.Second) // the pull arrives 20 s after the count
		h.pullPresence(at, map[string]int{venue: 212})
		h.k.Tick()
		h.wantShared("count shared with all doors, as of 10:42:05")
		if got := h.gaugeText(venue); got != "212 / 1500" {
			t.Errorf("venue gauge = %q, want the center's 212 / 1500", got)
		}

		// This kiosk's own scan counts at once; the figure it adds to is
		// still the center's of 10:42:05.
		h.scan(ada.Code)
		if got := h.gaugeText(venue); got != "213 / 1500" {
			t.Errorf("venue gauge = %q after an admit, want 213 / 1500", got)
		}
		h.wantShared("count shared with all doors, as of 10:42:05")

		// No pull for a while: the line says how stale the figure is,
		// on the clock tick alone.
		h.advance(39 * time.Second) // 59 s old
		h.wantShared("count shared with all doors, as of 10:42:05")
		h.advance(time.Second)
		h.wantShared("count shared with all doors, as of 10:42:05 — 1 min ago")
		h.advance(2*time.Minute + 30*time.Second)
		h.wantShared("count shared with all doors, as of 10:42:05 — 3 min ago")
		h.advance(62 * time.Minute)
		h.wantShared("count shared with all doors, as of 10:42:05 — 1 h 5 min ago")

		// A new pull: the new time, fresh again, and the new count.
		h.pullPresence(h.clock.now.Add(-2*time.Second), map[string]int{venue: 250})
		h.k.Tick()
		h.wantShared("count shared with all doors, as of 11:47:33")
		if got := h.gaugeText(venue); got != "250 / 1500" {
			t.Errorf("venue gauge = %q after the second pull, want 250 / 1500", got)
		}
	})

	// A door into a room shows two gauges, the room's and the venue's:
	// the line speaks of both.
	t.Run("TwoGauges", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.limitByRights(doorBallroom, 10, 10)
		at := sharedAt()
		h.clock.now = at
		h.pullPresence(at, map[string]int{venue: 212, ballroom: 40})
		h.k.Tick()
		h.wantShared("counts shared with all doors, as of 10:42:05")
		if got := h.gaugeText(ballroom); got != "40 / 800" {
			t.Errorf("ballroom gauge = %q, want 40 / 800", got)
		}
	})

	t.Run("Standalone", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.wantNoShared()
		h.scan(ada.Code)
		h.advance(time.Hour)
		h.wantNoShared()
		if got := h.gaugeText(venue); got != "1 / 1500" {
			t.Errorf("venue gauge = %q, want this kiosk's own 1 / 1500", got)
		}
	})
}

// TestSharedLine checks the wording at the edges of its age steps.
func TestSharedLine(t *testing.T) {
	at := sharedAt()
	for _, tc := range []struct {
		name   string
		age    time.Duration
		plural bool
		want   string
	}{
		{"Fresh", 0, false, "count shared with all doors, as of 10:42:05"},
		{"AlmostAMinute", time.Minute - time.Millisecond, false, "count shared with all doors, as of 10:42:05"},
		{"AMinute", time.Minute, false, "count shared with all doors, as of 10:42:05 — 1 min ago"},
		{"AlmostAnHour", time.Hour - time.Millisecond, false, "count shared with all doors, as of 10:42:05 — 59 min ago"},
		{"AnHour", time.Hour, false, "count shared with all doors, as of 10:42:05 — 1 h 0 min ago"},
		{"OvernightOffline", 23*time.Hour + 7*time.Minute, false, "count shared with all doors, as of 10:42:05 — 23 h 7 min ago"},
		// This machine's clock behind the center's: not "-2 min ago".
		{"ClockBehind", -2 * time.Minute, false, "count shared with all doors, as of 10:42:05"},
		{"Plural", 5 * time.Minute, true, "counts shared with all doors, as of 10:42:05 — 5 min ago"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sharedLine(at, at.Add(tc.age), tc.plural); got != tc.want {
				t.Errorf("sharedLine(age %v) = %q, want %q", tc.age, got, tc.want)
			}
		})
	}
}

// wantShared checks the line under the gauges is shown and reads want.
func (h *harness) wantShared(want string) {
	h.t.Helper()
	if !h.k.shared.Visible() {
		h.t.Errorf("shared-count line hidden, want %q", want)
	}
	if got := h.k.shared.Text; got != want {
		h.t.Errorf("shared-count line = %q, want %q", got, want)
	}
}

// wantNoShared checks there is no line under the gauges.
func (h *harness) wantNoShared() {
	h.t.Helper()
	if h.k.shared.Visible() {
		h.t.Errorf("shared-count line shown (%q), want none", h.k.shared.Text)
	}
}
