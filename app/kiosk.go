package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"usher/checkin"
)

// Timing of the scan screen.
const (
	// repeatWindow: some scanners send every code twice; the same code
	// again within this window is ignored, not denied.
	repeatWindow = time.Second
	// holdGood and holdBad: how long a result stays before "Ready".
	holdGood = 3 * time.Second
	holdBad  = 6 * time.Second
	// undoWindow: how old a scan staff may still undo.
	undoWindow = 2 * time.Minute
	// dialogIdle: the PIN prompt, the name search, a reason and a staff
	// question close after this long without a key, and the scanner
	// input has the focus again: staff who walked away must not leave
	// the next badges typed into a form (a scan into one is taken as a
	// scan, see burst.go, but a screen left open hides the result).
	dialogIdle = 20 * time.Second
	// staffIdle: the staff menu closes and staff mode locks after this
	// long without a key. After a staff action (a +1, an undo) staff
	// mode stays unlocked this long, so a run of +1s needs one PIN;
	// leaving the menu with Esc locks it at once.
	staffIdle = 30 * time.Second
	// dialogStale: a dialog opened after the dialogs were hidden this
	// long applies the theme again first (renewDialogs). Fyne forgets
	// what it has not drawn for a minute, checking every 10 s or so.
	dialogStale = 45 * time.Second
	// tickEvery: how often the running screen calls Tick.
	tickEvery = 250 * time.Millisecond
)

// alarmAdvice is what door staff must do while scans cannot be recorded.
const alarmAdvice = "Admit nobody: call staff. This stays until a scan is recorded again."

// What the screen says of a kiosk the center no longer trusts.
const (
	revokedWho    = "This kiosk was revoked: admit nobody, call the organizer."
	revokedAdvice = "Every scan is denied until this kiosk is enrolled again."
	forkedAlarm   = "This kiosk's log was restored or copied: enroll it again; its scans still count."
)

// Settings keys the screen keeps in the kiosk database.
const (
	settingDoor      = "door"
	settingDirection = "direction"
	settingTheme     = "theme"
	settingLockout   = "pin_lockout"
)

// Options configure a Kiosk.
type Options struct {
	Door      string            // door id; "" uses the last one chosen, else DefaultDoor, else the event's first
	Direction checkin.Direction // "" uses the last one chosen, else ENTRY
	Quit      func()            // called by staff "Quit"; nil hides the item
	SetTheme  func(fyne.Theme)  // applies a theme; nil hides the item
	// DefaultDoor is the door until staff choose one: the door the kiosk
	// was enrolled for.
	DefaultDoor string
	// OnScan, when set, is called after each decision is recorded (a
	// scan, an admission by name, an override, a headcount change, an
	// undo), on the UI goroutine: the sync pushes it soon. It must not
	// block.
	OnScan func()
	// Enroll, when set, enrolls this kiosk with an enrollment code
	// (sync/wire's EnrollPrefix) scanned in staff mode. It works in the
	// background and calls done on the UI goroutine.
	Enroll func(code string, done func(error))
	// Speaker plays a tone for each decision; nil: silent, and NoSound
	// says why in staff mode ("no audio device").
	Speaker Speaker
	NoSound string
	// Printer prints badges at the door (staff mode P, the PRINT mode of
	// a badge desk); nil hides printing.
	Printer BadgePrinter
}

