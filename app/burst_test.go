package app

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"usher/checkin"
)

// A USB scanner is a keyboard: it types the code and Enter into
// whatever has the focus. These tests type into the staff screens at a
// scanner's speed (wedge: a key every 10 ms) and at a person's
// (typeText, enter: 150 ms): a scan is decided as at the scanner input
// and closes the screen; typing is what the screen asked for.

// typeAt types s and Enter into the focused widget, a key every gap.
func (h *harness) typeAt(s string, gap time.Duration) {
	h.t.Helper()
	for _, r := range s {
		h.clock.Advance(gap)
		h.focused().TypedRune(r)
	}
	h.clock.Advance(gap)
	h.key(fyne.KeyReturn)
}

// wantScanned checks that p's badge was decided as a scan at the
// scanner input: one row more than before, a badge scan of p's code at
// this door in its direction, on the result panel, and the scanner
// input has the focus again.
func (h *harness) wantScanned(p checkin.Person, before int) {
	h.t.Helper()
	rs := h.rows()
	if len(rs) != before+1 {
		for _, r := range rs[min(before, len(rs)):] {
			h.t.Logf("row: method %s code %q reason %s note %q", r.Method, r.Code, r.Reason, r.Note)
		}
		h.t.Fatalf("%d new rows in the scan log, want the scan only", len(rs)-before)
	}
	r := rs[len(rs)-1]
	if r.Method != string(checkin.ByBadge) || r.Code != p.Code || r.Person.String != p.ID ||
		r.Door != h.k.door.ID || r.Direction != string(h.k.dir) || r.Note != "" {
		h.t.Errorf("logged %+v, want a badge scan of %s at %s", r, p.Code, h.k.door.ID)
	}
	if h.k.showing() != h.k.panel {
		h.t.Errorf("%T still shown after a scan", h.k.showing())
	}
	if !strings.HasPrefix(h.k.panel.who.Text, p.Name) {
		h.t.Errorf("panel shows %q, want %s's decision", h.k.panel.who.Text, p.Name)
	}
	if f := h.w.Canvas().Focused(); f != fyne.Focusable(h.k.entry) {
		h.t.Errorf("%T has the focus after a scan, want the scanner input", f)
	}
}

// markup is the screen as the test canvas renders it: visible objects
// only.
func (h *harness) markup() string { return test.RenderToMarkup(h.w.Canvas()) }

// shows reports whether s is on the screen, within one text.
func (h *harness) shows(s string) bool {
	return strings.Contains(h.markup(), xmlText(s))
}

// textBox is the size of the first text on the screen that reads
// exactly s; ok is false if no text does (it is hidden, or wrapped onto
// several lines).
func (h *harness) textBox(s string) (size fyne.Size, ok bool) {
	re := regexp.MustCompile(`<text[^>]* size="(\d+)x(\d+)"[^>]*>` + regexp.QuoteMeta(xmlText(s)) + `</text>`)
	m := re.FindStringSubmatch(h.markup())
	if m == nil {
		return fyne.Size{}, false
	}
	w, _ := strconv.Atoi(m[1])
	ht, _ := strconv.Atoi(m[2])
	return fyne.NewSize(float32(w), float32(ht)), true
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// The next person's badge scanned while the reason for admitting
// someone else is asked must not become that reason: it is scanned, and
// the reason is not taken.
func TestScanIntoNote(t *testing.T) {
	byName := func(h *harness) {
		h.key(fyne.KeyF3)
		h.typeText("Lovelace")
		h.key(fyne.KeyReturn)
		if !h.k.note.box.Visible() {
			h.t.Fatal("no reason asked")
		}
	}
	t.Run("AdmitByName", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		byName(h)
		h.typeText("Lost")
		h.clock.Advance(time.Second) // the next person steps up
		h.wedge(grace.Code)
		h.wantScanned(grace, 0)
		if got := h.k.note.entry.Text; got != "Lost" {
			t.Errorf("reason field holds %q after the scan, want what staff typed (%q)", got, "Lost")
		}
		if got := h.occ(venue); got != 1 {
			t.Errorf("venue occupancy %d, want 1 (Grace only)", got)
		}
	})
	t.Run("Headcount", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('3')
		h.wedge(grace.Code)
		h.wantScanned(grace, 0)
		if got := h.occ(venue); got != 1 {
			t.Errorf("venue occupancy %d, want 1 (Grace, no +1)", got)
		}
	})
	t.Run("Override", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(hedy.Code)
		h.advance(2 * time.Second)
		h.unlockStaff()
		h.staffKey('5')
		if !h.k.note.box.Visible() {
			t.Fatal("no reason asked for the override")
		}
		h.wedge(ada.Code)
		h.wantScanned(ada, 1)
		if got := h.occ(ballroom); got != 1 {
			t.Errorf("ballroom occupancy %d, want 1 (Ada; Hedy not overridden)", got)
		}
	})
	// The slowest scanner Usher takes for one: every gap under 35 ms.
	t.Run("ScannerAt34ms", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		byName(h)
		h.typeAt(grace.Code, 34*time.Millisecond)
		h.wantScanned(grace, 0)
	})
	t.Run("Human", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		byName(h)
		h.enter("Badge left at hotel")
		if r := h.last(); r.Method != string(checkin.ByName) || r.Note != "Badge left at hotel" || r.Person.String != ada.ID {
			t.Errorf("logged %+v, want Ada admitted by name", r)
		}
	})
	// Keys 40 ms apart are a person typing fast, not a scanner.
	t.Run("TypedAt40ms", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		byName(h)
		h.typeAt("Lost it", 40*time.Millisecond)
		if r := h.last(); r.Method != string(checkin.ByName) || r.Note != "Lost it" {
			t.Errorf("logged %+v, want the typed reason", r)
		}
	})
	// Three keys and Enter, however fast, are too short for a badge.
	t.Run("ShortBurst", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		byName(h)
		h.typeAt("VIP", scannerKeyGap)
		if r := h.last(); r.Method != string(checkin.ByName) || r.Note != "VIP" {
			t.Errorf("logged %+v, want the reason VIP", r)
		}
	})
}

