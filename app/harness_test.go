package app

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"usher/checkin"
	"usher/demo"
	"usher/store"
	"usher/sync/wire"
)

// The tests drive the real screen over the real store: a SQLite file in
// t.TempDir() loaded with the demo event and a small roster of known
// people. The clock is fake and shared by the screen and the store, so
// holds, repeat windows, undo windows and lockouts are stepped, never
// slept through.

// start is the fake clock's first reading; fixed so goldens and logged
// times are deterministic.
var start = time.Date(2026, time.May, 14, 9, 0, 0, 0, time.UTC)

// clock is a fake clock that only moves when told.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }
func newClock() *clock                   { return &clock{now: start} }

// Demo event facts the tests rely on (assets/demo/event.toml).
const (
	staffPIN     = "2468"
	venue        = "venue"
	ballroom     = "ballroom"
	workshop     = "workshop-a"
	doorMain     = "main"
	doorBallroom = "ballroom-north"
	doorWorkshop = "workshop-a"
	workshopCap  = 40
	mainDoorName = "Main Entrance"
)

// People on the test roster.
var (
	ada   = checkin.Person{ID: "P001", Name: "Ada Lovelace", Company: "Acme Corp", Category: "attendee", Code: "U-ADA0000001"}
	grace = checkin.Person{ID: "P002", Name: "Grace Hopper", Company: "Globex", Category: "speaker", Code: "U-GRACE00002"}
	hedy  = checkin.Person{ID: "P003", Name: "Hedy Lamarr", Company: "Initech", Category: "exhibitor", Code: "U-HEDY000003"}
	alan  = checkin.Person{ID: "P004", Name: "Alan Turing", Company: "Hooli", Category: "attendee", Code: "U-ALAN000004"}
	// long has a name far wider than any screen at the panel's text size.
	long = checkin.Person{ID: "P005", Category: "attendee", Code: "U-LONG000005",
		Name: "Maria Aurelia Konstantinopoulou-Vanderbilt de la Santísima Trinidad y Montenegro-Castellanos Fitzgerald-Okonkwo"}
)

// unknownCode is plausible as a badge but on no roster.
const unknownCode = "U-NOBODY9999"

// speakers returns n speakers with workshop access, to fill Workshop
// Room A.
func speakers(n int) []checkin.Person {
	out := make([]checkin.Person, n)
	for i := range out {
		out[i] = checkin.Person{ID: fmt.Sprintf("S%03d", i+1), Name: fmt.Sprintf("Speaker %02d", i+1),
			Category: "speaker", Code: fmt.Sprintf("U-SPK%07d", i+1)}
	}
	return out
}

func roster() []checkin.Person {
	return append([]checkin.Person{ada, grace, hedy, alan, long}, speakers(workshopCap)...)
}

// harness is one kiosk screen on a real database.
type harness struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	app   fyne.App
	db    *store.DB
	w     fyne.Window
	k     *Kiosk
	quit  int // how often staff "Quit" ran
}

// MustOpenDB opens a fresh kiosk database in a temporary directory,
// loaded with the demo event and the test roster, on clock c.
func MustOpenDB(tb testing.TB, c *clock) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "kiosk.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.Now = c.Now
	if _, err := db.Load(context.Background(), demo.Event(), roster()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// MustKiosk opens a kiosk screen at 1024×600 with opts, wired like
// main.go does (Quit and SetTheme set).
func MustKiosk(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clock: newClock()}
	h.app = test.NewTempApp(t)
	h.db = MustOpenDB(t, h.clock)
	h.open(opts)
	return h
}

