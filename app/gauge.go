package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// gauge shows one space's occupancy: its name, "212 / 300", and a bar
// that turns amber near the cap and red at it.
type gauge struct {
	widget.BaseWidget
	space    string
	capacity int
	n        int
	name     *canvas.Text
	count    *canvas.Text
	track    *canvas.Rectangle
	fill     *canvas.Rectangle
}

func newGauge(space, name string, capacity int) *gauge {
	fg := theme.Color(theme.ColorNameForeground)
	g := &gauge{
		space:    space,
		capacity: capacity,
		name:     canvas.NewText(name, fg),
		count:    canvas.NewText("", fg),
		track:    canvas.NewRectangle(gaugeTrack),
		fill:     canvas.NewRectangle(gaugeOK),
	}
	g.name.TextSize, g.count.TextSize = 22, 22
	g.count.TextStyle.Bold = true
	g.count.TextStyle.Monospace = true
	g.track.CornerRadius, g.fill.CornerRadius = 4, 4
	g.ExtendBaseWidget(g)
	g.set(0)
	return g
}

// set shows n people inside.
func (g *gauge) set(n int) {
	g.n = n
	g.count.Text = fmt.Sprintf("%d / %d", n, g.capacity)
	g.fill.FillColor = gaugeColor(n, g.capacity)
	g.Refresh()
}

func (g *gauge) CreateRenderer() fyne.WidgetRenderer { return &gaugeRenderer{g: g} }

type gaugeRenderer struct{ g *gauge }

const gaugeBar = 14

func (r *gaugeRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.g.name, r.g.count, r.g.track, r.g.fill}
}

func (r *gaugeRenderer) MinSize() fyne.Size {
	h := fyne.MeasureText("0", r.g.name.TextSize, r.g.name.TextStyle).Height
	return fyne.NewSize(200, h+gaugeBar+4)
}

func (r *gaugeRenderer) Layout(size fyne.Size) {
	g := r.g
	ns := fyne.MeasureText(g.name.Text, g.name.TextSize, g.name.TextStyle)
	cs := fyne.MeasureText(g.count.Text, g.count.TextSize, g.count.TextStyle)
	g.name.Move(fyne.NewPos(0, 0))
	g.name.Resize(ns)
	g.count.Move(fyne.NewPos(size.Width-cs.Width, 0))
	g.count.Resize(cs)
	y := max(ns.Height, cs.Height) + 4
	g.track.Move(fyne.NewPos(0, y))
	g.track.Resize(fyne.NewSize(size.Width, gaugeBar))
	share := float32(0)
	if g.capacity > 0 {
		share = min(float32(g.n)/float32(g.capacity), 1)
	}
	g.fill.Move(fyne.NewPos(0, y))
	g.fill.Resize(fyne.NewSize(size.Width*share, gaugeBar))
}

func (r *gaugeRenderer) Refresh() {
	fg := theme.Color(theme.ColorNameForeground)
	r.g.name.Color, r.g.count.Color = fg, fg
	r.Layout(r.g.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *gaugeRenderer) Destroy() {}
