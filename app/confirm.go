package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// confirmView asks staff before a staff action that a stray key must
// not set off (Quit, Undo): Enter alone does it, Esc goes back to the
// staff menu. A typed line is no yes, and a scan is a scan.
type confirmView struct {
	k      *Kiosk
	box    *fyne.Container
	title  *widget.Label
	detail *widget.Label
	keys   *hotkeys
	yes    *keyButton
	run    func()
}

func newConfirmView(k *Kiosk) *confirmView {
	v := &confirmView{k: k, title: widget.NewLabel(""), detail: widget.NewLabel("")}
	v.title.TextStyle.Bold = true
	v.title.SizeName = theme.SizeNameHeadingText
	v.title.Wrapping = fyne.TextWrapWord // a long name in the question
	v.detail.Wrapping = fyne.TextWrapWord
	v.keys = k.newHotkeys(func(line string) {
		if line == "" {
			v.confirm()
		}
	}, func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyEscape {
			k.staff.open()
		}
	})
	v.yes = k.newButton("", v.confirm)
	v.yes.Importance = widget.HighImportance
	back := k.newButton("Back (Esc)", func() { k.staff.open() })
	v.box = k.dialog(k.column(v.title, v.detail, v.keys, container.NewHBox(v.yes, back)))
	return v
}

// open asks title, with detail under it; yes names the action on its
// button, and run does it.
func (v *confirmView) open(title, detail, yes string, run func()) {
	v.title.SetText(title)
	v.detail.SetText(detail)
	v.yes.SetText(yes + " (Enter)")
	v.run = run
	v.k.show(v.box)
	v.k.viewAt = v.k.Now()
	v.k.win.Canvas().Focus(v.keys)
}

func (v *confirmView) confirm() {
	run := v.run
	v.run = nil // once
	if run != nil {
		run()
	}
}
