package app

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"usher/checkin"
)

// pickView lists the door's recent decisions, as the strip does, for
// staff to act on one: a row's number (0 for the tenth) and Enter, or
// the arrows and Enter, pick it; Esc goes back to the staff menu. The
// newest decision, still within undoWindow, can be undone (after the
// same question as the menu's Undo); a denial staff may override
// (Reason.Overridable) of a known person can be overridden, with a
// reason. For any other row the view says why nothing can be done.
type pickView struct {
	k      *Kiosk
	box    *fyne.Container
	status *widget.Label
	scans  []recentScan
	*pickList
}

// recentShown is how many recent scans the staff list shows at once; the
// rest scroll. Six fit a 1024×600 screen under two gauges.
const recentShown = 6

func newPickView(k *Kiosk) *pickView {
	v := &pickView{k: k}
	v.pickList = k.newPickList(recentRows, func(line string) (int, bool) {
		n, err := strconv.Atoi(line)
		if n == 0 {
			n = 10
		}
		return n - 1, err == nil && len(line) == 1
	}, v.pick)
	v.box, v.status = k.listDialog(v.pickList, "Recent scans at this door",
		"Number + Enter, or ↑↓ and Enter, picks a scan. Esc goes back.", recentShown)
	return v
}

// open reads the door's last decisions from the log, newest first, and
// lists them with the newest selected.
func (v *pickView) open() {
	k := v.k
	scans, err := k.b.Recent(k.ctx, k.door.ID, recentRows)
	if err != nil {
		k.showError(err)
		return
	}
	v.scans, v.rows = scans, len(scans)
	for i, b := range v.buttons {
		if i >= len(scans) {
			b.Hide()
			continue
		}
		s := scans[i]
		text := fmt.Sprintf("%d   %s  %s · %s · %s", (i+1)%10, s.At.Local().Format("15:04:05"),
			short(recentWho(s), 32), recentTone(s).word, reasonWords(s.Reason))
		if s.Undone {
			text += " · undone"
		}
		b.SetText(text)
		b.Show()
	}
	if len(scans) == 0 {
		v.status.SetText("No scans at this door yet.")
	} else {
		v.status.SetText("")
	}
	k.show(v.box)
	v.selectRow(0)
	k.viewAt = k.Now()
	k.win.Canvas().Focus(v.keys)
}

// pick acts on the i-th row: an override of a denial staff may
// override, an undo of the newest decision, or the reason why neither
// can be done, said in the view.
func (v *pickView) pick(i int) {
	k := v.k
	if i < 0 || i >= len(v.scans) {
		return
	}
	v.selectRow(i)
	k.viewAt = k.Now()
	s := v.scans[i]
	switch {
	case s.Kind == checkin.Deny && s.Reason.Overridable() && s.Person != nil:
		// The row names the person, not the code scanned: by name.
		k.override(checkin.Scan{Door: k.door.ID, Direction: checkin.Entry, Method: checkin.ByName, PersonID: s.Person.ID}, s.Person.Name)
	case s.Kind == checkin.Deny && s.Reason.Overridable():
		v.status.SetText("This code names nobody on the roster: there is nobody to override for.")
	case s.Reason.ForCapacity():
		v.status.SetText("A capacity denial cannot be overridden: the space is full.")
	case i != 0:
		v.status.SetText("Only the last scan at this door can be undone.")
	case s.Undone || s.Kind == checkin.Undo:
		v.status.SetText("This scan was already undone, or is itself an undo.")
	case k.Now().Sub(s.At) > undoWindow:
		v.status.SetText(fmt.Sprintf("Only a scan less than %d minutes old can be undone.", int(undoWindow.Minutes())))
	case s.Kind == checkin.Deny:
		v.status.SetText("This denial let nobody in: there is nothing to undo.")
	default:
		r := record{door: k.door.ID, at: s.At, d: checkin.Decision{Kind: s.Kind, Reason: s.Reason, Person: s.Person}}
		k.confirm.open("Undo the last scan?", r.String(), "Undo", k.undo)
	}
}
