package app

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/checkin"
	"usher/demo"
)

// Staff mode locks when staff leave the menu with Esc, and after 30 s
// without a staff key; within 30 s of a staff action F2 opens the menu
// again without the PIN, so a run of +1s needs one PIN.
func TestStaffLock(t *testing.T) {
	wantPIN := func(h *harness) {
		h.t.Helper()
		h.key(fyne.KeyF2)
		if !h.k.pin.box.Visible() || h.k.staff.box.Visible() {
			h.t.Error("F2 opened staff mode without the PIN")
		}
	}
	t.Run("Esc", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.key(fyne.KeyEscape)
		h.wantReady()
		wantPIN(h)
	})
	t.Run("IdleMenu", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.advance(29 * time.Second)
		if !h.k.staff.box.Visible() {
			t.Fatal("the staff menu closed after 29 s")
		}
		h.advance(time.Second)
		if h.k.showing() != h.k.panel {
			t.Fatalf("%T still shown after 30 s without a key", h.k.showing())
		}
		if f := h.w.Canvas().Focused(); f != fyne.Focusable(h.k.entry) {
			t.Errorf("%T has the focus, want the scanner input", f)
		}
		wantPIN(h)
	})
	t.Run("KeysKeepItOpen", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.advance(20 * time.Second)
		h.staffKey('8') // full screen; the menu stays
		h.advance(20 * time.Second)
		if !h.k.staff.box.Visible() {
			t.Fatal("the staff menu closed 20 s after a key")
		}
		h.advance(10 * time.Second)
		if h.k.staff.box.Visible() {
			t.Fatal("the staff menu still open 30 s after the last key")
		}
	})
	t.Run("AfterAction", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('1') // switch direction: back to scanning
		h.wantReady()
		h.advance(29 * time.Second)
		h.key(fyne.KeyF2)
		if !h.k.staff.box.Visible() {
			t.Fatal("F2 29 s after a staff action asked for the PIN")
		}
	})
	t.Run("AfterActionExpires", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('1')
		h.advance(30 * time.Second)
		wantPIN(h)
	})
}

// Quit asks first: Enter quits, Esc goes back to the menu, and neither a
// typed line nor a scan counts as yes.
func TestQuitConfirm(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.unlockStaff()
	h.staffKey('0')
	if h.quit != 0 {
		t.Fatalf("Quit ran %d times without a confirmation", h.quit)
	}
	if !h.shows("Quit Usher?") {
		t.Fatal("Quit does not ask \"Quit Usher?\"")
	}
	h.key(fyne.KeyEscape)
	if h.quit != 0 || !h.k.staff.box.Visible() {
		t.Fatalf("Esc: quit %d times, staff menu shown %v; want 0 and the menu", h.quit, h.k.staff.box.Visible())
	}
	h.staffKey('0')
	h.enter("0")
	if h.quit != 0 {
		t.Fatal("a typed 0 and Enter quit")
	}
	h.wedge(ada.Code)
	if h.quit != 0 {
		t.Fatal("a scan into the question quit")
	}
	h.wantScanned(ada, 0)

	h.unlockStaff()
	h.staffKey('0')
	h.key(fyne.KeyReturn)
	if h.quit != 1 {
		t.Errorf("Enter: Quit ran %d times, want 1", h.quit)
	}
}

// Undo says what it will undo, the time, the name and the decision, and
// waits for Enter; Esc undoes nothing.
func TestUndoConfirm(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.scan(ada.Code)
	at := h.clock.Now().Local().Format("15:04:05")
	h.advance(30 * time.Second)
	h.unlockStaff()
	h.staffKey('2')
	if n := len(h.rows()); n != 1 || h.occ(venue) != 1 {
		t.Fatalf("'2' acted at once: %d rows, venue occupancy %d", n, h.occ(venue))
	}
	if !h.shows("Undo the last scan?") {
		t.Error("Undo does not ask \"Undo the last scan?\"")
	}
	if want := at + " · Ada Lovelace · ADMIT"; !h.shows(want) {
		t.Errorf("Undo does not say what it undoes: %q", want)
	}
	h.key(fyne.KeyEscape)
	if n := len(h.rows()); n != 1 || h.occ(venue) != 1 {
		t.Errorf("Esc undid: %d rows, venue occupancy %d", n, h.occ(venue))
	}
	if !h.k.staff.box.Visible() {
		t.Error("Esc did not go back to the staff menu")
	}
	h.staffKey('2')
	h.key(fyne.KeyReturn)
	h.wantPanel(toneWarn, "Ada Lovelace · Attendee", "Undone: Ada Lovelace is back outside.")
	if r := h.last(); r.Method != "undo" || !r.Undoes.Valid {
		t.Errorf("logged %+v, want the undo", r)
	}
	if got := h.occ(venue); got != 0 {
		t.Errorf("venue occupancy %d, want 0", got)
	}
}

