package app

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// panel is the result panel that fills most of the screen: a coloured
// background, an icon and a word (ADMIT, DENY, ROOM FULL, EXIT, WARN,
// READY…), the person's name and category, and the reason in plain
// words. Text sizes follow the panel's height and shrink to fit its
// width, so a long name never pushes the window wider.
type panel struct {
	widget.BaseWidget
	tone tone
	bg   *canvas.Rectangle
	icon *canvas.Image
	word *canvas.Text
	who  *canvas.Text
	// msg is the reason; message shows it, or its first half and
	// message2 the rest when one line would be too small to read.
	msg      string
	message  *canvas.Text
	message2 *canvas.Text
	// inside and left are the ready screen's big figures (fullness.go),
	// drawn at text size big; hidden on any other panel.
	inside, left *canvas.Text
	big          float32
}

func newPanel() *panel {
	p := &panel{
		bg:       canvas.NewRectangle(color.Transparent),
		icon:     canvas.NewImageFromResource(nil),
		word:     canvas.NewText("", color.White),
		who:      canvas.NewText("", color.White),
		message:  canvas.NewText("", color.White),
		message2: canvas.NewText("", color.White),
		inside:   canvas.NewText("", color.White),
		left:     canvas.NewText("", color.White),
	}
	p.inside.TextStyle.Bold, p.left.TextStyle.Bold = true, true
	p.inside.Hide()
	p.left.Hide()
	p.icon.FillMode = canvas.ImageFillContain
	p.word.TextStyle.Bold = true
	p.who.TextStyle.Bold = true
	p.bg.CornerRadius = 12
	p.ExtendBaseWidget(p)
	return p
}

// show sets the panel's tone and lines.
func (p *panel) show(t tone, who, message string) {
	p.tone = t
	p.bg.FillColor = t.bg
	p.icon.Resource = t.icon
	p.word.Text = t.word
	p.who.Text, p.msg = who, message
	for _, txt := range []*canvas.Text{p.word, p.who, p.message, p.message2} {
		txt.Color = t.fg
	}
	p.inside.Hide()
	p.left.Hide()
	p.Refresh()
}

func (p *panel) CreateRenderer() fyne.WidgetRenderer {
	return &panelRenderer{p: p}
}

type panelRenderer struct{ p *panel }

func (r *panelRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.p.bg, r.p.icon, r.p.word, r.p.who, r.p.message, r.p.message2, r.p.inside, r.p.left}
}

func (r *panelRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 200) }

func (r *panelRenderer) Layout(size fyne.Size) {
	p := r.p
	p.bg.Resize(size)
	p.bg.Move(fyne.NewPos(0, 0))
	pad := size.Width * 0.04
	avail := size.Width - 2*pad
	// The big figures take the bottom; the rest is laid out above them,
	// larger in the smaller room.
	grow := float32(1)
	if h := p.layoutBig(size); h > 0 {
		size.Height -= h
		grow = 1.3
	}

	// Heights as shares of the panel: the word dominates, then the name.
	wordSize := fit(p.word, min(size.Height*0.26*grow, 140), avail*0.75)
	iconSide := wordSize * 1.1
	whoSize := fit(p.who, min(size.Height*0.12*grow, 64), avail)
	msgSize, lines := p.fitMessage(min(size.Height*0.075*grow, 40), avail)

	total := iconSide + whoSize*1.4 + msgSize*1.4*float32(lines) + size.Height*0.06
	y := (size.Height - total) / 2

	wordW := fyne.MeasureText(p.word.Text, wordSize, p.word.TextStyle).Width
	rowW := iconSide + pad/2 + wordW
	x := (size.Width - rowW) / 2
	p.icon.Resize(fyne.NewSquareSize(iconSide))
	p.icon.Move(fyne.NewPos(x, y))
	wordH := fyne.MeasureText(p.word.Text, wordSize, p.word.TextStyle).Height
	p.word.Move(fyne.NewPos(x+iconSide+pad/2, y+(iconSide-wordH)/2))
	p.word.Resize(fyne.NewSize(wordW, wordH))
	y += iconSide + size.Height*0.06

	for _, t := range []*canvas.Text{p.who, p.message, p.message2} {
		if !t.Visible() {
			continue
		}
		s := fyne.MeasureText(t.Text, t.TextSize, t.TextStyle)
		t.Move(fyne.NewPos((size.Width-s.Width)/2, y))
		t.Resize(s)
		y += t.TextSize * 1.4
	}
}

// fitMessage sets the reason at want, or smaller to fit width; when one
// line would shrink below two thirds of want (a long reason, such as why
// a badge was not printed), it takes two lines, broken at the space that
// makes them most even. It returns the size and the number of lines.
func (p *panel) fitMessage(want, width float32) (float32, int) {
	p.message.Text, p.message2.Text = p.msg, ""
	p.message2.Hide()
	size := fit(p.message, want, width)
	if size >= want*2/3 || !strings.Contains(p.msg, " ") {
		return size, 1
	}
	p.message2.Show()
	best, bestW := -1, float32(0)
	for i, r := range p.msg {
		if r != ' ' {
			continue
		}
		w := max(fyne.MeasureText(p.msg[:i], want, p.message.TextStyle).Width,
			fyne.MeasureText(p.msg[i+1:], want, p.message.TextStyle).Width)
		if best < 0 || w < bestW {
			best, bestW = i, w
		}
	}
	p.message.Text, p.message2.Text = p.msg[:best], p.msg[best+1:]
	size = min(fit(p.message, want, width), fit(p.message2, want, width))
	p.message.TextSize, p.message2.TextSize = size, size
	return size, 2
}

// fit sets t's size to want, or smaller so it fits width, and returns it.
func fit(t *canvas.Text, want, width float32) float32 {
	size := want
	if w := fyne.MeasureText(t.Text, size, t.TextStyle).Width; w > width && w > 0 {
		size = size * width / w
	}
	if size < 10 {
		size = 10
	}
	if t.TextSize != size {
		t.TextSize = size
		t.Refresh()
	}
	return size
}

func (r *panelRenderer) Refresh() {
	r.Layout(r.p.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *panelRenderer) Destroy() {}
