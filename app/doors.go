package app

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// doorsShown: how many doors the list shows at once; more scroll. Six
// fit at 1024×600 under a room's and the venue's gauges.
const doorsShown = 6

// doorsView lists the event's doors for a standalone kiosk to move to:
// a door's number and Enter, or the arrows and Enter, pick it; Esc goes
// back to the staff menu with the door unchanged. Doors past the ninth
// have no number and are reached with the arrows.
type doorsView struct {
	k        *Kiosk
	box      *fyne.Container
	keys     *hotkeys
	scroll   *container.Scroll
	buttons  []*keyButton
	selected int
}

func newDoorsView(k *Kiosk) *doorsView {
	v := &doorsView{k: k}
	title := widget.NewLabel("Change door")
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameHeadingText
	hint := widget.NewLabel("Number + Enter, or ↑↓ and Enter, picks the door. Esc goes back.")
	hint.Wrapping = fyne.TextWrapWord
	list := container.NewVBox()
	for i := range k.ev.Doors {
		b := k.newButton("", func() { v.pick(i) })
		b.Alignment = widget.ButtonAlignLeading
		v.buttons = append(v.buttons, b)
		list.Add(b)
	}
	v.keys = k.newHotkeys(func(line string) {
		if line == "" {
			v.pick(v.selected)
			return
		}
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= min(9, len(v.buttons)) {
			v.pick(n - 1)
		}
	}, func(e *fyne.KeyEvent) {
		switch e.Name {
		case fyne.KeyEscape:
			k.staff.open()
		case fyne.KeyDown:
			v.selectDoor(min(v.selected+1, len(v.buttons)-1))
		case fyne.KeyUp:
			v.selectDoor(max(v.selected-1, 0))
		}
	})
	v.scroll = container.NewVScroll(list)
	v.box = k.dialog(k.column(title, hint, v.keys, container.New(doorsLayout{v}, v.scroll)))
	return v
}

// open shows the doors with the kiosk's own selected.
func (v *doorsView) open() {
	k := v.k
	for i, d := range k.ev.Doors {
		key := "    "
		if i < 9 {
			key = fmt.Sprintf("%d   ", i+1)
		}
		text := key + d.Name + " → " + k.ev.Space(d.To).Name
		if d.ID == k.door.ID {
			text += " (this door)"
			v.selected = i
		}
		v.buttons[i].SetText(text)
	}
	k.show(v.box)
	v.selectDoor(v.selected) // laid out now, so it scrolls to the right place
	k.viewAt = k.Now()
	k.win.Canvas().Focus(v.keys)
}

// selectDoor marks the i-th door as the one Enter picks, scrolled into
// view.
func (v *doorsView) selectDoor(i int) {
	v.selected = i
	for j, b := range v.buttons {
		imp := widget.MediumImportance
		if j == i {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
	b, off := v.buttons[i], v.scroll.Offset
	switch top, bottom := b.Position().Y, b.Position().Y+b.Size().Height; {
	case top < off.Y:
		off.Y = top
	case bottom > off.Y+v.scroll.Size().Height:
		off.Y = bottom - v.scroll.Size().Height
	default:
		return
	}
	v.scroll.ScrollToOffset(off)
}

// doorsLayout gives the scrolled list the height of its first
// doorsShown doors.
type doorsLayout struct{ v *doorsView }

func (l doorsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	layout.NewStackLayout().Layout(objs, size)
}

func (l doorsLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	var h float32
	for _, b := range l.v.buttons[:min(doorsShown, len(l.v.buttons))] {
		h += b.MinSize().Height + theme.Padding()
	}
	return fyne.NewSize(l.v.scroll.Content.MinSize().Width, h-theme.Padding())
}

// pick moves the kiosk to the i-th door and goes back to the menu.
func (v *doorsView) pick(i int) {
	v.k.moveTo(v.k.ev.Doors[i].ID)
	v.k.staff.open()
}
