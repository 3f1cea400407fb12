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

// hotkeys is an invisible focusable widget for menu views: a digit picks
// an item, Escape leaves. Tab still reaches the view's buttons.
type hotkeys struct {
	widget.BaseWidget
	onRune func(rune)
	onKey  func(*fyne.KeyEvent)
}

func newHotkeys(onRune func(rune), onKey func(*fyne.KeyEvent)) *hotkeys {
	h := &hotkeys{onRune: onRune, onKey: onKey}
	h.ExtendBaseWidget(h)
	return h
}

func (h *hotkeys) CreateRenderer() fyne.WidgetRenderer {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(0, 0))
	return widget.NewSimpleRenderer(r)
}

func (h *hotkeys) FocusGained()              {}
func (h *hotkeys) FocusLost()                {}
func (h *hotkeys) TypedRune(r rune)          { h.onRune(r) }
func (h *hotkeys) TypedKey(k *fyne.KeyEvent) { h.onKey(k) }