// Kiosk is the door screen. Build it with New; the widgets are fields so
// tests can drive and read them.
type Kiosk struct {
	// Now is the screen's clock; tests replace it.
	Now func() time.Time

	b    Backend
	ev   *checkin.Event
	win  fyne.Window
	opts Options
	ctx  context.Context

	door *checkin.Door
	dir  checkin.Direction
	dark bool
	// standing is how the center regards this kiosk, as of the last tick.
	standing checkin.Standing
	// version is the database's DataVersion the screen last caught up
	// with; versionRead false until it has.
	version     int64
	versionRead bool

	// Top bar.
	doorName *canvas.Text
	dirBadge *canvas.Rectangle
	dirText  *canvas.Text
	// The result panel and the views that take its place.
	panel    *panel
	views    *fyne.Container
	pin      *pinView
	staff    *staffView
	note     *noteView
	search   *searchView
	confirm  *confirmView
	doors    *doorsView
	picks    *pickView
	printers *printerView
	// scale is the dialogs' theme, scaled the theme override they are
	// drawn in, to refresh when it changes, and dialogs the container
	// of it, shown while a dialog is (dialog.go). screens are the
	// result panel and the dialogs' boxes, one shown at a time.
	scale   *scaledTheme
	scaled  *container.ThemeOverride
	dialogs *fyne.Container
	screens []fyne.CanvasObject
	// dialogsShut is when the last dialog closed (dialogStale).
	dialogsShut time.Time
	// recent is the strip beside the panel (recent.go); recentDay the
	// local midnight its "today" counts from.
	recent    *recentList
	recentDay time.Time
	// Bottom.
	forked     *fyne.Container // the alarm of a forked log; hidden otherwise
	forkedText *canvas.Text
	gauges     *fyne.Container
	shared     *canvas.Text // how old the gauges' shared figure is; hidden when they are this kiosk's own
	entry      *keyEntry
	conn       *canvas.Text
	hints      *canvas.Text
	// root is the whole screen, once built.
	root *fyne.Container

	lastCode  string
	lastAt    time.Time
	holdUntil time.Time
	ready     bool

	// denied is the last overridable denial, for a staff override.
	denied   *checkin.Scan
	deniedAt time.Time
	deniedBy string

	// alarm, while the last decision could not be recorded, is why: the
	// panel shows it in place of Ready until a decision is recorded.
	alarm string

	// recorded is the last decision this screen recorded, for Undo to
	// say what it takes back; nil before the first.
	recorded *record

	// volume is the tones' volume in percent, 0 muted (sound.go).
	volume int
	// printMode: this kiosk is a badge desk, whose scans print badges
	// (print.go); printing is when each person's badge was last sent
	// to the printer here, and lastPerson whom the last scan named.
	printMode  bool
	printing   map[string]time.Time
	lastPerson *checkin.Person

	lock       lockout
	staffUntil time.Time // staff mode is unlocked until then
	viewAt     time.Time // when the view in front of the panel was opened or last had a key
}

// New builds the kiosk screen into w.
func New(w fyne.Window, b Backend, opts Options) (*Kiosk, error) {
	ev := b.Event()
	if ev == nil {
		return nil, checkin.Errorf(checkin.ENOTFOUND, "no event is loaded; run usher load --db … --event … --roster … first")
	}
	k := &Kiosk{Now: time.Now, b: b, ev: ev, win: w, opts: opts, ctx: context.Background(), printing: map[string]time.Time{}}
	if err := k.restore(); err != nil {
		return nil, err
	}
	k.build()
	k.refreshStanding()
	k.showReady()
	w.SetContent(k.content())
	k.focusScan()
	return k, nil
}

// restore picks the door and direction: options first, then for an
// enrolled kiosk the door it was enrolled for, then what staff chose last
// time, then the default door, then the event's first door and ENTRY.
func (k *Kiosk) restore() error {
	var err error
	if k.standing, err = k.b.Standing(k.ctx); err != nil {
		return err
	}
	door := k.opts.Door
	if door == "" && k.standing.Enrolled && k.ev.Door(k.standing.Door) != nil {
		door = k.standing.Door
	}
	if door == "" {
		saved, err := k.b.Setting(k.ctx, settingDoor)
		if err != nil {
			return err
		}
		door = saved
	}
	if door == "" {
		door = k.opts.DefaultDoor
	}
	if door == "" || k.ev.Door(door) == nil {
		if k.opts.Door != "" {
			return checkin.Errorf(checkin.EINVALID, "door %q is not in event %s", k.opts.Door, k.ev.ID)
		}
		door = k.ev.Doors[0].ID
	}
	k.door = k.ev.Door(door)
	k.dir = k.opts.Direction
	if k.dir == "" {
		saved, err := k.b.Setting(k.ctx, settingDirection)
		if err != nil {
			return err
		}
		k.dir = checkin.Direction(saved)
		k.printMode = saved == modePrint && k.opts.Printer != nil
	}
	if k.dir != checkin.Exit {
		k.dir = checkin.Entry
	}
	if err := k.restoreVolume(); err != nil {
		return err
	}
	lock, err := k.b.Setting(k.ctx, settingLockout)
	if err != nil {
		return err
	}
	k.lock.parse(lock)
	t, err := k.b.Setting(k.ctx, settingTheme)
	if err != nil {
		return err
	}
	k.dark = t == "dark"
	if k.opts.SetTheme != nil {
		k.opts.SetTheme(k.theme())
	}
	return nil
}

