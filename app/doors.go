package app

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
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
	k   *Kiosk
	box *fyne.Container
	*pickList
}

func newDoorsView(k *Kiosk) *doorsView {
	v := &doorsView{k: k}
	title := widget.NewLabel("Change door")
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameHeadingText
	hint := widget.NewLabel("Number + Enter, or ↑↓ and Enter, picks the door. Esc goes back.")
	hint.Wrapping = fyne.TextWrapWord
	v.pickList = k.newPickList(len(k.ev.Doors), func(line string) (int, bool) {
		n, err := strconv.Atoi(line)
		return n - 1, err == nil && n >= 1 && n <= 9
	}, v.pick)
	v.box = k.dialog(k.column(title, hint, v.keys, v.shown(doorsShown)))
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
	v.selectRow(v.selected) // laid out now, so it scrolls to the right place
	k.viewAt = k.Now()
	k.win.Canvas().Focus(v.keys)
}

// pick moves the kiosk to the i-th door and goes back to the menu.
func (v *doorsView) pick(i int) {
	v.k.moveTo(v.k.ev.Doors[i].ID)
	v.k.staff.open()
}
