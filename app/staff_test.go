package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/checkin"
	"usher/demo"
)

func TestPIN(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF2)
		if !h.k.pin.box.Visible() {
			t.Fatal("F2 did not ask for the PIN")
		}
		if got := h.k.pin.title.Text; got != "Staff PIN" {
			t.Errorf("title = %q", got)
		}
		if h.focused() != fyne.Focusable(h.k.pin.entry) {
			t.Fatal("the PIN field does not have the focus")
		}
		if !h.k.pin.entry.Password {
			t.Error("the PIN is shown as typed")
		}
		h.enter(staffPIN)
		if !h.k.staff.box.Visible() {
			t.Fatalf("the right PIN did not open the staff menu; status %q", h.k.pin.status.Text)
		}
		if got := h.k.staff.title.Text; got != "Staff — Main Entrance → Convention Center" {
			t.Errorf("staff title = %q", got)
		}
	})

	t.Run("ErrWrong", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF2)
		h.enter("1111")
		if h.k.staff.box.Visible() {
			t.Fatal("a wrong PIN opened the staff menu")
		}
		if got := h.k.pin.status.Text; got != "Wrong PIN. 4 tries left." {
			t.Errorf("status = %q", got)
		}
		if h.k.pin.entry.Text != "" {
			t.Errorf("the PIN field still holds %q", h.k.pin.entry.Text)
		}
	})

	t.Run("Escape", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.key(fyne.KeyF2)
		h.key(fyne.KeyEscape)
		h.wantReady()
		if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
			t.Error("Esc did not give the focus back to the scanner input")
		}
	})
}

// After 5 wrong PINs staff mode locks for a minute, then two, and the
// right PIN does nothing while it is locked. The prompt closes after
// dialogIdle without a key; F2 opens it again, still locked.
func TestPINLockout(t *testing.T) {
	h := MustKiosk(t, Options{})
	pin := h.k.pin
	h.key(fyne.KeyF2)

	wrong := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			h.enter("0000")
		}
	}
	reopen := func() {
		t.Helper()
		if !pin.box.Visible() {
			h.key(fyne.KeyF2)
		}
	}
	wantLocked := func(status string) {
		t.Helper()
		reopen()
		if !pin.entry.Disabled() {
			t.Error("the PIN field is enabled during a lockout")
		}
		if pin.status.Text != status {
			t.Errorf("status = %q, want %q", pin.status.Text, status)
		}
	}
	wantUnlocked := func() {
		t.Helper()
		reopen()
		if pin.entry.Disabled() {
			t.Fatalf("the PIN field is still disabled; status %q", pin.status.Text)
		}
		if got := pin.status.Text; got != "Enter the staff PIN and press Enter." {
			t.Errorf("status = %q", got)
		}
		if h.w.Canvas().Focused() != fyne.Focusable(pin.entry) {
			t.Error("the PIN field did not get the focus back")
		}
	}
	// rightDuringLock tries the right PIN submitted directly, as a racing
	// Enter would, and first typed by hand into the disabled field if
	// typed (typing takes a person most of a second).
	rightDuringLock := func(typed bool) {
		t.Helper()
		reopen()
		if typed {
			h.enter(staffPIN)
		}
		pin.submit(staffPIN)
		if h.k.staff.box.Visible() {
			t.Fatal("the right PIN opened staff mode during a lockout")
		}
	}

	wrong(4)
	if got := pin.status.Text; got != "Wrong PIN. 1 try left." {
		t.Errorf("status after 4 wrong = %q", got)
	}
	wrong(1)
	wantLocked("Too many wrong PINs. Locked for 60 s.")
	rightDuringLock(true)
	h.advance(59 * time.Second)
	wantLocked("Too many wrong PINs. Locked for 1 s.")
	rightDuringLock(false)
	h.advance(time.Second)
	wantUnlocked()

	// The second lockout lasts twice as long.
	wrong(5)
	wantLocked("Too many wrong PINs. Locked for 120 s.")
	h.advance(60 * time.Second)
	wantLocked("Too many wrong PINs. Locked for 60 s.")
	rightDuringLock(true)
	h.advance(59 * time.Second)
	wantLocked("Too many wrong PINs. Locked for 1 s.")
	h.advance(time.Second)
	wantUnlocked()

	h.enter(staffPIN)
	if !h.k.staff.box.Visible() {
		t.Fatalf("the right PIN after the lockout did not open staff mode; status %q", pin.status.Text)
	}
	if n := len(h.rows()); n != 0 {
		t.Errorf("%d rows logged, want 0", n)
	}
}

