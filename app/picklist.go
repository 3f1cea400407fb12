package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// pickList is the rows of a staff list, one button each: a row's number
// and Enter, or the arrows and Enter, pick it; Esc goes back to the
// staff menu. The doors to move to and the recent scans are such lists.
type pickList struct {
	keys     *hotkeys
	scroll   *container.Scroll
	buttons  []*keyButton
	rows     int // the buttons in use, from the first
	selected int
}

// newPickList makes a list of n buttons, all in use. number turns a
// typed line into the row it names; pick acts on a row.
func (k *Kiosk) newPickList(n int, number func(line string) (int, bool), pick func(i int)) *pickList {
	l := &pickList{rows: n}
	list := container.NewVBox()
	for i := range n {
		b := k.newButton("", func() { pick(i) })
		b.Alignment = widget.ButtonAlignLeading
		l.buttons = append(l.buttons, b)
		list.Add(b)
	}
	l.keys = k.newHotkeys(func(line string) {
		if line == "" {
			pick(l.selected)
			return
		}
		if i, ok := number(line); ok && i < l.rows {
			pick(i)
		}
	}, func(e *fyne.KeyEvent) {
		switch e.Name {
		case fyne.KeyEscape:
			k.staff.open()
		case fyne.KeyDown:
			l.selectRow(min(l.selected+1, l.rows-1))
		case fyne.KeyUp:
			l.selectRow(max(l.selected-1, 0))
		}
	})
	l.scroll = container.NewVScroll(list)
	return l
}

// selectRow marks the i-th row as the one Enter picks, scrolled into
// view; a row not in use is ignored.
func (l *pickList) selectRow(i int) {
	if i < 0 || i >= l.rows {
		return
	}
	l.selected = i
	for j, b := range l.buttons {
		imp := widget.MediumImportance
		if j == i {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
	b, off := l.buttons[i], l.scroll.Offset
	switch top, bottom := b.Position().Y, b.Position().Y+b.Size().Height; {
	case top < off.Y:
		off.Y = top
	case bottom > off.Y+l.scroll.Size().Height:
		off.Y = bottom - l.scroll.Size().Height
	default:
		return
	}
	l.scroll.ScrollToOffset(off)
}

// listDialog is a staff list's dialog: a heading, a hint on how to pick,
// a status line (for why a row cannot be acted on), and the list showing
// shown rows before it scrolls.
func (k *Kiosk) listDialog(l *pickList, heading, hint string, shown int) (*fyne.Container, *widget.Label) {
	title := widget.NewLabel(heading)
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameHeadingText
	how := widget.NewLabel(hint)
	how.Wrapping = fyne.TextWrapWord
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	return k.dialog(k.column(title, how, status, l.keys, l.shown(shown))), status
}

// shown is the list's scroll at the height of its first n rows that
// are in use (one at least): more scroll.
func (l *pickList) shown(n int) fyne.CanvasObject {
	return container.New(pickLayout{l, n}, l.scroll)
}

type pickLayout struct {
	l *pickList
	n int
}

func (p pickLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	layout.NewStackLayout().Layout(objs, size)
}

func (p pickLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	var h float32
	for _, b := range p.l.buttons[:max(1, min(p.n, p.l.rows, len(p.l.buttons)))] {
		h += b.MinSize().Height + theme.Padding()
	}
	return fyne.NewSize(p.l.scroll.Content.MinSize().Width, h-theme.Padding())
}

// short cuts s to at most n characters, ending it with "…" if cut: a
// list row or a menu item never widens the screen for a long name.
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
