package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// The widgets of the screens in front of the scan view. Any of them may
// have the focus when the next person's badge is scanned, since a USB
// scanner types into whatever has it: each one times its keys (burst)
// and hands a scan to Kiosk.scanned instead of taking it as a PIN, a
// reason, a search or a menu choice. Each key also counts as staff
// input (Kiosk.touch), which keeps the screen open.

// isEnter reports whether k ends a line.
func isEnter(k *fyne.KeyEvent) bool { return k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter }

// keyEntry is an entry that hands some keys to the screen before it
// treats them as typing: function keys, Escape, and arrows for lists.
// USB scanners type the code and Enter into it like a fast keyboard.
//
// In a screen in front of the scan view (built with Kiosk.newField) a
// scan typed into it is handed on: the field's text goes back to what
// it was before the scan's first key, and Enter does not submit it. A
// paste is one event, not a run of keys: it is typing.
type keyEntry struct {
	widget.Entry
	onKey   func(*fyne.KeyEvent) bool // true: handled, the entry ignores it
	onScan  func(code string)         // nil for the scanner input itself
	onInput func()
	keys    burst
	before  string // the text before the current run of keys
}

// newKeyEntry makes the scanner input: whatever is typed into it is a
// code.
func newKeyEntry(onKey func(*fyne.KeyEvent) bool) *keyEntry {
	e := &keyEntry{onKey: onKey}
	e.ExtendBaseWidget(e)
	return e
}

// newField makes a field of a screen in front of the scan view.
func (k *Kiosk) newField(onKey func(*fyne.KeyEvent) bool) *keyEntry {
	e := newKeyEntry(onKey)
	e.onScan, e.onInput, e.keys.now = k.scanned, k.touch, k.now
	return e
}

func (e *keyEntry) TypedRune(r rune) {
	if e.onScan != nil {
		if e.keys.key(r) {
			e.before = e.Text
		}
		e.onInput()
	}
	e.Entry.TypedRune(r)
}

func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	if e.onScan != nil {
		if isEnter(k) {
			if code, scan := e.keys.enter(); scan {
				e.SetText(e.before)
				e.onScan(code)
				return
			}
		}
		e.onInput()
	}
	if e.onKey != nil && e.onKey(k) {
		return
	}
	e.Entry.TypedKey(k)
}

func (e *keyEntry) TypedShortcut(s fyne.Shortcut) {
	if e.onScan != nil {
		e.keys.reset()
		e.onInput()
	}
	e.Entry.TypedShortcut(s)
}

func (e *keyEntry) FocusLost() {
	e.keys.reset()
	e.Entry.FocusLost()
}

// hotkeys is an invisible focusable widget for menu views: staff type an
// item's digit and Enter; Escape leaves. Keys are gathered until Enter
// because a badge scanned while a menu is open arrives as keys too, and
// its digits must not pick items: a single key is a menu choice, a scan
// or a line as long as a badge code is a badge (keyLine.end). Tab still
// reaches the view's buttons.
type hotkeys struct {
	widget.BaseWidget
	line    keyLine
	onLine  func(string) // a single key, or "" for Enter alone
	onKey   func(*fyne.KeyEvent)
	onScan  func(string)
	onInput func()
}

func (k *Kiosk) newHotkeys(onLine func(string), onKey func(*fyne.KeyEvent)) *hotkeys {
	h := &hotkeys{onLine: onLine, onKey: onKey, onScan: k.scanned, onInput: k.touch}
	h.line.keys.now = k.now
	h.ExtendBaseWidget(h)
	return h
}

func (h *hotkeys) CreateRenderer() fyne.WidgetRenderer {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(0, 0))
	return widget.NewSimpleRenderer(r)
}

func (h *hotkeys) FocusGained() {}
func (h *hotkeys) FocusLost()   { h.line.reset() }

func (h *hotkeys) TypedRune(r rune) {
	h.line.add(r)
	h.onInput()
}

func (h *hotkeys) TypedKey(k *fyne.KeyEvent) {
	switch {
	case isEnter(k):
		line, code := h.line.end()
		if code {
			h.onScan(line)
			return
		}
		h.onInput()
		h.onLine(line)
	case k.Name == fyne.KeyBackspace:
		h.line.reset()
		h.onInput()
	default:
		h.onInput()
		h.onKey(k)
	}
}

// catcher gives a widget that takes no text (a button, a list) the
// staff screens' handling of keys: a scan typed into it is handed on,
// where the plain widget would drop it.
type catcher struct {
	line    keyLine
	onScan  func(string)
	onInput func()
}

func (k *Kiosk) catcher() catcher {
	return catcher{line: keyLine{keys: burst{now: k.now}}, onScan: k.scanned, onInput: k.touch}
}

func (c *catcher) typedRune(r rune) {
	c.line.add(r)
	c.onInput()
}

// typedKey reports whether it took the key: the Enter after a code.
func (c *catcher) typedKey(k *fyne.KeyEvent) bool {
	if isEnter(k) {
		if line, code := c.line.end(); code {
			c.onScan(line)
			return true
		}
	}
	c.onInput()
	return false
}

// keyButton is a button of a staff screen; Space taps it.
type keyButton struct {
	widget.Button
	keys catcher
}

func (k *Kiosk) newButton(label string, tapped func()) *keyButton {
	b := &keyButton{keys: k.catcher()}
	b.Text, b.OnTapped = label, tapped
	b.ExtendBaseWidget(b)
	return b
}

func (b *keyButton) TypedRune(r rune) { b.keys.typedRune(r) }

func (b *keyButton) TypedKey(k *fyne.KeyEvent) {
	if !b.keys.typedKey(k) {
		b.Button.TypedKey(k)
	}
}

func (b *keyButton) FocusLost() {
	b.keys.line.reset()
	b.Button.FocusLost()
}

// keyList is the name search's list of matches.
type keyList struct {
	widget.List
	keys catcher
}

func (k *Kiosk) newList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *keyList {
	l := &keyList{keys: k.catcher()}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

func (l *keyList) TypedRune(r rune) { l.keys.typedRune(r) }

func (l *keyList) TypedKey(k *fyne.KeyEvent) {
	if !l.keys.typedKey(k) {
		l.List.TypedKey(k)
	}
}

func (l *keyList) FocusLost() {
	l.keys.line.reset()
	l.List.FocusLost()
}