// Leaving the PIN view does not lift a lockout.
func TestPINLockoutSurvivesEscape(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF2)
	for i := 0; i < maxTries; i++ {
		h.enter("0000")
	}
	h.key(fyne.KeyEscape)
	h.wantReady()
	h.advance(30 * time.Second)
	h.key(fyne.KeyF2)
	if !h.k.pin.entry.Disabled() {
		t.Error("reopening the PIN view lifted the lockout")
	}
	if got := h.k.pin.status.Text; got != "Too many wrong PINs. Locked for 30 s." {
		t.Errorf("status = %q", got)
	}
	h.key(fyne.KeyEscape)
	h.wantReady()
	h.advance(30 * time.Second)
	h.key(fyne.KeyF2)
	if h.k.pin.entry.Disabled() {
		t.Fatal("still locked after the minute")
	}
	h.enter(staffPIN)
	if !h.k.staff.box.Visible() {
		t.Fatal("the right PIN did not open staff mode")
	}
}

// The right PIN resets the doubling: the next lockout is a minute again.
func TestPINLockoutResetByRightPIN(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF2)
	for i := 0; i < maxTries; i++ {
		h.enter("0000")
	}
	h.advance(time.Minute)
	h.key(fyne.KeyF2) // the prompt closed meanwhile
	h.enter(staffPIN)
	h.staffKey('9')
	h.key(fyne.KeyF2)
	for i := 0; i < maxTries; i++ {
		h.enter("0000")
	}
	if got := h.k.pin.status.Text; got != "Too many wrong PINs. Locked for 60 s." {
		t.Errorf("status = %q", got)
	}
}

// A kiosk whose event has no PIN asks staff to choose one at first use.
func TestPINFirstStart(t *testing.T) {
	h := MustKiosk(t, Options{})
	ev := *demo.Event()
	ev.StaffPIN, ev.StaffPINHash = "", ""
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Load(context.Background(), &ev, nil); err != nil {
		t.Fatal(err)
	}
	h.open(Options{})
	h.key(fyne.KeyF2)
	if got := h.k.pin.title.Text; got != "Set a staff PIN" {
		t.Fatalf("title = %q", got)
	}
	h.enter("12")
	if got := h.k.pin.status.Text; got != "A staff PIN is 4 to 12 digits. Try again." {
		t.Errorf("status = %q", got)
	}
	h.enter("1357")
	h.enter("9999")
	if got := h.k.pin.status.Text; got != "The two PINs differ. Choose a PIN again." {
		t.Errorf("status = %q", got)
	}
	h.enter("1357")
	h.enter("1357")
	if !h.k.staff.box.Visible() {
		t.Fatalf("setting a PIN did not open staff mode; status %q", h.k.pin.status.Text)
	}
	h.staffKey('9')
	h.key(fyne.KeyF2)
	if got := h.k.pin.title.Text; got != "Staff PIN" {
		t.Fatalf("title after setting = %q", got)
	}
	h.enter("1357")
	if !h.k.staff.box.Visible() {
		t.Fatal("the new PIN did not open staff mode")
	}
}

// A run of +1s needs one PIN: within staffIdle of a staff action F2
// opens the menu again (Esc and idle menus are in TestStaffLock).
func TestStaffSession(t *testing.T) {
	plusOne := func(h *harness) {
		h.t.Helper()
		h.unlockStaff()
		h.staffKey('3')
		h.key(fyne.KeyReturn)
		h.wantPanel(toneAdmit, "", "+1 counted into Convention Center (1 / 1500).")
	}
	t.Run("ReopensWithoutPIN", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		plusOne(h)
		h.advance(staffIdle - time.Second)
		h.key(fyne.KeyF2)
		if !h.k.staff.box.Visible() {
			t.Error("F2 within the staff session asked for the PIN again")
		}
	})
	t.Run("Expires", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		plusOne(h)
		h.advance(staffIdle)
		h.key(fyne.KeyF2)
		if !h.k.pin.box.Visible() || h.k.staff.box.Visible() {
			t.Error("F2 after the staff session did not ask for the PIN")
		}
	})
	t.Run("Lock", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('9')
		h.wantReady()
		h.key(fyne.KeyF2)
		if !h.k.pin.box.Visible() {
			t.Error("F2 after locking staff mode did not ask for the PIN")
		}
	})
}

