package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// keyEntry is an entry that hands some keys to the screen before it
// treats them as typing: function keys, Escape, and arrows for lists.
// USB scanners type the code and Enter into it like a fast keyboard.
type keyEntry struct {
	widget.Entry
	onKey func(*fyne.KeyEvent) bool // true: handled, the entry ignores it
}

func newKeyEntry(onKey func(*fyne.KeyEvent) bool) *keyEntry {
	e := &keyEntry{onKey: onKey}
	e.ExtendBaseWidget(e)
	return e
}

func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	if e.onKey != nil && e.onKey(k) {
		return
	}
	e.Entry.TypedKey(k)
}

// hotkeys is an invisible focusable widget for menu views: staff type an
// item's digit and Enter; Escape leaves. Keys are gathered until Enter
// because a badge scanned while a menu is open arrives as keys too, and
// its digits must not pick items: a single digit is a menu choice, a
// longer line is a badge code. Tab still reaches the view's buttons.
type hotkeys struct {
	widget.BaseWidget
	typed  []rune
	onLine func(string)
	onKey  func(*fyne.KeyEvent)
}

func newHotkeys(onLine func(string), onKey func(*fyne.KeyEvent)) *hotkeys {
	h := &hotkeys{onLine: onLine, onKey: onKey}
	h.ExtendBaseWidget(h)
	return h
}

func (h *hotkeys) CreateRenderer() fyne.WidgetRenderer {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(0, 0))
	return widget.NewSimpleRenderer(r)
}

func (h *hotkeys) FocusGained()     {}
func (h *hotkeys) FocusLost()       { h.typed = h.typed[:0] }
func (h *hotkeys) TypedRune(r rune) { h.typed = append(h.typed, r) }

func (h *hotkeys) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		line := string(h.typed)
		h.typed = h.typed[:0]
		h.onLine(line)
	case fyne.KeyBackspace:
		if len(h.typed) > 0 {
			h.typed = h.typed[:len(h.typed)-1]
		}
	default:
		h.onKey(k)
	}
}
