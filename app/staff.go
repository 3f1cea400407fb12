package app

import (
	"fmt"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"usher/checkin"
)

// pinView asks for the staff PIN, or sets one at the kiosk's first start
// when the event file has none.
type pinView struct {
	k       *Kiosk
	box     *fyne.Container
	title   *widget.Label
	status  *widget.Label
	entry   *keyEntry
	setting bool   // choosing a new PIN rather than checking one
	first   string // the new PIN typed once, awaiting confirmation
}

func newPinView(k *Kiosk) *pinView {
	v := &pinView{k: k, title: widget.NewLabel(""), status: widget.NewLabel("")}
	v.title.TextStyle.Bold = true
	v.title.SizeName = "headingText"
	v.status.Wrapping = fyne.TextWrapWord
	v.entry = k.newField(func(e *fyne.KeyEvent) bool {
		if e.Name == fyne.KeyEscape {
			k.back()
			return true
		}
		return false
	})
	v.entry.Password = true
	v.entry.OnSubmitted = func(s string) { v.submit(s) }
	cancel := k.newButton("Cancel (Esc)", k.back)
	v.box = k.dialog(k.column(v.title, v.status, v.entry, cancel))
	return v
}

// open shows the view: to set a PIN when the kiosk has none, else to
// check one.
func (v *pinView) open() {
	has, err := v.k.b.HasPIN(v.k.ctx)
	if err != nil {
		v.k.showError(err)
		return
	}
	v.setting, v.first = !has, ""
	if v.setting {
		v.title.SetText("Set a staff PIN")
		v.status.SetText("No staff PIN yet. Choose 4 to 12 digits and press Enter.")
	} else {
		v.title.SetText("Staff PIN")
		v.status.SetText("Enter the staff PIN and press Enter.")
	}
	v.entry.SetText("")
	v.k.show(v.box)
	v.k.viewAt = v.k.Now()
	v.tick(v.k.Now())
	v.k.win.Canvas().Focus(v.entry)
}

// tick shows the lockout countdown, and unlocks the entry when it ends.
func (v *pinView) tick(now time.Time) {
	if !v.box.Visible() || v.setting {
		return
	}
	if left := v.k.lock.remaining(now); left > 0 {
		v.entry.Disable()
		v.status.SetText(fmt.Sprintf("Too many wrong PINs. Locked for %d s.", int(math.Ceil(left.Seconds()))))
		return
	}
	if v.entry.Disabled() {
		v.entry.Enable()
		v.status.SetText("Enter the staff PIN and press Enter.")
		v.k.win.Canvas().Focus(v.entry)
	}
}

func (v *pinView) submit(pin string) {
	k := v.k
	v.entry.SetText("")
	now := k.Now()
	k.viewAt = now
	if v.setting {
		v.choose(pin)
		return
	}
	if k.lock.remaining(now) > 0 {
		v.tick(now)
		return
	}
	ok, err := k.b.CheckPIN(k.ctx, pin)
	if err != nil {
		k.showError(err)
		return
	}
	if !ok {
		if left := k.lock.fail(now); left > 0 {
			v.status.SetText(fmt.Sprintf("Wrong PIN. %s left.", plural(left, "try", "tries")))
		} else {
			v.tick(now)
		}
		k.saveLock()
		return
	}
	k.lock.succeed()
	k.saveLock()
	k.staffUntil = now.Add(staffIdle)
	k.staff.open()
}

func (v *pinView) choose(pin string) {
	k := v.k
	switch {
	case !checkin.ValidPIN(pin):
		v.first = ""
		v.status.SetText("A staff PIN is 4 to 12 digits. Try again.")
	case v.first == "":
		v.first = pin
		v.status.SetText("Type the same PIN again to confirm.")
	case v.first != pin:
		v.first = ""
		v.status.SetText("The two PINs differ. Choose a PIN again.")
	default:
		if err := k.b.SetPIN(k.ctx, pin); err != nil {
			k.showError(err)
			return
		}
		k.lock.succeed()
		k.staffUntil = k.Now().Add(staffIdle)
		k.staff.open()
	}
}

// openStaff opens staff mode: straight to the menu within staffIdle of
// a staff action, else through the PIN.
func (k *Kiosk) openStaff() {
	if k.Now().Before(k.staffUntil) {
		k.staff.open()
		return
	}
	k.pin.open()
}

// staffView is the staff menu. Each item has a digit; Tab reaches the
// buttons too. Esc leaves it and locks staff mode; the items that cannot
// be taken back at a keystroke (Undo, Quit) ask first, and Change door
// offers the doors.
type staffView struct {
	k        *Kiosk
	box      *fyne.Container
	title    *widget.Label
	keys     *hotkeys
	items    []*staffItem
	override *staffItem
	dir      *staffItem
	door     *staffItem
	full     *staffItem
	theme    *staffItem
	recent   *staffItem
	sound    *staffItem
	print    *staffItem
	printer  *staffItem
}