func TestUndo(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(ada.Code)
		h.advance(30 * time.Second)
		h.unlockStaff()
		h.staffKey('2')
		h.key(fyne.KeyReturn) // yes, undo it
		h.wantPanel(toneWarn, "Ada Lovelace · Attendee", "Undone: Ada Lovelace is back outside.")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if got := h.gaugeText(venue); got != "0 / 1500" {
			t.Errorf("venue gauge = %q", got)
		}
		rs := h.rows()
		if len(rs) != 2 {
			t.Fatalf("%d rows in the scan log, want the admit and its undo", len(rs))
		}
		admit, undo := rs[0], rs[1]
		if admit.Reason != string(checkin.Admitted) || admit.Location.String != venue {
			t.Errorf("the admit row changed: %+v", admit)
		}
		if undo.Method != "undo" || undo.Decision != string(checkin.Undo) || undo.Reason != string(checkin.Undone) ||
			!undo.Undoes.Valid || undo.Undoes.Int64 != admit.Seq || undo.Person.String != ada.ID ||
			undo.From.String != venue || undo.Location.String != checkin.Outside {
			t.Errorf("undo row = %+v", undo)
		}
		if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
			t.Error("the scanner input did not get the focus back")
		}
	})

	t.Run("ErrAlreadyUndone", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(ada.Code)
		h.unlockStaff()
		h.staffKey('2')
		h.key(fyne.KeyReturn) // yes, undo it
		h.unlockStaff()
		h.staffKey('2')
		h.key(fyne.KeyReturn) // yes, undo it
		h.wantPanel(toneWarn, "", "The last scan here was already undone.")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
	})

	t.Run("ErrTooOld", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(ada.Code)
		h.advance(undoWindow + time.Second)
		h.unlockStaff()
		h.staffKey('2')
		h.key(fyne.KeyReturn) // yes, undo it
		if got := h.k.panel.word.Text; got != toneWarn.word {
			t.Errorf("panel word = %q, want WARN", got)
		}
		if got := h.last().Reason; got != string(checkin.NothingToUndo) {
			t.Errorf("logged %q, want nothing_to_undo", got)
		}
		if got := h.occ(venue); got != 1 {
			t.Errorf("venue occupancy = %d, want 1 (nothing undone)", got)
		}
		if n := len(h.rows()); n != 2 {
			t.Errorf("%d rows, want the admit and the refused undo", n)
		}
	})

	t.Run("ErrNothing", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('2')
		h.key(fyne.KeyReturn) // yes, undo it
		h.wantPanel(toneWarn, "", "Nothing to undo at this door.")
	})

	t.Run("Headcount", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('3')
		h.key(fyne.KeyReturn)
		h.unlockStaff()
		h.staffKey('2')
		h.key(fyne.KeyReturn) // yes, undo it
		h.wantPanel(toneWarn, "", "Undone: −1 counted out of Convention Center (0 / 1500).")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if r := h.last(); r.Delta != -1 || !r.Undoes.Valid {
			t.Errorf("undo row = %+v", r)
		}
	})
}