func (k *Kiosk) theme() fyne.Theme {
	if k.dark {
		return Dark
	}
	return Light
}

func (k *Kiosk) build() {
	k.doorName = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	k.doorName.TextSize, k.doorName.TextStyle.Bold = 32, true
	k.dirText = canvas.NewText("", white)
	k.dirText.TextSize, k.dirText.TextStyle.Bold = 32, true
	k.dirBadge = canvas.NewRectangle(dirEntry)
	k.dirBadge.CornerRadius = 8

	k.panel = newPanel()
	k.scale = &scaledTheme{factor: 1}
	k.pin = newPinView(k)
	k.staff = newStaffView(k)
	k.note = newNoteView(k)
	k.search = newSearchView(k)
	k.confirm = newConfirmView(k)
	k.doors = newDoorsView(k)
	k.picks = newPickView(k)
	k.printers = newPrinterView(k)
	k.screens = []fyne.CanvasObject{k.panel, k.pin.box, k.staff.box, k.note.box, k.search.box,
		k.confirm.box, k.doors.box, k.picks.box, k.printers.box}
	k.dialogs = k.dialogBoxes(k.screens[1:]...)
	k.views = container.New(viewsLayout{k}, k.panel, k.dialogs)

	k.recent = newRecentList()
	k.recent.window = func() fyne.Size { return k.win.Canvas().Size() }
	k.gauges = container.NewVBox()
	k.shared = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	k.shared.TextSize = 16
	k.shared.Alignment = fyne.TextAlignTrailing // under the gauges' counts
	k.shared.Hide()
	k.entry = newKeyEntry(k.scanKey)
	k.entry.SetPlaceHolder("Scan a badge, or type its code and press Enter")
	k.entry.OnSubmitted = func(s string) {
		k.entry.SetText("")
		k.Submit(s)
	}
	k.forkedText = canvas.NewText(forkedAlarm, toneWarn.fg)
	k.forkedText.TextSize, k.forkedText.TextStyle.Bold = 18, true
	k.forked = container.NewStack(canvas.NewRectangle(toneWarn.bg), container.NewPadded(k.forkedText))
	k.forked.Hide()
	k.conn = canvas.NewText("standalone", theme.Color(theme.ColorNameForeground))
	k.conn.TextSize = 16
	k.hints = canvas.NewText("F2 staff · F3 find by name", theme.Color(theme.ColorNameForeground))
	k.hints.TextSize = 16
	k.showDoor()
}

func (k *Kiosk) content() fyne.CanvasObject {
	dir := container.NewStack(k.dirBadge, container.NewPadded(k.dirText))
	top := container.NewBorder(nil, nil, nil, dir, container.NewPadded(k.doorName))
	bottom := container.NewVBox(
		k.forked,
		k.gauges,
		k.shared,
		container.NewBorder(nil, nil, nil, container.NewHBox(k.hints, widget.NewSeparator(), k.conn), k.entry),
	)
	k.root = container.NewPadded(container.NewBorder(top, bottom, nil, container.NewPadded(k.recent), k.views))
	return k.root
}

// recolour gives the screen's own texts the current theme's foreground,
// after a theme change.
func (k *Kiosk) recolour() {
	fg := theme.Color(theme.ColorNameForeground)
	for _, t := range []*canvas.Text{k.doorName, k.shared, k.conn, k.hints} {
		t.Color = fg
		t.Refresh()
	}
	for _, o := range k.gauges.Objects {
		o.Refresh()
	}
	k.recent.Refresh()
}