type staffItem struct {
	key    rune
	button *keyButton
	run    func()
}

func newStaffView(k *Kiosk) *staffView {
	v := &staffView{k: k, title: widget.NewLabel("")}
	v.title.TextStyle.Bold = true
	v.title.SizeName = "headingText"
	add := func(key rune, run func()) *staffItem {
		it := &staffItem{key: key, run: run}
		it.button = k.newButton("", run)
		it.button.Alignment = widget.ButtonAlignLeading
		v.items = append(v.items, it)
		return it
	}
	v.dir = add('1', k.switchDirection)
	add('2', k.askUndo)
	add('3', func() { k.askAdjust(+1) })
	add('4', func() { k.askAdjust(-1) })
	v.override = add('5', k.askOverride)
	v.door = add('6', k.chooseDoor)
	v.recent = add('R', func() { k.picks.open() })
	v.sound = add('V', k.nextVolume)
	if k.opts.Printer != nil {
		v.print = add('P', func() { k.openPrintSearch() })
		v.printer = add('Q', k.choosePrinter)
	}
	if k.opts.SetTheme != nil {
		v.theme = add('7', k.toggleTheme)
	}
	v.full = add('8', k.toggleFullScreen)
	add('9', k.lockStaff)
	if k.opts.Quit != nil {
		add('0', k.askQuit)
	}
	// A badge scanned while the menu is open arrives as a line of keys:
	// hotkeys hands it to Kiosk.scanned, so its digits pick no item.
	v.keys = k.newHotkeys(func(line string) {
		for _, it := range v.items {
			if strings.EqualFold(string(it.key), line) && !it.button.Disabled() {
				it.run()
				return
			}
		}
	}, func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyEscape {
			k.leave()
		}
	})
	// Two columns, three when there are many items (a kiosk that prints):
	// seven rows would not fit a 1024×600 screen under two gauges.
	cols := 2
	if len(v.items) > 12 {
		cols = 3
	}
	grid := container.NewGridWithColumns(cols)
	for _, it := range v.items {
		grid.Add(it.button)
	}
	hint := widget.NewLabel("Number or letter + Enter picks an item (or Tab, Space). Esc leaves and locks.")
	v.box = k.dialog(k.column(v.title, hint, v.keys, grid))
	return v
}

func (v *staffView) open() {
	k := v.k
	v.title.SetText("Staff — " + k.door.Name + " → " + k.ev.Space(k.door.To).Name)
	k.viewAt = k.Now()
	set := func(it *staffItem, text string) { it.button.SetText(fmt.Sprintf("%c   %s", it.key, text)) }
	set(v.dir, "Switch to "+k.nextMode())
	set(v.items[1], "Undo the last scan")
	set(v.items[2], "+1 without a badge")
	set(v.items[3], "−1 (a +1 left)")
	if k.denied != nil && k.Now().Sub(k.deniedAt) <= undoWindow {
		set(v.override, "Override: "+short(k.deniedBy, 20))
		v.override.button.Enable()
	} else {
		set(v.override, "Override (no denial)")
		v.override.button.Disable()
	}
	set(v.door, "Change door")
	set(v.recent, "Recent scans")
	set(v.sound, k.volumeLabel())
	if k.opts.Speaker == nil {
		v.sound.button.Disable()
	}
	if v.print != nil {
		set(v.print, "Print a badge")
		set(v.printer, "Choose the printer")
	}
	if v.theme != nil {
		if k.dark {
			set(v.theme, "Light theme")
		} else {
			set(v.theme, "Dark theme")
		}
	}
	if k.win.FullScreen() {
		set(v.full, "Leave full screen")
	} else {
		set(v.full, "Full screen")
	}
	for _, it := range v.items {
		switch it.key {
		case '9':
			set(it, "Lock staff mode")
		case '0':
			set(it, "Quit Usher")
		}
	}
	k.show(v.box)
	k.win.Canvas().Focus(v.keys)
}

// enrollPrefix starts an enrollment code (the value of sync/wire's
// EnrollPrefix; the screen does not import the protocol).
const enrollPrefix = "USHER-ENROLL:"

// enroll hands an enrollment code scanned in staff mode to Options.Enroll
// and shows how it went.
func (k *Kiosk) enroll(code string) {
	k.staffUntil = k.Now().Add(staffIdle) // a staff action, like a +1
	k.back()
	k.panel.show(toneWarn, "Enrolling with the central server…", "Scanning goes on meanwhile.")
	k.ready, k.holdUntil = false, k.Now().Add(holdBad)
	k.opts.Enroll(code, func(err error) {
		if err != nil {
			k.showError(err)
			return
		}
		// The kiosk scans at the door it was enrolled for from now on.
		k.refreshStanding()
		if s := k.standing; s.Enrolled && s.Door != k.door.ID && k.ev.Door(s.Door) != nil {
			k.moveTo(s.Door)
		}
		msg := "This kiosk now syncs with the central server."
		if note := k.standing.KeptNote(); note != "" {
			msg = note
		}
		k.panel.show(toneAdmit, "Enrolled", msg)
		k.ready, k.holdUntil = false, k.Now().Add(holdBad)
	})
}

