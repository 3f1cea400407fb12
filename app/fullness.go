package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"usher/checkin"
)

// The ready screen tells door staff, who watch the line and not the
// screen, how full the door's own space is (the space its entries
// count into, the door's To): its word turns NEARLY FULL (amber) from
// checkin.NearlyFull of the capacity and ROOM FULL (VENUE FULL for the venue, red)
// at it, before anyone is turned away, and it shows "24 inside" and
// "1 place left" in figures large enough to read from the line. The
// count is the one the gauges show: on an enrolled kiosk the shared
// figure, whose age the line under the gauges gives.

// How big the figures are drawn.
const (
	// bigShare is their text size as a share of the window's height:
	// just above 1/8, which reads from about 2 m at 1080p and still
	// leaves the panel's word room at 1024×600.
	bigShare = 0.13
	// bigLine and bigBox: from one line of figures to the next, and the
	// height a line needs, as multiples of the text size.
	bigLine = 1.15
	bigBox  = 1.3
	// bigMost: the figures never take more of the panel than this.
	bigMost = 0.6
)

// doorSpace is the door's own space and the count the gauges show for it; nil
// when the event has no such space.
func (k *Kiosk) doorSpace() (s *checkin.Space, n int) {
	s = k.ev.Space(k.door.To)
	if s == nil {
		return nil, 0
	}
	return s, k.b.Occupancy()[s.ID]
}

// readyTone is the ready screen's tone at a count of n in a space of
// that capacity, as the door admits (entry) or not: a full space says
// so in the words of a capacity denial, a nearly full one in amber.
// Exits are never refused, so an exit door stays READY.
func readyTone(s *checkin.Space, n int, dir checkin.Direction) tone {
	if s == nil || dir != checkin.Entry {
		return toneReady
	}
	switch fillOf(n, s.Capacity) {
	case fillFull:
		if s.Parent == "" {
			return toneVenueFull
		}
		return toneRoomFull
	case fillNear:
		return toneNearlyFull
	}
	return toneReady
}

// insideText and leftText are the big figures: "24 inside", "1 place
// left". An override can take a space past its capacity; it then has
// no place left, never a negative number.
func insideText(n int) string { return fmt.Sprintf("%d inside", n) }

func leftText(n, capacity int) string { return plural(max(capacity-n, 0), "place", "places") + " left" }

// showReady shows Ready, or the alarm while scans cannot be recorded,
// or that nobody may be admitted at a kiosk the center revoked. Ready
// says how full the door's space is (see above). It redraws only what
// changed, so the clock step may call it each time.
func (k *Kiosk) showReady() {
	k.ready = true
	if k.alarm != "" {
		k.panel.showReady(toneAlarm, k.alarm, alarmAdvice, "", "")
		return
	}
	if k.standing.Revoked {
		k.panel.showReady(toneRevoked, revokedWho, revokedAdvice, "", "")
		return
	}
	if k.printMode {
		k.panel.showReady(toneDesk, "Badge desk — scan a ticket or badge to print a badge",
			k.door.Name+" · PRINT · "+k.printTo().String()+" · nobody is admitted here", "", "")
		return
	}
	where := fmt.Sprintf("%s · %s", k.door.Name, strings.ToUpper(string(k.dir)))
	s, n := k.doorSpace()
	t := readyTone(s, n, k.dir)
	who := "Ready — scan a badge"
	if t.word == toneRoomFull.word || t.word == toneVenueFull.word {
		who = s.Name + " is full — admit nobody until someone leaves"
	}
	inside, left := "", ""
	if s != nil {
		inside, left = insideText(n), leftText(n, s.Capacity)
	}
	k.panel.showReady(t, who, where, inside, left)
}

// showReady shows the panel with the big figures, unless it shows
// exactly that already.
func (p *panel) showReady(t tone, who, message, inside, left string) {
	if p.tone == t && p.who.Text == who && p.msg == message &&
		p.inside.Text == inside && p.left.Text == left && p.inside.Visible() == (inside != "") {
		return
	}
	p.show(t, who, message)
	p.inside.Text, p.left.Text = inside, left
	for _, txt := range []*canvas.Text{p.inside, p.left} {
		txt.Color = t.fg
		if inside == "" {
			txt.Hide()
		} else {
			txt.Show()
		}
	}
	p.Refresh()
}

// setBig sets the big figures' height from the window's.
func (p *panel) setBig(windowHeight float32) {
	if s := windowHeight * bigShare; s != p.big {
		p.big = s
		p.Refresh()
	}
}

// layoutBig lays the big figures out at the bottom of a panel of size,
// on one line if they fit there, else one under the other, and returns
// the height they take (0 when hidden).
func (p *panel) layoutBig(size fyne.Size) float32 {
	if !p.inside.Visible() || p.big <= 0 {
		return 0
	}
	avail := size.Width * 0.92
	margin := size.Height * 0.03
	texts := []*canvas.Text{p.inside, p.left}
	gap := p.big * 0.5
	wi := fyne.MeasureText(p.inside.Text, p.big, p.inside.TextStyle).Width
	wl := fyne.MeasureText(p.left.Text, p.big, p.left.TextStyle).Width
	lines := float32(2)
	if wi+gap+wl <= avail {
		lines = 1
	}
	// Never more than bigMost of the panel, whatever the window's shape.
	want := min(p.big, bigMost*size.Height/(bigLine*(lines-1)+bigBox))
	top := size.Height - margin - want*(bigLine*(lines-1)+bigBox)
	y := top
	if lines == 1 {
		wi = fyne.MeasureText(p.inside.Text, want, p.inside.TextStyle).Width
		wl = fyne.MeasureText(p.left.Text, want, p.left.TextStyle).Width
		x := (size.Width - wi - want*0.5 - wl) / 2
		for _, t := range texts {
			fit(t, want, avail)
			s := fyne.MeasureText(t.Text, want, t.TextStyle)
			t.Move(fyne.NewPos(x, y))
			t.Resize(s)
			x += s.Width + want*0.5
		}
		return size.Height - top
	}
	for _, t := range texts {
		s := fyne.MeasureText(t.Text, fit(t, want, avail), t.TextStyle)
		t.Move(fyne.NewPos((size.Width-s.Width)/2, y))
		t.Resize(s)
		y += want * bigLine
	}
	return size.Height - top
}