// A badge scanned into the PIN prompt is scanned, never counted as a
// wrong PIN: five scans must not lock staff mode.
func TestScanIntoPIN(t *testing.T) {
	t.Run("Scanner", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF2)
		h.typeText("24")
		h.clock.Advance(time.Second) // the next person steps up
		h.wedge(ada.Code)
		h.wantScanned(ada, 0)
		if got := h.k.pin.entry.Text; got != "24" {
			t.Errorf("PIN field holds %q after the scan, want the digits typed before it", got)
		}
		if h.k.lock.fails != 0 {
			t.Errorf("%d wrong PINs counted for a scan", h.k.lock.fails)
		}
		h.key(fyne.KeyF2)
		if got := h.k.pin.status.Text; got != "Enter the staff PIN and press Enter." {
			t.Errorf("PIN status %q after a scan into it", got)
		}
	})
	t.Run("FiveScansDoNotLock", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		for i, p := range []checkin.Person{ada, grace, hedy, alan, long} {
			h.key(fyne.KeyF2)
			h.wedge(p.Code)
			h.wantScanned(p, i)
		}
		h.key(fyne.KeyF2)
		h.enter(staffPIN)
		if !h.k.staff.box.Visible() {
			t.Fatalf("the right PIN after five scans did not open staff mode; status %q", h.k.pin.status.Text)
		}
	})
	t.Run("DuringLockout", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF2)
		for i := 0; i < maxTries; i++ {
			h.enter("0000")
		}
		if !h.k.pin.entry.Disabled() {
			t.Fatal("not locked after five wrong PINs")
		}
		h.wedge(ada.Code)
		h.wantScanned(ada, 0)
	})
	t.Run("Human", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF2)
		h.enter("1111")
		if got := h.k.pin.status.Text; got != "Wrong PIN. 4 tries left." {
			t.Errorf("status %q", got)
		}
		h.enter(staffPIN)
		if !h.k.staff.box.Visible() {
			t.Fatal("the PIN typed by hand did not open staff mode")
		}
	})
	// A paste arrives as one event, not keys: it is typing.
	t.Run("Paste", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF2)
		cb := h.app.Clipboard()
		cb.SetContent(staffPIN)
		h.focused().(fyne.Shortcutable).TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
		h.key(fyne.KeyReturn)
		if !h.k.staff.box.Visible() {
			t.Fatalf("a pasted PIN did not open staff mode; status %q", h.k.pin.status.Text)
		}
	})
}

// A badge scanned into the name search is scanned, not searched for.
func TestScanIntoSearch(t *testing.T) {
	t.Run("Scanner", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF3)
		h.typeText("Lov")
		h.clock.Advance(time.Second) // the next person steps up
		h.wedge(grace.Code)
		h.wantScanned(grace, 0)
		if got := h.k.search.query.Text; got != "Lov" {
			t.Errorf("search field holds %q after the scan, want %q", got, "Lov")
		}
	})
	t.Run("Human", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF3)
		h.typeText("Turing")
		h.key(fyne.KeyReturn)
		h.key(fyne.KeyReturn)
		if r := h.last(); r.Method != string(checkin.ByName) || r.Person.String != alan.ID {
			t.Errorf("logged %+v, want Alan admitted by name", r)
		}
	})
}

// A badge scanned while the staff menu is open is scanned, and closes
// staff mode as Esc does; a digit typed by hand picks an item.
func TestScanIntoStaffMenu(t *testing.T) {
	t.Run("Scanner", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.wedge(grace.Code)
		h.wantScanned(grace, 0)
		if h.quit != 0 {
			t.Errorf("Quit ran %d times", h.quit)
		}
		h.key(fyne.KeyF2)
		if !h.k.pin.box.Visible() {
			t.Error("staff mode still unlocked after a scan closed the menu")
		}
	})
	t.Run("Human", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.enter("1")
		if h.k.dir != checkin.Exit {
			t.Errorf("'1' typed by hand did not switch to EXIT")
		}
	})
}