// open builds a (new) kiosk screen on h.db in a new window.
func (h *harness) open(opts Options) {
	h.t.Helper()
	if opts.Quit == nil {
		opts.Quit = func() { h.quit++ }
	}
	if opts.SetTheme == nil {
		opts.SetTheme = h.app.Settings().SetTheme
	}
	h.w = test.NewTempWindow(h.t, nil)
	h.w.Resize(fyne.NewSize(1024, 600))
	k, err := New(h.w, h.db, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	k.Now = h.clock.Now
	h.k = k
}

// focused is the widget keyboard input goes to.
func (h *harness) focused() fyne.Focusable {
	h.t.Helper()
	f := h.w.Canvas().Focused()
	if f == nil {
		h.t.Fatal("nothing has the keyboard focus")
	}
	return f
}

// Typing speeds the helpers below type at. A USB scanner types a key
// every few milliseconds, a person 80-250 ms apart; the screen tells
// them apart by its clock (see scanGap), so the helpers move the fake
// clock between keys.
const (
	scannerKeyGap = 10 * time.Millisecond
	humanKeyGap   = 150 * time.Millisecond
)

// typeText types s into the focused widget as a person does: the clock
// moves humanKeyGap before each key. No Tick runs meanwhile.
func (h *harness) typeText(s string) {
	h.t.Helper()
	f := h.focused()
	for _, r := range s {
		h.clock.Advance(humanKeyGap)
		f.TypedRune(r)
	}
}

// key sends one special key to the focused widget.
func (h *harness) key(name fyne.KeyName) {
	h.t.Helper()
	h.focused().TypedKey(&fyne.KeyEvent{Name: name})
}

// enter types s and Enter into the focused widget at a person's speed.
func (h *harness) enter(s string) {
	h.t.Helper()
	h.typeText(s)
	h.clock.Advance(humanKeyGap)
	h.key(fyne.KeyReturn)
}

// scan types a code and Enter into the scanner input, which must have
// the focus. The keys take no time on the clock, so a scan's time is
// where the test put the clock (repeat windows and holds are exact).
func (h *harness) scan(code string) {
	h.t.Helper()
	if f := h.w.Canvas().Focused(); f != fyne.Focusable(h.k.entry) {
		h.t.Fatalf("the scanner input does not have the focus (%T has it)", f)
	}
	test.Type(h.k.entry, code)
	h.key(fyne.KeyReturn)
}

// wedge types code and Enter the way a USB keyboard-wedge scanner does:
// a key every scannerKeyGap, each to whatever has the focus when it
// arrives.
func (h *harness) wedge(code string) {
	h.t.Helper()
	for _, r := range code {
		h.clock.Advance(scannerKeyGap)
		h.focused().TypedRune(r)
	}
	h.clock.Advance(scannerKeyGap)
	h.key(fyne.KeyReturn)
}

// advance moves the clock and runs the screen's clock step.
func (h *harness) advance(d time.Duration) {
	h.clock.Advance(d)
	h.k.Tick()
}

// unlockStaff opens staff mode with the PIN (or straight away while the
// staff session lasts).
func (h *harness) unlockStaff() {
	h.t.Helper()
	h.key(fyne.KeyF2)
	if h.k.pin.box.Visible() {
		h.enter(staffPIN)
	}
	if !h.k.staff.box.Visible() {
		h.t.Fatalf("staff menu not shown; PIN status %q", h.k.pin.status.Text)
	}
	if h.focused() != fyne.Focusable(h.k.staff.keys) {
		h.t.Fatal("the staff menu does not have the keyboard focus")
	}
}

// staffKey picks a staff menu item by its digit.
func (h *harness) staffKey(r rune) {
	h.t.Helper()
	h.k.staff.keys.TypedRune(r)
	h.k.staff.keys.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// wantPanel checks the result panel's word, colour and text. who and
// message are matched exactly.
func (h *harness) wantPanel(want tone, who, message string) {
	h.t.Helper()
	p := h.k.panel
	if !p.Visible() {
		h.t.Errorf("result panel hidden; showing %T", h.k.showing())
	}
	if p.word.Text != want.word {
		h.t.Errorf("panel word = %q, want %q (who %q, message %q)", p.word.Text, want.word, p.who.Text, p.msg)
	}
	if p.bg.FillColor != want.bg {
		h.t.Errorf("panel colour = %v, want %v (%s)", p.bg.FillColor, want.bg, want.word)
	}
	if p.icon.Resource != want.icon {
		h.t.Errorf("panel icon = %v, want the %s icon", p.icon.Resource, want.word)
	}
	for _, txt := range []struct {
		name      string
		got, want string
	}{{"who", p.who.Text, who}, {"message", p.msg, message}} {
		if txt.got != txt.want {
			h.t.Errorf("panel %s = %q, want %q", txt.name, txt.got, txt.want)
		}
	}
}

// wantReady checks the panel shows Ready.
func (h *harness) wantReady() {
	h.t.Helper()
	dir := "ENTRY"
	if h.k.dir == checkin.Exit {
		dir = "EXIT"
	}
	h.wantPanel(toneReady, "Ready — scan a badge", h.k.door.Name+" · "+dir)
}

// occ is the store's occupancy of a space.
func (h *harness) occ(space string) int { return h.db.Occupancy()[space] }

// gaugeText is what the gauge of space shows, "" if there is none.
func (h *harness) gaugeText(space string) string {
	for _, o := range h.k.gauges.Objects {
		if g := o.(*gauge); g.space == space {
			return g.count.Text
		}
	}
	return ""
}

// scanRow is one row of the scan log.
type scanRow struct {
	Seq                     int64
	At                      int64
	Door, Direction, Method string
	Code                    string
	Person                  sql.NullString
	Decision, Reason, Space string
	Note                    string
	From, Location          sql.NullString
	Delta                   int
	Undoes                  sql.NullInt64
}

// rows reads the whole scan log, oldest first.
func (h *harness) rows() []scanRow {
	h.t.Helper()
	rs, err := h.db.SQL().QueryContext(h.ctx, `
		SELECT seq, at, door, direction, method, code, person_id, decision, reason, space, note,
		       from_loc, location, delta, undoes
		FROM scans ORDER BY seq`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rs.Close()
	var out []scanRow
	for rs.Next() {
		var r scanRow
		if err := rs.Scan(&r.Seq, &r.At, &r.Door, &r.Direction, &r.Method, &r.Code, &r.Person, &r.Decision,
			&r.Reason, &r.Space, &r.Note, &r.From, &r.Location, &r.Delta, &r.Undoes); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// last is the newest row of the scan log.
func (h *harness) last() scanRow {
	h.t.Helper()
	rs := h.rows()
	if len(rs) == 0 {
		h.t.Fatal("the scan log is empty")
	}
	return rs[len(rs)-1]
}

// admitDirect records an entry straight through the store, as another
// kiosk would, for setting up a scenario.
func (h *harness) admitDirect(door, code string) {
	h.t.Helper()
	d, err := h.db.Scan(h.ctx, checkin.Scan{Code: code, Door: door, Direction: checkin.Entry})
	if err != nil || d.Kind != checkin.Admit {
		h.t.Fatalf("setup: admit %s at %s: %+v, %v", code, door, d, err)
	}
}

// limitByRights enrolls h's store for door, as the center would, so that
// it admits only by spending capacity rights: it holds rights of each
// counter the door increases, and the center last said free places of
// each are free at other doors. No center is reached.
func (h *harness) limitByRights(door string, rights, free int) {
	h.t.Helper()
	ev := h.db.Event()
	if err := h.db.Enroll(h.ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-test", Token: "t",
		Door: door, EventID: ev.ID}); err != nil {
		h.t.Fatalf("setup: enroll: %v", err)
	}
	var grants []wire.Grant
	elsewhere := map[string]int{}
	for i, c := range ev.Counters(door) {
		if rights > 0 {
			grants = append(grants, wire.Grant{ID: int64(i + 1), Counter: c, N: rights})
		}
		elsewhere[c] = free
	}
	if err := h.db.ApplyGrants(h.ctx, grants); err != nil {
		h.t.Fatalf("setup: grants: %v", err)
	}
	if err := h.db.SetElsewhere(h.ctx, elsewhere); err != nil {
		h.t.Fatalf("setup: free elsewhere: %v", err)
	}
}

// sharedAt is a moment for the center's count, later than the clock's
// start in every time zone and 10:42:05 on the local clock, so the
// screen's "as of 10:42:05" does not depend on where the test runs.
func sharedAt() time.Time {
	d := start.Add(48 * time.Hour).Local()
	return time.Date(d.Year(), d.Month(), d.Day(), 10, 42, 5, 0, time.Local)
}

// pullPresence applies a pull page to h's store as the sync does, saying
// the center counted counts at at, this kiosk's scans so far included.
// h must be enrolled (limitByRights) for the store to take it.
func (h *harness) pullPresence(at time.Time, counts map[string]int) {
	h.t.Helper()
	cursor, err := h.db.Cursor(h.ctx)
	if err != nil {
		h.t.Fatalf("setup: cursor: %v", err)
	}
	var through int64
	if rs := h.rows(); len(rs) > 0 {
		through = rs[len(rs)-1].Seq
	}
	if err := h.db.ApplyPull(h.ctx, wire.PullResponse{Cursor: cursor + 1,
		Presence: &wire.Presence{Through: through, At: at.UnixMilli(), Counts: counts}}); err != nil {
		h.t.Fatalf("setup: pull presence: %v", err)
	}
}