// Change door lists the event's doors by name: a digit and Enter, or the
// arrows and Enter, pick one; Esc keeps the door.
func TestChangeDoorList(t *testing.T) {
	open := func(t *testing.T) *harness {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('6')
		if got := h.k.door.ID; got != doorMain {
			t.Fatalf("Change door moved to %s without asking which door", got)
		}
		for _, d := range h.k.ev.Doors {
			if !h.shows(d.Name) {
				t.Errorf("door %q not offered", d.Name)
			}
		}
		return h
	}
	third := func(h *harness) string { return h.k.ev.Doors[2].ID }
	t.Run("Digit", func(t *testing.T) {
		h := open(t)
		h.enter("3")
		if got := h.k.door.ID; got != third(h) {
			t.Errorf("door %s after 3 + Enter, want %s", got, third(h))
		}
		if !h.k.staff.box.Visible() {
			t.Error("the staff menu is not back after choosing a door")
		}
		if saved, _ := h.db.Setting(h.ctx, settingDoor); saved != third(h) {
			t.Errorf("saved door %q", saved)
		}
		if got := h.k.doorName.Text; got != h.k.ev.Door(third(h)).Name {
			t.Errorf("door name on screen %q", got)
		}
	})
	t.Run("Arrows", func(t *testing.T) {
		h := open(t)
		h.key(fyne.KeyDown)
		h.key(fyne.KeyDown)
		h.key(fyne.KeyDown)
		h.key(fyne.KeyUp)
		h.key(fyne.KeyReturn)
		if got := h.k.door.ID; got != third(h) {
			t.Errorf("door %s after ↓↓↓↑ Enter, want %s", got, third(h))
		}
	})
	t.Run("Esc", func(t *testing.T) {
		h := open(t)
		h.key(fyne.KeyDown)
		h.key(fyne.KeyEscape)
		if got := h.k.door.ID; got != doorMain {
			t.Errorf("door %s after Esc, want %s", got, doorMain)
		}
		if !h.k.staff.box.Visible() {
			t.Error("Esc did not go back to the staff menu")
		}
	})
}

// An event with more doors than the list shows at once: the list
// scrolls and still fits at 1024×600; digits reach the first nine, the
// arrows every door.
func TestChangeDoorManyDoors(t *testing.T) {
	h := MustKiosk(t, Options{})
	ev := *demo.Event()
	ev.Doors = append([]checkin.Door(nil), ev.Doors...)
	for i := len(ev.Doors); i < 12; i++ {
		ev.Doors = append(ev.Doors, checkin.Door{ID: fmt.Sprintf("side-%d", i+1),
			Name: fmt.Sprintf("Side Door %d", i+1), From: checkin.Outside, To: venue})
	}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Load(h.ctx, &ev, roster()); err != nil {
		t.Fatal(err)
	}
	h.open(Options{})
	h.unlockStaff()
	h.staffKey('6')
	if got := h.w.Content().MinSize(); got.Width > 1024 || got.Height > 600 {
		t.Errorf("the list of 12 doors needs %v, more than 1024×600", got)
	}
	h.enter("9")
	if got := h.k.door.ID; got != ev.Doors[8].ID {
		t.Errorf("door %s after 9 + Enter, want %s", got, ev.Doors[8].ID)
	}
	h.staffKey('6')
	for range 5 {
		h.key(fyne.KeyDown)
	}
	if h.k.doors.scroll.Offset.Y <= 0 {
		t.Error("the list did not scroll to the twelfth door")
	}
	h.key(fyne.KeyReturn)
	if got := h.k.door.ID; got != ev.Doors[11].ID {
		t.Errorf("door %s after ↓×5 from the ninth, want %s", got, ev.Doors[11].ID)
	}
}