// staffDone ends a staff action: staff mode stays unlocked staffIdle
// more, and the screen goes back to scanning, showing d if there is one.
func (k *Kiosk) staffDone(scan checkin.Scan, d *checkin.Decision, err error) {
	k.staffUntil = k.Now().Add(staffIdle)
	k.back()
	if d != nil {
		k.showDecision(scan, *d, err)
	}
}

// nextMode is the mode item 1 switches to: ENTRY → EXIT → PRINT (with
// a printer) → ENTRY.
func (k *Kiosk) nextMode() string {
	switch {
	case k.printMode:
		return "ENTRY"
	case k.dir == checkin.Entry:
		return "EXIT"
	case k.opts.Printer != nil:
		return modePrint
	}
	return "ENTRY"
}

func (k *Kiosk) switchDirection() {
	switch {
	case k.printMode:
		k.printMode, k.dir = false, checkin.Entry
	case k.dir == checkin.Entry:
		k.dir = checkin.Exit
	case k.opts.Printer != nil:
		k.printMode, k.dir = true, checkin.Entry
	default:
		k.dir = checkin.Entry
	}
	if k.printMode {
		k.save(settingDirection, modePrint)
	} else {
		k.save(settingDirection, string(k.dir))
	}
	k.showDoor()
	k.staffDone(checkin.Scan{}, nil, nil)
	k.showReady()
}

// chooseDoor offers a standalone kiosk the event's doors (doorsView).
// An enrolled kiosk stays at the door it was enrolled for (or goes back
// to it): the center refuses another door's scans and rights.
func (k *Kiosk) chooseDoor() {
	if s := k.standing; s.Enrolled {
		if k.ev.Door(s.Door) != nil && s.Door != k.door.ID {
			k.moveTo(s.Door)
			k.staff.open()
			return
		}
		name := s.Door
		if d := k.ev.Door(s.Door); d != nil {
			name = d.Name
		}
		k.staffDone(checkin.Scan{}, nil, nil)
		k.panel.show(toneWarn, "This kiosk is enrolled for door "+name+".", "To move it, the organizer retires it at the center; then enroll it with a code for the other door.")
		k.ready, k.holdUntil = false, k.Now().Add(holdBad)
		return
	}
	k.doors.open()
}

// moveTo makes door the kiosk's door, kept across a restart.
func (k *Kiosk) moveTo(door string) {
	k.door = k.ev.Door(door)
	k.denied = nil
	k.save(settingDoor, k.door.ID)
	k.showDoor()
}

func (k *Kiosk) toggleTheme() {
	k.dark = !k.dark
	k.save(settingTheme, map[bool]string{true: "dark", false: "light"}[k.dark])
	k.opts.SetTheme(k.theme())
	k.recolour()
	k.staff.open()
}

func (k *Kiosk) toggleFullScreen() {
	k.win.SetFullScreen(!k.win.FullScreen())
	k.staff.open()
}

func (k *Kiosk) lockStaff() {
	k.staffUntil = time.Time{}
	k.back()
}

// askQuit asks before quitting: a kiosk that quits scans nobody.
func (k *Kiosk) askQuit() {
	k.confirm.open("Quit Usher?", "Scanning stops until Usher is started again.", "Quit", func() {
		k.lockStaff()
		k.opts.Quit()
	})
}

// askUndo says what Undo takes back before it does: the last decision
// this screen recorded at this door. The store undoes the last one in
// the log, which is the same unless another program scanned at this
// door since, or the kiosk restarted.
func (k *Kiosk) askUndo() {
	what := "The last scan at this door (none made on this screen since it started)."
	if r := k.recorded; r != nil && r.door == k.door.ID {
		what = r.String()
	}
	k.confirm.open("Undo the last scan?", what, "Undo", k.undo)
}

// record is a decision the screen recorded, and when.
type record struct {
	door string
	at   time.Time
	d    checkin.Decision
}

