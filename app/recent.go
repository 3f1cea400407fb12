package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"usher/checkin"
)

// recentScan is one decision of this door's log (the store's Recent). It
// is an alias of an unnamed struct so that Backend can name the type the
// store returns without the screen importing the store: both spell out
// the same struct, which makes them one type.
type recentScan = struct {
	Seq    int64
	At     time.Time
	Kind   checkin.Kind
	Reason checkin.Reason
	Person *checkin.Person // nil for a code that names nobody and for a headcount change
	Code   string
	Delta  int
	Undone bool
}

// recentRows is how many of the door's last decisions the strip lists,
// at most: fewer show when the window is too short for them all.
const recentRows = 10

// recentWidth is the strip's width: narrow, so the result panel keeps
// most of the screen.
const recentWidth = 250

// recentList is the strip beside the result panel: this door's entries
// and exits today, and its last decisions, newest first, each with its
// time, who, the panel's word on the panel's colour and the reason in
// words. A DENY stays in the list after the next person's ADMIT has
// replaced it on the panel.
type recentList struct {
	widget.BaseWidget
	today     *canvas.Text
	todayText string // today's line in full; today shows it cut to the width
	rows      [recentRows]*recentRow
	n         int // rows holding a decision
	shown     int // of those, rows that fit the strip's height
	// window is the window's size, which the strip grows with, as the
	// dialogs do (rescale): its rows read at 1920×1080 from as far as at
	// 1024×600. nil: the sizes at 1024×600.
	window func() fyne.Size
	scale  float32 // the factor the texts were last sized for
}

// recentRow is one decision in the strip.
type recentRow struct {
	tone tone
	mark *canvas.Rectangle // the tone's colour behind the word
	word *canvas.Text
	who  *canvas.Text // "09:00:05  Ada Lovelace"
	why  *canvas.Text // the reason in words
	// whoText and whyText are the lines in full; who and why show them
	// cut to the strip's width.
	whoText, whyText string
}

// Text sizes of the strip.
const (
	recentTodaySize = 15
	recentWhoSize   = 14
	recentWhySize   = 12
)

func newRecentList() *recentList {
	l := &recentList{today: canvas.NewText("", theme.Color(theme.ColorNameForeground)), scale: 1}
	l.today.TextSize, l.today.TextStyle.Bold = recentTodaySize, true
	for i := range l.rows {
		r := &recentRow{
			mark: canvas.NewRectangle(toneReady.bg),
			word: canvas.NewText("", white),
			who:  canvas.NewText("", theme.Color(theme.ColorNameForeground)),
			why:  canvas.NewText("", theme.Color(theme.ColorNameForeground)),
		}
		r.mark.CornerRadius = 4
		r.word.TextSize, r.word.TextStyle.Bold = recentWhySize, true
		r.who.TextSize, r.why.TextSize = recentWhoSize, recentWhySize
		l.rows[i] = r
	}
	l.ExtendBaseWidget(l)
	return l
}

// set shows the door's counts today and its last decisions, newest first.
func (l *recentList) set(in, out int, scans []recentScan) {
	l.todayText = fmt.Sprintf("This door today: %d in · %d out", in, out)
	l.n = min(len(scans), recentRows)
	for i, r := range l.rows {
		if i >= l.n {
			r.word.Text, r.whoText, r.whyText = "", "", ""
			continue
		}
		s := scans[i]
		r.tone = recentTone(s)
		r.word.Text = r.tone.word
		r.whoText = s.At.Local().Format("15:04:05") + "  " + recentWho(s)
		r.whyText = reasonWords(s.Reason)
		if s.Undone {
			r.whyText += " · undone"
		}
	}
	l.Refresh()
}

// recentTone is the panel's tone of a logged decision, a capacity denial
// as plain DENY: the reason line says which space was full.
func recentTone(s recentScan) tone {
	if s.Kind == checkin.Deny && s.Reason.ForCapacity() {
		return toneDeny
	}
	return toneOf(checkin.Decision{Kind: s.Kind, Reason: s.Reason})
}

// recentWho names who a logged decision was about: the person, "staff"
// for a headcount change or an undo of one (no code was scanned), or
// "unknown code".
func recentWho(s recentScan) string {
	switch {
	case s.Person != nil:
		return s.Person.Name
	case s.Code == "":
		return "staff"
	}
	return "unknown code"
}

// reasons says each reason in a few words, for the strip.
var reasons = map[checkin.Reason]string{
	checkin.Admitted:           "admitted",
	checkin.ExitRecorded:       "exit recorded",
	checkin.NotInside:          "exit, was not recorded inside",
	checkin.InvalidCode:        "not a badge code",
	checkin.UnknownBadge:       "badge not on the roster",
	checkin.Revoked:            "badge revoked",
	checkin.NotEntitled:        "not allowed in here",
	checkin.AlreadyInside:      "already inside",
	checkin.AlreadyInsideAgain: "already inside, not counted again",
	checkin.RoomFull:           "room full",
	checkin.VenueFull:          "venue full",
	checkin.OutOfCapacity:      "no places left at this door",
	checkin.LogFailed:          "could not be recorded",
	checkin.KioskRevoked:       "kiosk revoked",
	checkin.ForgedBadge:        "badge not genuine",
	checkin.UnknownKey:         "badge signed with an unknown key",
	checkin.WrongEvent:         "badge for another event",
	checkin.ExpiredBadge:       "badge expired",
	checkin.NotYetValid:        "badge not valid yet",
	checkin.AdmittedManual:     "admitted by name",
	checkin.AdmittedOverride:   "admitted by staff override",
	checkin.HeadcountAdded:     "headcount +1",
	checkin.HeadcountRemoved:   "headcount −1",
	checkin.NothingToRemove:    "nothing to remove",
	checkin.Undone:             "undo of the scan before",
	checkin.NothingToUndo:      "nothing to undo",
}