// staffScreens opens each screen that takes the scan view's place, with
// some input in it where it has any.
var staffScreens = []struct {
	name string
	open func(h *harness)
}{
	{"PIN", func(h *harness) { h.key(fyne.KeyF2) }},
	{"Search", func(h *harness) { h.key(fyne.KeyF3); h.typeText("Speaker 0") }},
	{"SearchNote", func(h *harness) { h.key(fyne.KeyF3); h.typeText("Lovelace"); h.key(fyne.KeyReturn) }},
	{"StaffMenu", func(h *harness) { h.unlockStaff() }},
	{"StaffNote", func(h *harness) { h.unlockStaff(); h.staffKey('3') }},
	{"UndoConfirm", func(h *harness) { h.scan(alan.Code); h.advance(2 * time.Second); h.unlockStaff(); h.staffKey('2') }},
	{"QuitConfirm", func(h *harness) { h.unlockStaff(); h.staffKey('0') }},
	{"DoorList", func(h *harness) { h.unlockStaff(); h.staffKey('6') }},
}

// focusChain lists what Tab reaches in the screen shown, from what has
// the focus, leaving out the scanner input.
func (h *harness) focusChain() []fyne.Focusable {
	h.t.Helper()
	c := h.w.Canvas()
	first := h.focused()
	var chain []fyne.Focusable
	for f := first; ; {
		if f != fyne.Focusable(h.k.entry) {
			chain = append(chain, f)
		}
		test.FocusNext(c)
		if f = c.Focused(); f == nil || f == first || len(chain) > 40 {
			return chain
		}
	}
}

// Whatever a screen's focus is on (Tab reaches its buttons and lists
// too), a badge scanned into it is scanned: none of them swallows it.
// Each focusable gets its own badge, scanned with the screen opened
// again.
func TestScanWhereverTheFocusIs(t *testing.T) {
	people := speakers(40)
	for _, s := range staffScreens {
		t.Run(s.name, func(t *testing.T) {
			h := MustKiosk(t, Options{})
			s.open(h)
			if h.k.showing() == h.k.panel {
				t.Fatal("the screen did not open")
			}
			n := len(h.focusChain())
			if n == 0 {
				t.Fatal("nothing in the screen takes the focus")
			}
			for i := 0; i < n; i++ {
				if i > 0 {
					h.advance(holdBad)
					s.open(h)
				}
				f := h.focusChain()[i]
				outer := h.t
				t.Run(fmt.Sprintf("%d-%T", i, f), func(t *testing.T) {
					h.t = t
					defer func() { h.t = outer }()
					before := len(h.rows())
					h.w.Canvas().Focus(f)
					h.wedge(people[i].Code)
					h.wantScanned(people[i], before)
					if h.quit != 0 {
						t.Errorf("Quit ran %d times", h.quit)
					}
				})
			}
		})
	}
}

// Screens left alone close after 20 s without a key, so the next badge
// goes to the scanner input; 19 s is not enough. The staff menu is
// checked with staff mode's own 30 s (TestStaffLock).
func TestDialogsCloseWhenIdle(t *testing.T) {
	for _, s := range staffScreens {
		if s.name == "StaffMenu" {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			h := MustKiosk(t, Options{})
			s.open(h)
			view := h.k.showing()
			if view == h.k.panel {
				t.Fatal("the screen did not open")
			}
			h.advance(19 * time.Second)
			if h.k.showing() != view {
				t.Fatalf("closed after 19 s: %T shown", h.k.showing())
			}
			h.advance(time.Second)
			if h.k.showing() != h.k.panel {
				t.Fatalf("%T still open after 20 s without a key", h.k.showing())
			}
			if f := h.w.Canvas().Focused(); f != fyne.Focusable(h.k.entry) {
				t.Errorf("%T has the focus, want the scanner input", f)
			}
			before := len(h.rows())
			h.wedge(ada.Code)
			h.wantScanned(ada, before)
		})
	}
	// A key restarts the 20 s.
	for _, s := range []struct {
		name string
		open func(h *harness)
	}{
		{"PIN", func(h *harness) { h.key(fyne.KeyF2) }},
		{"Search", func(h *harness) { h.key(fyne.KeyF3) }},
		{"Note", func(h *harness) { h.key(fyne.KeyF3); h.typeText("Lovelace"); h.key(fyne.KeyReturn) }},
	} {
		t.Run(s.name+"/TypingKeepsItOpen", func(t *testing.T) {
			h := MustKiosk(t, Options{})
			s.open(h)
			view := h.k.showing()
			h.advance(15 * time.Second)
			h.typeText("2")
			h.advance(15 * time.Second)
			if h.k.showing() != view {
				t.Fatalf("closed 15 s after a key: %T shown", h.k.showing())
			}
			h.advance(5 * time.Second)
			if h.k.showing() != h.k.panel {
				t.Fatalf("%T still open 20 s after the last key", h.k.showing())
			}
		})
	}
}