// showDoor refreshes the door, direction and gauges after a change.
func (k *Kiosk) showDoor() {
	k.doorName.Text = k.door.Name
	k.doorName.Refresh()
	switch {
	case k.printMode:
		k.dirText.Text, k.dirBadge.FillColor = modePrint, dirPrint
	case k.dir == checkin.Exit:
		k.dirText.Text, k.dirBadge.FillColor = "EXIT", dirExit
	default:
		k.dirText.Text, k.dirBadge.FillColor = "ENTRY", dirEntry
	}
	k.dirText.Refresh()
	k.dirBadge.Refresh()

	// The door's room first, then each space around it, out to the venue.
	chain := k.ev.Chain(k.door.To)
	k.gauges.RemoveAll()
	for i := len(chain) - 1; i >= 0; i-- {
		s := k.ev.Space(chain[i])
		k.gauges.Add(newGauge(s.ID, s.Name, s.Capacity))
	}
	k.refreshGauges()
	k.refreshRecent()
}

// refreshRecent reads this door's last decisions and its counts since
// local midnight into the strip beside the panel.
func (k *Kiosk) refreshRecent() {
	now := k.Now().Local()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	scans, err := k.b.Recent(k.ctx, k.door.ID, recentRows)
	if err != nil {
		k.SetConnection("database error: " + checkin.ErrorMessage(err))
		return
	}
	in, out, err := k.b.DoorToday(k.ctx, k.door.ID, day)
	if err != nil {
		k.SetConnection("database error: " + checkin.ErrorMessage(err))
		return
	}
	k.recentDay = day
	k.recent.set(in, out, scans)
}

// refreshGauges shows the current counts, and under them how old the
// shared figure they start from is.
func (k *Kiosk) refreshGauges() {
	occ := k.b.Occupancy()
	for _, o := range k.gauges.Objects {
		g := o.(*gauge)
		if occ[g.space] != g.n {
			g.set(occ[g.space])
		}
	}
	at, ok := k.b.PresenceAge()
	if ok {
		if s := sharedLine(at, k.Now(), len(k.gauges.Objects) > 1); s != k.shared.Text {
			k.shared.Text = s
			k.shared.Refresh()
		}
	}
	if ok != k.shared.Visible() {
		// The line takes room from the panel, or gives it back: lay the
		// screen out again (once it is built).
		if ok {
			k.shared.Show()
		} else {
			k.shared.Hide()
		}
		if k.root != nil {
			k.root.Refresh()
		}
	}
	if k.ready {
		k.showReady() // how full the door's space is
	}
}

// sharedLine says what an enrolled kiosk's gauges count and how old the
// center's part of it is: "count shared with all doors, as of 10:42:05",
// with "— 3 min ago" added once that figure is a minute old (the kiosk
// or the center is offline), so staff see a stale count at a glance.
// This door's own scans since are in the count as they happen. at is on
// the center's clock and now on this machine's: a figure that looks
// newer than now (clocks apart) is shown as fresh, never "-2 min ago".
func sharedLine(at, now time.Time, plural bool) string {
	s := "count"
	if plural {
		s = "counts"
	}
	s += " shared with all doors, as of " + at.Local().Format("15:04:05")
	switch age := now.Sub(at); {
	case age < time.Minute:
		return s
	case age < time.Hour:
		return fmt.Sprintf("%s — %d min ago", s, int(age/time.Minute))
	default:
		return fmt.Sprintf("%s — %d h %d min ago", s, int(age/time.Hour), int(age%time.Hour/time.Minute))
	}
}

// SetConnection sets the connection line ("standalone", "online",
// "offline since 14:02 — 12 scans waiting").
func (k *Kiosk) SetConnection(s string) {
	k.conn.Text = s
	k.conn.Refresh()
}

// Submit handles one code from the scanner or the keyboard: a repeat of
// the last code within a second is ignored; anything else is decided,
// recorded and shown.
func (k *Kiosk) Submit(code string) {
	code = strings.TrimSpace(code)
	if code == "" {
		return
	}
	now := k.Now()
	if code == k.lastCode && now.Sub(k.lastAt) < repeatWindow {
		return
	}
	k.lastCode, k.lastAt = code, now
	if k.printMode {
		k.printScan(code)
		return
	}
	scan := checkin.Scan{Code: code, Door: k.door.ID, Direction: k.dir}
	d, err := k.b.Scan(k.ctx, scan)
	k.showDecision(scan, d, err)
}