func TestAdjust(t *testing.T) {
	t.Run("Plus", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('3')
		if !h.k.note.box.Visible() {
			t.Fatal("+1 did not ask for a reason")
		}
		if got := h.k.note.prompt.Text; got != "+1 into Convention Center: why?" {
			t.Errorf("prompt = %q", got)
		}
		h.k.note.entry.SetText("")
		h.enter("Child under 12")
		h.wantPanel(toneAdmit, "", "+1 counted into Convention Center (1 / 1500).")
		if got := h.occ(venue); got != 1 {
			t.Errorf("venue occupancy = %d, want 1", got)
		}
		if got := h.gaugeText(venue); got != "1 / 1500" {
			t.Errorf("venue gauge = %q", got)
		}
		r := h.last()
		if r.Method != "adjust" || r.Delta != 1 || r.Reason != string(checkin.HeadcountAdded) || r.Note != "Child under 12" ||
			r.Location.String != venue || r.Person.Valid {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("MinusAfterPlus", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('3')
		h.key(fyne.KeyReturn)
		h.unlockStaff()
		h.staffKey('4')
		if got := h.k.note.prompt.Text; got != "−1 from Convention Center: why?" {
			t.Errorf("prompt = %q", got)
		}
		h.key(fyne.KeyReturn)
		h.wantPanel(toneExit, "", "−1 counted out of Convention Center (0 / 1500).")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if r := h.last(); r.Delta != -1 || r.Note != "Left (no badge)" {
			t.Errorf("logged %+v", r)
		}
	})

	t.Run("ErrMinusEmpty", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('4')
		h.key(fyne.KeyReturn)
		h.wantPanel(toneWarn, "", "Nobody counted with +1 is in Convention Center; people with badges leave by scanning out.")
		if got := h.occ(venue); got != 0 {
			t.Errorf("venue occupancy = %d, want 0", got)
		}
		if r := h.last(); r.Delta != 0 || r.Reason != string(checkin.NothingToRemove) || r.Location.Valid {
			t.Errorf("logged %+v", r)
		}
	})

	// A −1 never takes away someone recorded inside with a badge: the
	// count would fall below the people inside, and the room could fill
	// past its cap.
	t.Run("ErrMinusBadgedInside", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(ada.Code)
		h.unlockStaff()
		h.staffKey('4')
		h.key(fyne.KeyReturn)
		if got := h.k.panel.word.Text; got != toneWarn.word {
			t.Errorf("panel word = %q, want WARN", got)
		}
		if got := h.occ(venue); got != 1 {
			t.Errorf("venue occupancy = %d, want 1: Ada is still recorded inside", got)
		}
	})

	t.Run("ErrPlusFull", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorWorkshop})
		for _, p := range speakers(workshopCap) {
			h.admitDirect(doorWorkshop, p.Code)
		}
		h.unlockStaff()
		h.staffKey('3')
		h.key(fyne.KeyReturn)
		h.wantPanel(toneRoomFull, "", "Workshop Room A is full (40 / 40).")
		if got := h.occ(workshop); got != workshopCap {
			t.Errorf("workshop occupancy = %d", got)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.unlockStaff()
		h.staffKey('3')
		h.key(fyne.KeyEscape)
		if !h.k.staff.box.Visible() {
			t.Errorf("Esc in the reason did not go back to the staff menu; %T shown", h.k.showing())
		}
		h.key(fyne.KeyEscape)
		h.wantReady()
		if n := len(h.rows()); n != 0 {
			t.Errorf("%d rows after a cancelled +1, want 0", n)
		}
	})
}

