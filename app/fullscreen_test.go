package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/checkin"
)

// wantFullness checks the ready screen's word and colour (tone), and its
// big figures.
func (h *harness) wantFullness(want tone, inside, left string) {
	h.t.Helper()
	p := h.k.panel
	if p.word.Text != want.word || p.bg.FillColor != want.bg || p.icon.Resource != want.icon {
		h.t.Errorf("ready panel %q in %v, want %q in %v (who %q)", p.word.Text, p.bg.FillColor, want.word, want.bg, p.who.Text)
	}
	if !p.inside.Visible() || !p.left.Visible() {
		h.t.Errorf("big figures hidden")
	}
	if p.inside.Text != inside || p.left.Text != left {
		h.t.Errorf("big figures %q, %q, want %q, %q", p.inside.Text, p.left.Text, inside, left)
	}
}

// exitDirect records an exit straight through the store, as another
// kiosk at the door would.
func (h *harness) exitDirect(door, code string) {
	h.t.Helper()
	d, err := h.db.Scan(h.ctx, checkin.Scan{Code: code, Door: door, Direction: checkin.Exit})
	if err != nil || d.Kind != checkin.Leave {
		h.t.Fatalf("setup: exit %s at %s: %+v, %v", code, door, d, err)
	}
}

// The ready screen says a room is full before anyone is turned away, and
// nearly full from 90 %, so staff at the line know without reading the
// gauges; it says Ready again once places free.
func TestReadyShowsFullness(t *testing.T) {
	t.Run("FullByScans", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorWorkshop})
		for i, p := range speakers(workshopCap) {
			h.scan(p.Code)
			h.wantPanel(toneAdmit, p.Name+" · Speaker", "Welcome, "+p.Name+".")
			h.advance(holdGood)
			n := i + 1
			switch {
			case n == 35:
				h.wantReady()
				h.wantFullness(toneReady, "35 inside", "5 places left")
			case n == 36:
				h.wantFullness(toneNearlyFull, "36 inside", "4 places left")
				h.wantPanel(toneNearlyFull, "Ready — scan a badge", "Workshop A Door · ENTRY")
			case n == 39:
				h.wantFullness(toneNearlyFull, "39 inside", "1 place left")
			}
		}
		// Nobody was turned away yet, and the screen says the room is full.
		for _, r := range h.rows() {
			if r.Decision != string(checkin.Admit) {
				t.Fatalf("a scan before the room was full was %s (%s)", r.Decision, r.Reason)
			}
		}
		h.wantPanel(toneRoomFull, "Workshop Room A is full — admit nobody until someone leaves", "Workshop A Door · ENTRY")
		h.wantFullness(toneRoomFull, "40 inside", "0 places left")
		if toneRoomFull.bg != toneDeny.bg {
			t.Errorf("ROOM FULL is not in the deny colour")
		}

		h.scan(grace.Code)
		h.wantPanel(toneRoomFull, "Grace Hopper · Speaker", "Workshop Room A is full (40 / 40).")
		if h.k.panel.inside.Visible() {
			t.Errorf("big figures shown over a decision")
		}
		h.advance(holdBad)
		h.wantFullness(toneRoomFull, "40 inside", "0 places left")

		// One leaves by this door (another kiosk): a place frees.
		h.exitDirect(doorWorkshop, speakers(1)[0].Code)
		h.advance(tickEvery)
		h.wantFullness(toneNearlyFull, "39 inside", "1 place left")
		for _, p := range speakers(5)[1:] {
			h.exitDirect(doorWorkshop, p.Code)
		}
		h.advance(tickEvery)
		h.wantReady()
		h.wantFullness(toneReady, "35 inside", "5 places left")
	})

	t.Run("SharedFigure", func(t *testing.T) {
		// An enrolled kiosk's figure is the center's count.
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.limitByRights(doorBallroom, 10, 10)
		at := sharedAt()
		h.clock.now = at.Add(5 * time.Minute)
		h.pullPresence(at, map[string]int{venue: 900, ballroom: 800})
		h.k.Tick()
		h.wantPanel(toneRoomFull, "Grand Ballroom is full — admit nobody until someone leaves", "Ballroom North Door · ENTRY")
		h.wantFullness(toneRoomFull, "800 inside", "0 places left")
		if !h.k.shared.Visible() || h.k.shared.Text != sharedLine(at, h.clock.now, true) {
			t.Errorf("the figure's age is not shown: %q", h.k.shared.Text)
		}

		h.pullPresence(at, map[string]int{venue: 900, ballroom: 720})
		h.k.Tick()
		h.wantFullness(toneNearlyFull, "720 inside", "80 places left")

		h.pullPresence(at, map[string]int{venue: 900, ballroom: 719})
		h.k.Tick()
		h.wantReady()
		h.wantFullness(toneReady, "719 inside", "81 places left")
	})

	t.Run("VenueFull", func(t *testing.T) {
		// The main door's space is the venue: it says so in the words
		// of its denial.
		h := MustKiosk(t, Options{Door: doorMain})
		h.limitByRights(doorMain, 10, 10)
		h.pullPresence(sharedAt(), map[string]int{venue: 1500})
		h.k.Tick()
		h.wantFullness(toneVenueFull, "1500 inside", "0 places left")
	})

	t.Run("ExitDoorStaysReady", func(t *testing.T) {
		// Exits are never refused: a full room is no reason to stop one.
		h := MustKiosk(t, Options{Door: doorWorkshop, Direction: checkin.Exit})
		for _, p := range speakers(workshopCap) {
			h.admitDirect(doorWorkshop, p.Code)
		}
		h.advance(tickEvery)
		h.wantReady()
		h.wantFullness(toneReady, "40 inside", "0 places left")
	})
}