// showDecision puts a decision on the panel and remembers an overridable
// denial.
func (k *Kiosk) showDecision(scan checkin.Scan, d checkin.Decision, err error) {
	t := toneOf(d)
	who := ""
	if d.Person != nil {
		who = k.who(d.Person)
	}
	msg := d.Message
	switch {
	case err == nil:
		k.alarm = "" // a decision was recorded: the log works again
	case d.Reason == checkin.LogFailed && checkin.ErrorCode(err) == checkin.EINTERNAL:
		k.alarm = checkin.ErrorMessage(err)
		who, msg = "ALARM: "+k.alarm, alarmAdvice
	default:
		// A refused staff action, not a person turned away.
		t, msg = toneWarn, checkin.ErrorMessage(err)
	}
	k.panel.show(t, who, msg)
	k.play(t)
	if d.Person != nil {
		p := *d.Person
		k.lastPerson = &p
	}
	k.ready = false
	hold := holdGood
	if t.word != toneAdmit.word && t.word != toneExit.word {
		hold = holdBad
	}
	k.holdUntil = k.Now().Add(hold)
	// Only the denial on the screen can be overridden; any later
	// decision withdraws the offer.
	k.denied = nil
	if d.Kind == checkin.Deny && d.Reason.Overridable() && d.Person != nil {
		s := scan
		k.denied, k.deniedAt, k.deniedBy = &s, k.Now(), d.Person.Name
	}
	k.refreshGauges()
	if err == nil && d.Seq != 0 {
		k.recorded = &record{door: k.door.ID, at: k.Now(), d: d}
	}
	k.refreshRecent()
	if err == nil && k.opts.OnScan != nil {
		k.opts.OnScan() // no error: the decision is in the log
	}
}

// Tick is the screen's clock step: it returns the panel to Ready once a
// result has been shown long enough, closes a view left without a key
// (dialogIdle, the staff menu staffIdle), catches up with the database
// when anything was committed to it since (another process's scans, the
// sync's news, this kiosk's standing), refreshes the gauges (and how old
// their shared figure is) and the PIN lock countdown, and keeps the
// scanner input focused. The running app calls it a few times a second;
// tests call it after moving the clock. A tick with nothing due and
// nothing committed reads one number from the database and changes no
// widget, so an idle screen is not drawn again.
func (k *Kiosk) Tick() {
	now := k.Now()
	if !k.ready && !now.Before(k.holdUntil) {
		k.showReady()
	}
	if v := k.showing(); v != k.panel {
		idle := dialogIdle
		if v == k.staff.box {
			idle = staffIdle
		}
		if now.Sub(k.viewAt) >= idle {
			// Staff walked away: scan again, and lock staff mode.
			k.leave()
		}
	}
	if k.changed() {
		if err := k.b.Refresh(k.ctx); err != nil {
			k.SetConnection("database error: " + checkin.ErrorMessage(err))
		}
		k.refreshStanding()
	}
	k.refreshGauges()
	if l := now.Local(); !k.recentDay.Equal(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.Local)) {
		k.refreshRecent() // a new day: today's counts start again
	}
	k.pin.tick(now)
	if k.showing() == k.panel && k.win.Canvas().Focused() == nil {
		k.focusScan()
	}
}

// changed reports whether anything was committed to the database since
// the screen last caught up with it, and notes that it now does. A
// version that cannot be read counts as a change: catching up then says
// what is wrong.
func (k *Kiosk) changed() bool {
	v, err := k.b.DataVersion(k.ctx)
	if err != nil {
		k.versionRead = false
		return true
	}
	if k.versionRead && v == k.version {
		return false
	}
	k.version, k.versionRead = v, true
	return true
}

// refreshStanding takes in what the center last said of this kiosk, as
// the sync recorded it: a revoked kiosk shows so in place of Ready, a
// forked one its alarm above the gauges.
func (k *Kiosk) refreshStanding() {
	s, err := k.b.Standing(k.ctx)
	if err != nil {
		k.SetConnection("database error: " + checkin.ErrorMessage(err))
		return
	}
	old := k.standing
	k.standing = s
	if s.Revoked != old.Revoked && k.ready {
		k.showReady()
	}
	if s.Forked != k.forked.Visible() {
		if s.Forked {
			k.forked.Show()
		} else {
			k.forked.Hide()
		}
		if k.root != nil {
			k.root.Refresh()
		}
	}
}

// Run calls Tick on the UI goroutine until ctx ends.
func (k *Kiosk) Run(ctx context.Context) {
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fyne.Do(k.Tick)
		}
	}
}

