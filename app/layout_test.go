package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"usher/doorprint"
)

// The screen at the kiosk's smallest supported display, against markup
// goldens in testdata/. The clock is fixed and the theme is the kiosk's
// light theme, so the markup is deterministic. To update a golden after
// a deliberate change: run the test, check testdata/failed/NAME.xml and
// copy it over testdata/NAME.xml.
func TestLayoutGoldens(t *testing.T) {
	// The recent strip shows times on the local clock: pin it, so the
	// goldens do not depend on where the test runs.
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.UTC
	for _, tc := range []struct {
		golden string
		door   string
		setup  func(h *harness)
	}{
		{"ready.xml", doorMain, func(h *harness) {}},
		{"admit.xml", doorMain, func(h *harness) { h.scan(ada.Code) }},
		{"deny.xml", doorMain, func(h *harness) { h.scan(unknownCode) }},
		{"full.xml", doorWorkshop, func(h *harness) {
			for _, p := range speakers(workshopCap) {
				h.admitDirect(doorWorkshop, p.Code)
			}
			h.scan(grace.Code)
		}},
		{"doorfull.xml", doorBallroom, func(h *harness) {
			h.limitByRights(doorBallroom, 0, 5)
			h.scan(ada.Code)
		}},
		{"shared.xml", doorBallroom, sharedStale},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			h := MustKiosk(t, Options{Door: tc.door})
			tc.setup(h)
			test.AssertRendersToMarkup(t, tc.golden, h.w.Canvas())
		})
	}
}

// views lists every state of the screen worth checking for fit: the
// result panel in each tone, a very long name, and each view that takes
// the panel's place.
var views = []struct {
	name  string
	setup func(h *harness)
}{
	{"Ready", func(h *harness) {}},
	{"Admit", func(h *harness) { h.scan(ada.Code) }},
	{"Deny", func(h *harness) { h.scan(unknownCode) }},
	{"NotEntitled", func(h *harness) { h.scan(hedy.Code) }},
	{"LongName", func(h *harness) { h.scan(long.Code) }},
	// VENUE FULL at the main door, ROOM FULL at the ballroom's.
	{"Full", func(h *harness) { h.limitByRights(h.k.door.ID, 0, 0); h.scan(ada.Code) }},
	{"DoorFull", func(h *harness) { h.limitByRights(h.k.door.ID, 0, 5); h.scan(ada.Code) }},
	{"PIN", func(h *harness) { h.key(fyne.KeyF2) }},
	{"StaffMenu", func(h *harness) { h.scan(hedy.Code); h.unlockStaff() }},
	{"Note", func(h *harness) { h.unlockStaff(); h.staffKey('3') }},
	{"Search", func(h *harness) { h.key(fyne.KeyF3); h.typeText("Speaker") }},
	{"UndoConfirm", func(h *harness) { h.scan(long.Code); h.unlockStaff(); h.staffKey('2') }},
	{"QuitConfirm", func(h *harness) { h.unlockStaff(); h.staffKey('0') }},
	{"DoorList", func(h *harness) { h.unlockStaff(); h.staffKey('6') }},
	{"RecentList", func(h *harness) { h.scan(long.Code); h.scan(unknownCode); h.unlockStaff(); h.staffKey('R') }},
	{"PrintSearch", func(h *harness) { h.scan(long.Code); h.unlockStaff(); h.staffKey('P') }},
	{"PrintConfirm", func(h *harness) { h.scan(long.Code); h.unlockStaff(); h.staffKey('P'); h.key(fyne.KeyReturn) }},
	// The kiosk has no signing key: the longest refusal.
	{"NotPrinted", func(h *harness) {
		h.scan(long.Code)
		h.unlockStaff()
		h.staffKey('P')
		h.key(fyne.KeyReturn)
		h.key(fyne.KeyReturn)
	}},
	{"Printers", func(h *harness) { h.unlockStaff(); h.staffKey('Q') }},
	{"BadgeDesk", func(h *harness) { h.unlockStaff(); h.staffKey('1'); h.unlockStaff(); h.staffKey('1') }},
	// An enrolled kiosk's line under the gauges, at its longest.
	{"Shared", sharedStale},
}