func TestOverride(t *testing.T) {
	t.Run("NotEntitled", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(hedy.Code)
		h.wantPanel(toneDeny, "Hedy Lamarr · Exhibitor", "Hedy Lamarr (Exhibitor) may not enter Grand Ballroom.")
		h.unlockStaff()
		it := h.k.staff.override
		if it.button.Disabled() || it.button.Text != "5   Override: Hedy Lamarr" {
			t.Errorf("override item = %q (disabled %v)", it.button.Text, it.button.Disabled())
		}
		h.staffKey('5')
		if got := h.k.note.prompt.Text; got != "Override the denial of Hedy Lamarr: why?" {
			t.Errorf("prompt = %q", got)
		}
		h.enter("Sponsor booth tour")
		h.wantPanel(toneAdmit, "Hedy Lamarr · Exhibitor", "Welcome, Hedy Lamarr (staff override).")
		if got := h.occ(ballroom); got != 1 {
			t.Errorf("ballroom occupancy = %d, want 1", got)
		}
		r := h.last()
		if r.Reason != string(checkin.AdmittedOverride) || r.Note != "Sponsor booth tour" || r.Method != "badge" ||
			r.Code != hedy.Code || r.Location.String != ballroom {
			t.Errorf("logged %+v", r)
		}
		if h.k.denied != nil {
			t.Error("the overridden denial is still offered")
		}
	})

	t.Run("AlreadyInside", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.admitDirect(doorBallroom, ada.Code)
		h.scan(ada.Code)
		h.wantPanel(toneDeny, "Ada Lovelace · Attendee", "Ada Lovelace is already inside Grand Ballroom.")
		h.unlockStaff()
		h.staffKey('5')
		h.enter("Re-entry after fire drill")
		h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace (staff override).")
		if got := h.occ(ballroom); got != 1 {
			t.Errorf("ballroom occupancy = %d, want still 1", got)
		}
	})

	t.Run("NeverCapacity", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorWorkshop})
		for _, p := range speakers(workshopCap) {
			h.admitDirect(doorWorkshop, p.Code)
		}
		h.scan(grace.Code)
		h.wantPanel(toneRoomFull, "Grace Hopper · Speaker", "Workshop Room A is full (40 / 40).")
		h.unlockStaff()
		it := h.k.staff.override
		if !it.button.Disabled() {
			t.Errorf("a capacity denial is offered for override: %q", it.button.Text)
		}
		if it.button.Text != "5   Override (no denial)" {
			t.Errorf("override item = %q", it.button.Text)
		}
		h.staffKey('5')
		if h.k.note.box.Visible() || !h.k.staff.box.Visible() {
			t.Error("'5' acted on a capacity denial")
		}
		if got := h.occ(workshop); got != workshopCap {
			t.Errorf("workshop occupancy = %d", got)
		}
	})

	t.Run("ExpiresAfterTwoMinutes", func(t *testing.T) {
		h := MustKiosk(t, Options{Door: doorBallroom})
		h.scan(hedy.Code)
		h.advance(undoWindow + time.Second)
		h.unlockStaff()
		if !h.k.staff.override.button.Disabled() {
			t.Error("a denial over two minutes old is still offered for override")
		}
	})

	t.Run("UnknownBadgeNotOffered", func(t *testing.T) {
		h := MustKiosk(t, Options{})
		h.scan(unknownCode)
		h.unlockStaff()
		if !h.k.staff.override.button.Disabled() {
			t.Error("an unknown badge is offered for override")
		}
	})
}

func TestSwitchDirection(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.unlockStaff()
	if got := h.k.staff.dir.button.Text; got != "1   Switch to EXIT" {
		t.Errorf("item = %q", got)
	}
	h.staffKey('1')
	if h.k.dir != checkin.Exit || h.k.dirText.Text != "EXIT" || h.k.dirBadge.FillColor != dirExit {
		t.Errorf("direction = %s, badge %q %v", h.k.dir, h.k.dirText.Text, h.k.dirBadge.FillColor)
	}
	h.wantReady()
	if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
		t.Error("the scanner input did not get the focus back")
	}
	if got, err := h.db.Setting(h.ctx, settingDirection); err != nil || got != "exit" {
		t.Errorf("stored direction = %q, %v", got, err)
	}

	// A restarted kiosk on the same database starts in EXIT.
	h.open(Options{})
	if h.k.dir != checkin.Exit || h.k.dirText.Text != "EXIT" {
		t.Errorf("restarted kiosk direction = %s (%q), want exit", h.k.dir, h.k.dirText.Text)
	}
	h.wantReady()
	h.scan(ada.Code)
	if got := h.last(); got.Direction != "exit" {
		t.Errorf("scan after restart logged direction %q", got.Direction)
	}

	// And back.
	h.unlockStaff()
	h.staffKey('1')
	if h.k.dir != checkin.Entry || h.k.dirText.Text != "ENTRY" || h.k.dirBadge.FillColor != dirEntry {
		t.Errorf("direction = %s, badge %q", h.k.dir, h.k.dirText.Text)
	}
}

func TestChooseDoor(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.unlockStaff()
	h.staffKey('6')
	h.enter("2")
	if h.k.door.ID != "east" || h.k.doorName.Text != "East Entrance" {
		t.Errorf("door = %s (%q), want east", h.k.door.ID, h.k.doorName.Text)
	}
	if !h.k.staff.box.Visible() {
		t.Error("the staff menu closed after changing door")
	}
	h.staffKey('6')
	h.enter("3")
	if h.k.door.ID != doorBallroom {
		t.Errorf("door = %s, want %s", h.k.door.ID, doorBallroom)
	}
	if len(h.k.gauges.Objects) != 2 || h.gaugeText(ballroom) != "0 / 800" {
		t.Errorf("gauges = %d, ballroom %q", len(h.k.gauges.Objects), h.gaugeText(ballroom))
	}
	h.open(Options{})
	if h.k.door.ID != doorBallroom {
		t.Errorf("restarted kiosk door = %s, want %s", h.k.door.ID, doorBallroom)
	}
}