// scanKey handles the scan input's special keys.
func (k *Kiosk) scanKey(e *fyne.KeyEvent) bool {
	switch e.Name {
	case fyne.KeyF2:
		k.openStaff()
	case fyne.KeyF3:
		k.openSearch()
	case fyne.KeyEscape:
		k.entry.SetText("")
	default:
		return false
	}
	return true
}

// show brings one view to the front, or the result panel for nil.
func (k *Kiosk) show(view fyne.CanvasObject) {
	if view == nil {
		view = k.panel
	}
	if view != k.confirm.box {
		k.confirm.run = nil // a question closed unanswered is no yes later
	}
	for _, o := range k.screens {
		if o == view {
			o.Show()
		} else {
			o.Hide()
		}
	}
	// The dialogs' container, never their theme override: showing or
	// refreshing an override starts a new theme scope, and Fyne keeps
	// the fonts it parsed for every scope until the theme changes, so a
	// dialog whose override was refreshed each time it showed grew the
	// kiosk by megabytes a time (memory_test.go). Only a new scale
	// refreshes the override (rescale).
	switch {
	case view == k.panel && k.dialogs.Visible():
		k.dialogs.Hide()
		k.dialogsShut = k.Now()
	case view != k.panel && !k.dialogs.Visible():
		k.renewDialogs()
		k.dialogs.Show()
	}
	// Lay the view out again: its texts were set while it was hidden,
	// and a centred dialog sizes to them.
	view.Refresh()
}

// renewDialogs applies the theme again before a dialog opens after the
// dialogs were hidden dialogStale or longer. Fyne forgets the renderers
// of what it has not drawn for a minute, and the override the dialogs
// are drawn in then starts a new theme scope when drawn again, for
// which Fyne parses the fonts again (some 9 MB) and keeps the old
// scope's until the theme changes: a kiosk whose staff searched or
// opened staff mode every few minutes grew by that much each time.
// Applying the theme drops every scope's fonts; the screen's own and
// the dialogs' are parsed again as they are drawn.
func (k *Kiosk) renewDialogs() {
	if k.opts.SetTheme == nil || k.dialogsShut.IsZero() || k.Now().Sub(k.dialogsShut) < dialogStale {
		return
	}
	k.opts.SetTheme(k.theme())
}

func (k *Kiosk) showing() fyne.CanvasObject {
	for _, o := range k.screens {
		if o.Visible() {
			return o
		}
	}
	return nil
}

// back returns to the scan view.
func (k *Kiosk) back() {
	k.show(nil)
	k.focusScan()
}

// scanned takes a code a scanner typed into a view in front of the scan
// view (burst.go): the view closes, what it asked is dropped (no PIN
// tried, no reason given, no search), and the code is decided as if
// typed into the scanner input. A scan ends staff mode as Esc does; in
// staff mode an enrollment code enrolls the kiosk instead.
func (k *Kiosk) scanned(code string) {
	code = strings.TrimSpace(code)
	if k.inStaff() && k.opts.Enroll != nil && strings.HasPrefix(code, enrollPrefix) {
		k.enroll(code)
		return
	}
	k.leave()
	k.Submit(code)
}

// leave goes back to the scan view; leaving a staff mode view locks
// staff mode.
func (k *Kiosk) leave() {
	if k.inStaff() {
		k.staffUntil = time.Time{}
	}
	k.back()
}

// touch notes a key in the view in front of the panel: it stays open
// dialogIdle (the staff menu staffIdle) from now.
func (k *Kiosk) touch() { k.viewAt = k.Now() }

// now reads Now at each call, for widgets built before tests replace it.
func (k *Kiosk) now() time.Time { return k.Now() }

// inStaff reports whether a staff mode view is in front: the menu, a
// question or list it opened, or a reason it asked for.
func (k *Kiosk) inStaff() bool {
	switch k.showing() {
	case k.staff.box, k.confirm.box, k.doors.box, k.picks.box, k.printers.box:
		return true
	case k.note.box:
		return k.note.staff
	}
	return false
}

// saveLock keeps the PIN lockout across a restart of the kiosk.
func (k *Kiosk) saveLock() { k.save(settingLockout, k.lock.String()) }

func (k *Kiosk) focusScan() { k.win.Canvas().Focus(k.entry) }
