package app

import (
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// Opening and closing a dialog, and scanning, at a door for a day must
// not grow the kiosk. Fyne keeps the fonts it parsed for every theme
// scope until the theme changes, and refreshing a theme override starts
// a new scope: when each dialog shown refreshed its override, and each
// line of the search list was an override of its own, every search and
// every dialog parsed the fonts again, and a kiosk grew by gigabytes
// over 1,000 scans and 50 searches.
func TestDialogsDoNotGrowTheKiosk(t *testing.T) {
	h := MustKiosk(t, Options{})
	round := func() {
		h.key(fyne.KeyF3)
		h.typeText("ovela")
		h.w.Canvas().Capture() // drawn, as a screen draws it
		h.key(fyne.KeyEscape)
		h.scan(ada.Code)
		h.w.Canvas().Capture()
		h.advance(holdGood * 2)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range 3 {
		round() // fonts and caches of the first use
	}
	before := heap()
	const rounds = 40
	for range rounds {
		round()
	}
	grown := int64(heap()) - int64(before)
	// A parse of the fonts is megabytes; a round that keeps nothing
	// leaves a few kilobytes (the scan's log line, the recent strip).
	if grown > 4<<20 {
		t.Errorf("%d searches and scans grew the heap by %.1f MB, want it flat (under 4 MB)", rounds, float64(grown)/(1<<20))
	}
}

// The search list's lines take the dialogs' scaled theme from the list,
// as the overrides each line carried did.
func TestSearchLinesScaled(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.w.Resize(fyne.NewSize(1920, 1080))
	h.key(fyne.KeyF3)
	h.typeText("ovela")
	h.w.Canvas().Capture()
	if h.k.scale.factor < 1.3 {
		t.Fatalf("dialog scale %.2f at 1920×1080, want at least 1.3", h.k.scale.factor)
	}
	want := h.k.scale.Size(theme.SizeNameText)
	var found []*canvas.Text
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *canvas.Text:
			if v.Text == h.k.search.line(0) {
				found = append(found, v)
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
			return
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(h.k.search.list)
	if len(found) != 1 {
		t.Fatalf("%d lines reading %q in the list, want 1", len(found), h.k.search.line(0))
	}
	if got := found[0].TextSize; got != want {
		t.Errorf("a search line's text size %.1f, want the dialogs' %.1f", got, want)
	}
}

// The dialogs share one theme scope. Fyne parses the fonts again for
// every scope it draws text in (the text font and its emoji fallback,
// about 5 MB for each style), and keeps them until the theme changes:
// when each dialog was an override of its own, the first opening of the
// PIN prompt, the staff menu and each other dialog grew the kiosk by
// some 10 MB, up to about 90 MB once staff had used them all.
func TestDialogsShareFonts(t *testing.T) {
	h := MustKiosk(t, Options{})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	h.key(fyne.KeyF3)
	h.typeText("ovela")
	h.w.Canvas().Capture() // the dialogs' fonts, parsed once
	h.key(fyne.KeyEscape)
	h.w.Canvas().Capture()
	before := heap()
	h.key(fyne.KeyF2)
	h.w.Canvas().Capture() // the PIN prompt
	h.enter(staffPIN)
	if !h.k.staff.box.Visible() {
		t.Fatalf("staff menu not shown; PIN status %q", h.k.pin.status.Text)
	}
	h.w.Canvas().Capture() // the staff menu
	h.key(fyne.KeyEscape)
	h.w.Canvas().Capture()
	grown := int64(heap()) - int64(before)
	if grown > 4<<20 {
		t.Errorf("opening the PIN prompt and the staff menu after the search grew the heap by %.1f MB, want under 4 MB", float64(grown)/(1<<20))
	}
}

// A dialog opened after the dialogs were hidden dialogStale applies the
// theme again first, which drops the fonts Fyne parsed for theme scopes
// no longer drawn: Fyne forgets the renderers of what it has not drawn
// for a minute, the dialogs' override then starts a new scope when
// drawn again, and each such opening grew the kiosk by some 9 MB.
func TestStaleDialogsRenewTheTheme(t *testing.T) {
	applied := 0
	h := MustKiosk(t, Options{SetTheme: func(th fyne.Theme) {
		applied++
		fyne.CurrentApp().Settings().SetTheme(th)
	}})
	search := func() {
		t.Helper()
		h.key(fyne.KeyF3)
		h.typeText("ovela")
		h.w.Canvas().Capture()
		if len(h.k.search.results) == 0 {
			t.Fatal("the search found nobody")
		}
		h.key(fyne.KeyEscape)
	}
	search()
	n := applied
	h.advance(10 * time.Second)
	search()
	if applied != n {
		t.Errorf("a search 10 s after the last applied the theme %d times, want 0", applied-n)
	}
	h.advance(dialogStale)
	search()
	if applied != n+1 {
		t.Errorf("a search %v after the last applied the theme %d times, want once", dialogStale, applied-n)
	}
	if h.k.dark {
		t.Error("renewing the theme changed it to dark")
	}
}
