package app

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"usher/checkin"
)

// printerRows bounds the printer list: four printers, each with both
// media. A door has one or two printers near it.
const printerRows = 8

// printerView lets staff choose this door's printer and media among
// those CUPS knows; a machine without CUPS says why instead.
type printerView struct {
	k      *Kiosk
	box    *fyne.Container
	status *widget.Label
	*pickList
	choices []PrintTo
}

func newPrinterView(k *Kiosk) *printerView {
	v := &printerView{k: k}
	v.pickList = k.newPickList(printerRows, func(line string) (int, bool) {
		n, err := strconv.Atoi(line)
		return n - 1, err == nil && n >= 1 && n <= printerRows
	}, v.pick)
	v.box, v.status = k.listDialog(v.pickList, "Printer for badges",
		"Number + Enter, or ↑↓ and Enter, picks a printer and media. Esc goes back.", printerRows)
	return v
}

// choosePrinter lists the printers, this door's choice selected.
func (k *Kiosk) choosePrinter() {
	v := k.printers
	ctx, cancel := context.WithTimeout(k.ctx, 5*time.Second)
	defer cancel()
	names, def, err := k.opts.Printer.Printers(ctx)
	v.choices = v.choices[:0]
	if err == nil && len(names) == 0 {
		err = checkin.Errorf(checkin.ENOTFOUND, "CUPS has no printer: add the badge printer first (lpadmin, or the desktop's printer settings)")
	}
	if err != nil {
		v.status.SetText("Cannot print here: " + checkin.ErrorMessage(err))
	} else {
		v.status.SetText("")
	}
	cur := k.printTo()
	v.selected = 0
	for _, q := range names {
		for _, m := range []string{checkin.MediaLabel, checkin.MediaA6} {
			if len(v.choices) == printerRows {
				break
			}
			if (PrintTo{q, m}) == cur || (cur.Queue == "" && q == def && m == cur.Media) {
				v.selected = len(v.choices)
			}
			v.choices = append(v.choices, PrintTo{q, m})
		}
	}
	v.rows = len(v.choices)
	for i, b := range v.buttons {
		if i >= len(v.choices) {
			b.Hide()
			continue
		}
		c := v.choices[i]
		text := fmt.Sprintf("%d   %s · %s", i+1, c.Queue, mediaName(c.Media))
		if c.Queue == def {
			text += " (the machine's default printer)"
		}
		b.SetText(text)
		b.Show()
	}
	k.show(v.box)
	v.selectRow(v.selected)
	k.viewAt = k.Now()
	k.win.Canvas().Focus(v.keys)
}

// pick keeps the i-th printer and media for this door.
func (v *printerView) pick(i int) {
	if i < 0 || i >= len(v.choices) {
		return
	}
	k, c := v.k, v.choices[i]
	k.save(settingPrinter, c.Queue)
	k.save(settingMedia, c.Media)
	k.staff.open()
}