// reasonWords says r in words; a reason of a newer version this screen
// does not know is shown as its code.
func reasonWords(r checkin.Reason) string {
	if s, ok := reasons[r]; ok {
		return s
	}
	return strings.ReplaceAll(string(r), "_", " ")
}

func (l *recentList) CreateRenderer() fyne.WidgetRenderer { return &recentRenderer{l: l} }

type recentRenderer struct{ l *recentList }

// Geometry of a row: the word's mark, then two lines.
const (
	recentMarkW = 56
	recentGap   = 6
)

func (l *recentList) rowHeight() float32 {
	return fyne.MeasureText("0", recentWhoSize*l.scale, fyne.TextStyle{}).Height +
		fyne.MeasureText("0", recentWhySize*l.scale, fyne.TextStyle{}).Height + recentGap*l.scale
}

// factor is how much larger than at 1024×600 the strip is drawn: as
// much as the window's narrower side grew, up to dialogMaxScale. It
// reads the window's size each time, so the strip's width (MinSize) and
// its layout always agree.
func (l *recentList) factor() float32 {
	if l.window == nil {
		return 1
	}
	s := l.window()
	return max(1, min(s.Width/1024, s.Height/600, dialogMaxScale))
}

// resize sets the texts' sizes for factor f.
func (l *recentList) resize(f float32) {
	if l.scale == f {
		return
	}
	l.scale = f
	l.today.TextSize = recentTodaySize * f
	for _, r := range l.rows {
		r.word.TextSize = recentWhySize * f
		r.who.TextSize, r.why.TextSize = recentWhoSize*f, recentWhySize*f
	}
}

func (r *recentRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.l.today}
	for _, row := range r.l.rows {
		objs = append(objs, row.mark, row.word, row.who, row.why)
	}
	return objs
}

// MinSize asks only for the counts' line: the rows take what height is
// left, so the strip never makes the window taller.
func (r *recentRenderer) MinSize() fyne.Size {
	f := r.l.factor()
	return fyne.NewSize(recentWidth*f, fyne.MeasureText("0", recentTodaySize*f, r.l.today.TextStyle).Height)
}

func (r *recentRenderer) Layout(size fyne.Size) {
	l := r.l
	l.resize(l.factor())
	l.today.Text = clip(l.todayText, l.today.TextSize, l.today.TextStyle, size.Width)
	ts := fyne.MeasureText(l.today.Text, l.today.TextSize, l.today.TextStyle)
	l.today.Move(fyne.NewPos(0, 0))
	l.today.Resize(ts)
	f := l.scale
	y := ts.Height + recentGap*f
	h := l.rowHeight()
	markW := recentMarkW * f
	textX := (recentMarkW + recentGap) * f
	l.shown = 0
	for i, row := range l.rows {
		if i >= l.n || y+h > size.Height {
			for _, o := range []fyne.CanvasObject{row.mark, row.word, row.who, row.why} {
				o.Hide()
			}
			continue
		}
		l.shown++
		lineH := h - recentGap*f
		row.mark.Move(fyne.NewPos(0, y))
		row.mark.Resize(fyne.NewSize(markW, lineH))
		ws := fyne.MeasureText(row.word.Text, row.word.TextSize, row.word.TextStyle)
		row.word.Move(fyne.NewPos((markW-ws.Width)/2, y+(lineH-ws.Height)/2))
		row.word.Resize(ws)
		width := size.Width - textX
		row.who.Text = clip(row.whoText, row.who.TextSize, row.who.TextStyle, width)
		row.why.Text = clip(row.whyText, row.why.TextSize, row.why.TextStyle, width)
		whoS := fyne.MeasureText(row.who.Text, row.who.TextSize, row.who.TextStyle)
		row.who.Move(fyne.NewPos(textX, y))
		row.who.Resize(whoS)
		row.why.Move(fyne.NewPos(textX, y+whoS.Height))
		row.why.Resize(fyne.MeasureText(row.why.Text, row.why.TextSize, row.why.TextStyle))
		for _, o := range []fyne.CanvasObject{row.mark, row.word, row.who, row.why} {
			o.Show()
		}
		y += h
	}
}

// clip cuts s to fit width at size, ending it with "…" if cut.
func clip(s string, size float32, style fyne.TextStyle, width float32) string {
	if fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && fyne.MeasureText(string(rs)+"…", size, style).Width > width {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

func (r *recentRenderer) Refresh() {
	fg := theme.Color(theme.ColorNameForeground)
	r.l.today.Color = fg
	for _, row := range r.l.rows {
		row.mark.FillColor, row.word.Color = row.tone.bg, row.tone.fg
		row.who.Color, row.why.Color = fg, fg
	}
	r.Layout(r.l.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *recentRenderer) Destroy() {}