// The PIN prompt is a dialog, not a narrow column: its lines do not wrap
// and its field is wide enough to see.
func TestPINDialogWidth(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF2)
	if _, ok := h.textBox("Enter the staff PIN and press Enter."); !ok {
		t.Error("the PIN prompt's line is wrapped")
	}
	if w := h.k.pin.entry.Size().Width; w < 480 {
		t.Errorf("PIN field %.0f wide, want at least 480", w)
	}
}

// Staff screens grow with the window: their text at 1920×1080 is larger
// than at 1024×600 (the layout tests check they still fit).
func TestDialogsScaleWithWindow(t *testing.T) {
	for _, tc := range []struct {
		name, title string
		open        func(h *harness)
	}{
		{"PIN", "Staff PIN", func(h *harness) { h.key(fyne.KeyF2) }},
		{"StaffMenu", "Staff — Main Entrance → Convention Center", func(h *harness) { h.unlockStaff() }},
		{"Note", "+1 into Convention Center: why?", func(h *harness) { h.unlockStaff(); h.staffKey('3') }},
		{"Search", "Find by name (↑↓ to pick, Enter to admit, Esc to go back)", func(h *harness) { h.key(fyne.KeyF3) }},
		{"QuitConfirm", "Quit Usher?", func(h *harness) { h.unlockStaff(); h.staffKey('0') }},
		{"UndoConfirm", "Undo the last scan?", func(h *harness) { h.unlockStaff(); h.staffKey('2') }},
		{"DoorList", "Change door", func(h *harness) { h.unlockStaff(); h.staffKey('6') }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustKiosk(t, Options{})
			tc.open(h)
			small, ok := h.textBox(tc.title)
			if !ok {
				t.Fatalf("%q not on the screen at 1024×600", tc.title)
			}
			h.w.Resize(fyne.NewSize(1920, 1080))
			big, ok := h.textBox(tc.title)
			if !ok {
				t.Fatalf("%q not on the screen at 1920×1080", tc.title)
			}
			if big.Height < small.Height*1.4 {
				t.Errorf("%q is %.0f high at 1920×1080 and %.0f at 1024×600: want it at least 1.4 times larger", tc.title, big.Height, small.Height)
			}
			h.w.Resize(fyne.NewSize(1024, 600))
			if again, _ := h.textBox(tc.title); again != small {
				t.Errorf("back at 1024×600 %q is %v, was %v", tc.title, again, small)
			}
		})
	}
}

// What Undo's question says of each kind of decision.
func TestRecordString(t *testing.T) {
	at := time.Date(2026, time.May, 14, 9, 41, 7, 0, time.Local)
	p := func(x checkin.Person) *checkin.Person { return &x }
	for _, tc := range []struct {
		name string
		d    checkin.Decision
		want string
	}{
		{"Admit", checkin.Decision{Kind: checkin.Admit, Reason: checkin.Admitted, Person: p(ada)}, "09:41:07 · Ada Lovelace · ADMIT"},
		{"Exit", checkin.Decision{Kind: checkin.Leave, Reason: checkin.ExitRecorded, Person: p(ada)}, "09:41:07 · Ada Lovelace · EXIT"},
		{"UnknownBadge", checkin.Decision{Kind: checkin.Deny, Reason: checkin.UnknownBadge}, "09:41:07 · Unknown badge · DENY"},
		{"RoomFull", checkin.Decision{Kind: checkin.Deny, Reason: checkin.RoomFull, Person: p(grace), Space: workshop}, "09:41:07 · Grace Hopper · ROOM FULL"},
		{"PlusOne", checkin.Decision{Kind: checkin.Admit, Reason: checkin.HeadcountAdded}, "09:41:07 · +1 without a badge · ADMIT"},
		{"MinusOne", checkin.Decision{Kind: checkin.Leave, Reason: checkin.HeadcountRemoved}, "09:41:07 · −1 without a badge · EXIT"},
		{"Undo", checkin.Decision{Kind: checkin.Undo, Reason: checkin.Undone, Person: p(ada)}, "09:41:07 · Ada Lovelace · UNDONE"},
		{"NothingToUndo", checkin.Decision{Kind: checkin.Deny, Reason: checkin.NothingToUndo}, "09:41:07 · An undo · WARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &record{door: doorMain, at: at, d: tc.d}
			if got := r.String(); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}
