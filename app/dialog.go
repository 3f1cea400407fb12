package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
)

// The screens that take the result panel's place (PIN, staff menu,
// reasons, questions, door list, name search) are dialogs: drawn in a
// theme whose sizes grow with the window, so staff read them at
// 1920×1080 from as far as at 1024×600, the smallest display the kiosk
// supports.
const (
	// dialogRefW and dialogRefH: the room the dialogs have at 1024×600
	// (the result panel's size there). They are drawn at the theme's
	// sizes in that much room, and in more room larger by as much as the
	// narrower of its width and height grew, so what fits at 1024×600
	// fits everywhere.
	dialogRefW = 1008
	dialogRefH = 431
	// dialogMaxScale: beyond this text is large enough to read at any
	// door, and longer lines (a long name in a reason's prompt) keep
	// fitting.
	dialogMaxScale = 1.8
	// dialogWidth: the narrowest a dialog's column is drawn (at scale 1),
	// so a wrapping line such as the PIN prompt's keeps its words on one
	// line instead of becoming a column one word wide.
	dialogWidth = 560
)

// dialog makes the box of a view in front of the result panel, hidden
// until shown. It is drawn in the dialogs' scaled theme once the views
// are put together (dialogBoxes).
func (k *Kiosk) dialog(content fyne.CanvasObject) *fyne.Container {
	box := container.NewStack(content)
	box.Hide()
	return box
}

// dialogBoxes puts the boxes of the views in front of the result panel
// under one theme override, the dialogs' scaled theme, in a container
// shown while one of them is. One override is one theme scope: Fyne
// parses the fonts again for every scope it draws text in (the text
// font and its emoji fallback, about 5 MB for each style) and keeps them
// until the theme changes, so an override for each dialog grew the kiosk
// by some 10 MB at each one's first opening (memory_test.go).
func (k *Kiosk) dialogBoxes(boxes ...fyne.CanvasObject) *fyne.Container {
	k.scaled = container.NewThemeOverride(container.NewStack(boxes...), k.scale)
	c := container.NewStack(k.scaled)
	c.Hide()
	return c
}

// column lays objs out one under the other, centred, at least
// dialogWidth wide.
func (k *Kiosk) column(objs ...fyne.CanvasObject) fyne.CanvasObject {
	return container.NewCenter(container.New(&columnLayout{scale: k.scale}, objs...))
}

// rescale sets the dialogs' scale for views of size.
func (k *Kiosk) rescale(size fyne.Size) {
	f := min(size.Width/dialogRefW, size.Height/dialogRefH, dialogMaxScale)
	f = max(f, 1)
	if d := f - k.scale.factor; d > -0.01 && d < 0.01 {
		return
	}
	k.scale.factor = f
	k.scaled.Refresh()
}

// viewsLayout stacks the result panel and the views that take its place
// (one shows at a time), and scales the dialogs to the room they have.
type viewsLayout struct{ k *Kiosk }

func (l viewsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.k.rescale(size)
	l.k.panel.setBig(l.k.win.Canvas().Size().Height)
	layout.NewStackLayout().Layout(objs, size)
}

func (l viewsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return layout.NewStackLayout().MinSize(objs)
}

// columnLayout is a VBox at least dialogWidth (scaled) wide.
type columnLayout struct{ scale *scaledTheme }

func (c *columnLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	layout.NewVBoxLayout().Layout(objs, size)
}

func (c *columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := layout.NewVBoxLayout().MinSize(objs)
	s.Width = max(s.Width, dialogWidth*c.scale.factor)
	return s
}