// String says what the decision was, for staff deciding to undo it:
// "09:41:07 · Ada Lovelace · ADMIT".
func (r *record) String() string {
	who := "Unknown badge"
	switch {
	case r.d.Person != nil:
		who = r.d.Person.Name
	case r.d.Reason == checkin.HeadcountAdded:
		who = "+1 without a badge"
	case r.d.Reason == checkin.HeadcountRemoved || r.d.Reason == checkin.NothingToRemove:
		who = "−1 without a badge"
	case r.d.Reason == checkin.Undone || r.d.Reason == checkin.NothingToUndo:
		who = "An undo"
	}
	word := toneOf(r.d).word
	if r.d.Kind == checkin.Undo {
		word = "UNDONE"
	}
	return r.at.Local().Format("15:04:05") + " · " + who + " · " + word
}

func (k *Kiosk) undo() {
	d, err := k.b.Undo(k.ctx, k.door.ID, undoWindow)
	k.staffDone(checkin.Scan{}, &d, err)
}

func (k *Kiosk) askAdjust(delta int) {
	room := k.ev.Space(k.door.To).Name
	prompt, def := "+1 into "+room+": why?", "No badge"
	if delta < 0 {
		prompt, def = "−1 from "+room+": why?", "Left (no badge)"
	}
	k.note.open(prompt, def, true, func(note string) {
		d, err := k.b.Adjust(k.ctx, k.door.ID, delta, note)
		k.staffDone(checkin.Scan{}, &d, err)
	})
}

func (k *Kiosk) askOverride() {
	if k.denied == nil {
		return
	}
	k.override(*k.denied, k.deniedBy)
}

// override asks for the reason, then decides scan again with its denial
// of who waived; an admission clears the denial on the screen if it was
// theirs.
func (k *Kiosk) override(scan checkin.Scan, who string) {
	k.note.open("Override the denial of "+who+": why?", "", true, func(note string) {
		scan.Override, scan.Note = true, note
		d, err := k.b.Scan(k.ctx, scan)
		if err == nil && d.Kind == checkin.Admit && k.denied != nil && k.deniedBy == who {
			k.denied = nil
		}
		k.staffDone(scan, &d, err)
	})
}

func (k *Kiosk) save(key, value string) {
	if err := k.b.SetSetting(k.ctx, key, value); err != nil {
		k.showError(err)
	}
}

// showError puts a problem on the panel as a warning.
func (k *Kiosk) showError(err error) {
	k.back()
	k.panel.show(toneWarn, "Something went wrong", checkin.ErrorMessage(err))
	k.ready, k.holdUntil = false, k.Now().Add(holdBad)
}

// noteView asks staff for the reason behind a manual action.
type noteView struct {
	k      *Kiosk
	box    *fyne.Container
	prompt *widget.Label
	status *widget.Label
	entry  *keyEntry
	// suggested is taken when staff press Enter on the empty field.
	suggested string
	done      func(string)
	// staff: asked by a staff menu item, to which Esc goes back.
	staff bool
}

func newNoteView(k *Kiosk) *noteView {
	v := &noteView{k: k, prompt: widget.NewLabel(""), status: widget.NewLabel("")}
	v.prompt.TextStyle.Bold = true
	v.prompt.SizeName = "subHeadingText"
	v.entry = k.newField(func(e *fyne.KeyEvent) bool {
		if e.Name == fyne.KeyEscape {
			v.cancel()
			return true
		}
		return false
	})
	v.entry.OnSubmitted = v.submit
	ok := k.newButton("OK (Enter)", func() { v.submit(v.entry.Text) })
	ok.Importance = widget.HighImportance
	cancel := k.newButton("Cancel (Esc)", v.cancel)
	v.box = k.dialog(k.column(v.prompt, v.entry, v.status, container.NewHBox(ok, cancel)))
	return v
}

// open asks for a reason; staff is set when a staff menu item asks. A
// suggested reason shows in the empty field; Enter on the empty field
// takes it, and typing replaces it.
func (v *noteView) open(prompt, suggested string, staff bool, done func(string)) {
	v.prompt.SetText(prompt)
	v.suggested, v.done, v.staff = suggested, done, staff
	v.entry.SetText("")
	if suggested != "" {
		v.entry.SetPlaceHolder(suggested)
		v.status.SetText("Press Enter for \"" + suggested + "\", or type another reason.")
	} else {
		v.entry.SetPlaceHolder("")
		v.status.SetText("Type the reason and press Enter.")
	}
	v.k.show(v.box)
	v.k.viewAt = v.k.Now()
	v.k.win.Canvas().Focus(v.entry)
}

// cancel drops the reason: back to the staff menu that asked for it, or
// to scanning.
func (v *noteView) cancel() {
	if v.staff {
		v.k.staff.open()
		return
	}
	v.k.back()
}

func (v *noteView) submit(s string) {
	v.k.viewAt = v.k.Now()
	if s == "" {
		s = v.suggested
	}
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxNote {
		v.status.SetText(fmt.Sprintf("A reason is required (at most %d characters).", maxNote))
		return
	}
	v.done(s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// maxNote matches the store's bound on a staff note.
const maxNote = 500