// sharedStale enrolls h's kiosk and gives it the center's count of an
// hour ago: the gauges show it, with the longest line under them.
func sharedStale(h *harness) {
	h.limitByRights(h.k.door.ID, 10, 10)
	at := sharedAt()
	h.clock.now = at.Add(65 * time.Minute)
	h.pullPresence(at, map[string]int{venue: 212, ballroom: 40})
	h.k.Tick()
}

// Nothing on the screen may need more room than the display has: a real
// window grows to its content's minimum size (and off a 1024×600
// screen), and the panel's text must stay inside the panel.
func TestLayoutFits(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1024, Height: 600}, {Width: 1920, Height: 1080}} {
		// The ballroom door shows two gauges, the tallest bottom bar.
		for _, door := range []string{doorMain, doorBallroom} {
			for _, v := range views {
				t.Run(sizeName(size)+"/"+door+"/"+v.name, func(t *testing.T) {
					// Every staff item there is: printing, and the
					// longest sound item.
					h := MustKiosk(t, Options{Door: door, Printer: &doorprint.Desk{}, NoSound: "no audio device"})
					h.w.Resize(size)
					v.setup(h)
					if got := h.w.Content().MinSize(); got.Width > size.Width || got.Height > size.Height {
						t.Errorf("the screen needs %.0f×%.0f, more than the display's %.0f×%.0f: "+
							"a real window grows past the display, or is cut off in full screen",
							got.Width, got.Height, size.Width, size.Height)
					}
					if got := h.w.Canvas().Size(); got != size {
						t.Errorf("the window grew to %v", got)
					}
					if h.k.panel.Visible() {
						wantPanelFits(t, h.k.panel)
					}
				})
			}
		}
	}
}

// wantPanelFits checks every part of the panel lies inside it.
func wantPanelFits(t *testing.T, p *panel) {
	t.Helper()
	ps := p.Size()
	if ps.Width <= 0 || ps.Height <= 0 {
		t.Fatalf("panel has no size: %v", ps)
	}
	for _, o := range []struct {
		name string
		obj  fyne.CanvasObject
	}{{"icon", p.icon}, {"word", p.word}, {"who", p.who}, {"message", p.message}, {"message2", p.message2}} {
		pos, s := o.obj.Position(), o.obj.Size()
		if txt, ok := o.obj.(*canvas.Text); ok {
			// What the text needs, whatever it was resized to.
			s = fyne.MeasureText(txt.Text, txt.TextSize, txt.TextStyle)
		}
		if pos.X < 0 || pos.Y < 0 || pos.X+s.Width > ps.Width+0.5 || pos.Y+s.Height > ps.Height+0.5 {
			t.Errorf("panel %s at %v size %v overflows the panel %v", o.name, pos, s, ps)
		}
	}
}

// A very long name shrinks to fit; it never widens the window, and the
// word stays large.
func TestLongNameShrinks(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.w.Resize(fyne.NewSize(1920, 1080))
	h.scan(ada.Code)
	normal := h.k.panel.who.TextSize
	minBefore := h.w.Content().MinSize()
	h.advance(holdGood)
	h.scan(long.Code)
	h.wantPanel(toneAdmit, long.Name+" · Attendee", "Welcome, "+long.Name+".")
	p := h.k.panel
	if p.who.TextSize >= normal {
		t.Errorf("long name at %.1f, not smaller than a short one at %.1f", p.who.TextSize, normal)
	}
	if w := fyne.MeasureText(p.who.Text, p.who.TextSize, p.who.TextStyle).Width; w > p.Size().Width {
		t.Errorf("long name is %.0f wide in a panel %.0f wide", w, p.Size().Width)
	}
	if got := h.w.Content().MinSize(); got != minBefore {
		t.Errorf("content minimum size changed from %v to %v", minBefore, got)
	}
	if got := h.w.Canvas().Size(); got != fyne.NewSize(1920, 1080) {
		t.Errorf("window size = %v", got)
	}
	wantPanelFits(t, p)
}

func sizeName(s fyne.Size) string {
	return map[float32]string{1024: "1024x600", 1920: "1920x1080"}[s.Width]
}