func TestThemeQuitFullScreen(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.unlockStaff()
	h.staffKey('7')
	if !h.k.dark || h.app.Settings().Theme() != Dark {
		t.Error("'7' did not switch to the dark theme")
	}
	if got, _ := h.db.Setting(h.ctx, settingTheme); got != "dark" {
		t.Errorf("stored theme = %q", got)
	}
	h.staffKey('8')
	if !h.w.FullScreen() {
		t.Error("'8' did not go full screen")
	}
	h.staffKey('0')
	h.key(fyne.KeyReturn) // yes, quit
	if h.quit != 1 {
		t.Errorf("Quit ran %d times, want 1", h.quit)
	}
	h.open(Options{})
	if !h.k.dark {
		t.Error("a restarted kiosk forgot the dark theme")
	}
}

// Without Quit, SetTheme and a printer (a kiosk embedded elsewhere)
// those items are not offered, and their keys do nothing.
func TestStaffMenuOptional(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.k.opts = Options{}
	v := newStaffView(h.k)
	for _, it := range v.items {
		if it.key == '0' || it.key == '7' || it.key == 'P' || it.key == 'Q' {
			t.Errorf("item %c offered without its option", it.key)
		}
	}
	if len(v.items) != 10 {
		t.Errorf("%d items, want 10", len(v.items))
	}
}

// A badge scanned while the staff menu is open must not run menu items:
// the scanner types its code as keys, and a code's digits are the menu's
// item numbers ('0' quits, '2' undoes). The menu hands the code to the
// scan view, which decides it like any badge.
func TestScannerIntoStaffMenu(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.scan(ada.Code)
	h.unlockStaff()
	h.wedge(grace.Code) // U-GRACE00002: '0', '0', '2'
	if h.quit != 0 {
		t.Errorf("scanning %s with the staff menu open quit the kiosk %d times", grace.Code, h.quit)
	}
	for _, r := range h.rows() {
		if r.Method == "undo" {
			t.Errorf("scanning %s with the staff menu open undid seq %d", grace.Code, r.Undoes.Int64)
		}
	}
	if got := h.occ(venue); got != 2 {
		t.Errorf("venue occupancy = %d, want 2 (Ada, then Grace scanned from the menu)", got)
	}
	if r := h.last(); r.Method != "badge" || r.Code != grace.Code || r.Reason != string(checkin.Admitted) {
		t.Errorf("last row %+v, want Grace admitted by badge", r)
	}
	if h.k.showing() != h.k.panel {
		t.Errorf("%T shown after a scan from the menu, want the result panel", h.k.showing())
	}
}

// Staff who walk away leave the kiosk in the view they were in. After
// staffIdle at the latest, the clock step should bring back the scan
// view, so the next badge is scanned rather than typed into a form: into
// the PIN it counts as a wrong PIN, into the search it is lost, into a
// reason it is logged as part of a headcount change.
func TestIdleViewsReturnToScan(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(h *harness)
	}{
		{"PIN", func(h *harness) { h.key(fyne.KeyF2) }},
		{"Search", func(h *harness) { h.key(fyne.KeyF3) }},
		{"StaffMenu", func(h *harness) { h.unlockStaff() }},
		{"Note", func(h *harness) { h.unlockStaff(); h.staffKey('3') }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustKiosk(t, Options{})
			tc.open(h)
			h.advance(staffIdle + time.Second)
			if h.k.showing() != h.k.panel {
				t.Errorf("%T still shown after %v idle", h.k.showing(), staffIdle+time.Second)
			}
			h.wedge(ada.Code)
			if got := h.occ(venue); got != 1 {
				t.Errorf("a badge scanned after the idle %s view was not admitted: venue occupancy %d", tc.name, got)
			}
			for _, r := range h.rows() {
				if r.Method != "badge" {
					t.Errorf("the scan became a %s row (%s, note %q)", r.Method, r.Reason, r.Note)
				}
			}
		})
	}
}