// The door's figures are at least an eighth of the window tall, at the
// smallest display and at 1080p, and grow with the window.
func TestBigFigures(t *testing.T) {
	var last float32
	for _, size := range []fyne.Size{{Width: 1024, Height: 600}, {Width: 1920, Height: 1080}} {
		t.Run(sizeName(size), func(t *testing.T) {
			h := MustKiosk(t, Options{Door: doorWorkshop})
			h.w.Resize(size)
			for _, p := range speakers(24) {
				h.admitDirect(doorWorkshop, p.Code)
			}
			h.advance(tickEvery)
			h.wantFullness(toneReady, "24 inside", "16 places left")
			p := h.k.panel
			for _, txt := range []struct {
				name string
				size float32
			}{{"inside", p.inside.TextSize}, {"places left", p.left.TextSize}} {
				if txt.size < size.Height/8 {
					t.Errorf("%q is %.0f px, under an eighth of the window's %.0f", txt.name, txt.size, size.Height)
				}
			}
			if p.inside.TextSize <= last {
				t.Errorf("%.0f px at %v, not larger than %.0f at the smaller window", p.inside.TextSize, size, last)
			}
			last = p.inside.TextSize
			wantBigFits(t, p)
			if got := h.w.Canvas().Size(); got != size {
				t.Errorf("the window grew to %v", got)
			}
		})
	}
}

// wantBigFits checks the big figures lie inside the panel and below its
// word and lines.
func wantBigFits(t *testing.T, p *panel) {
	t.Helper()
	wantPanelFits(t, p)
	ps := p.Size()
	bottom := p.message.Position().Y + p.message.TextSize
	for name, txt := range map[string]fyne.CanvasObject{"inside": p.inside, "places left": p.left} {
		pos, s := txt.Position(), txt.Size()
		if pos.X < 0 || pos.Y < bottom || pos.X+s.Width > ps.Width+0.5 || pos.Y+s.Height > ps.Height+0.5 {
			t.Errorf("%s at %v size %v is outside the panel %v or over its lines (which end at %.0f)", name, pos, s, ps, bottom)
		}
	}
}
