package sim

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/server"
	"usher/sync/wire"
)

// World is one simulated event.
type World struct {
	cfg    Config
	rng    Source
	ctx    context.Context
	now    time.Time // true time
	calm   bool      // no faults: setting up or settling
	ev     *checkin.Event
	roster []checkin.Person
	center *center
	kiosks []*kiosk
	byz    *byzantine // nil unless Config.Byzantine
	people []*person
	late   []stashed
	stats  Stats
	step   int

	woken      []string                  // kiosk ids the center woke (centralstore.DB.Woken), to sync
	centerRSeq map[string]int64          // kiosk id → its events read from the center through this push (events.rseq)
	received   map[string]map[string]int // kiosk id → counter → returns the center received
	pushed     map[string]map[string]int // kiosk id → counter → spends − credits the center received
}

type center struct {
	path    string
	db      *centralstore.DB
	sql     *sql.DB // the checks' own handle
	handler http.Handler
}

type kiosk struct {
	i      int
	path   string
	door   string
	dir    checkin.Direction
	id     string // at the center
	db     *store.DB
	syncer *kiosksync.Syncer
	link   *link
	offset time.Duration // clock error

	lastRound time.Time // true time of its last sync round

	sql     *sql.DB   // the checks' own handle on its file
	rows    *sql.Stmt // its rights rows after a seq
	readSeq int64
	bal     map[string]int
	spent   map[string]int
	credit  map[string]int
	applied map[string]int            // grants applied
	ret     map[string]int            // returns logged
	open    map[string]map[int64]bool // counter → this kiosk's admissions not yet credited
}

type person struct {
	id, code string
	loc      string
	// stays are the person's stays as the scans open and close them by
	// the presence rules (checkin/presence.go), applied here in true
	// order with what the center can know of each event's order (its
	// stamp, its kiosk's pull cursor): where the center must count them
	// once it has every scan. They differ from loc after a walk-out
	// nobody scanned, and while an exit's order against an admission is
	// in doubt.
	stays []checkin.Stay
}

// layout is the simulated event: a venue with a ballroom of three doors
// (one straight from the street), a stage inside the ballroom and a
// workshop room; small capacities so they fill.
func layout() *checkin.Event {
	return &checkin.Event{
		ID: "sim", Name: "Simulated Conference",
		Spaces: []checkin.Space{
			{ID: "venue", Capacity: 14},
			{ID: "ballroom", Parent: "venue", Capacity: 7},
			{ID: "stage", Parent: "ballroom", Capacity: 2},
			{ID: "workshop", Parent: "venue", Capacity: 3, AntiPassback: true},
		},
		Doors: []checkin.Door{
			{ID: "main", From: checkin.Outside, To: "venue"},
			{ID: "side", From: checkin.Outside, To: "venue"},
			{ID: "b-north", From: "venue", To: "ballroom"},
			{ID: "b-south", From: "venue", To: "ballroom"},
			{ID: "b-street", From: checkin.Outside, To: "ballroom"},
			{ID: "stage", From: "ballroom", To: "stage"},
			{ID: "workshop", From: "venue", To: "workshop"},
		},
		Categories: []checkin.Category{{ID: "attendee", Name: "Attendee", MayEnter: []string{checkin.Everywhere}}},
	}
}

// kioskLayout is where the kiosks stand: an entry kiosk at every door,
// exit kiosks at some.
var kioskLayout = []struct {
	door string
	dir  checkin.Direction
}{
	{"main", checkin.Entry}, {"side", checkin.Entry}, {"b-north", checkin.Entry}, {"b-south", checkin.Entry},
	{"b-street", checkin.Entry}, {"stage", checkin.Entry}, {"workshop", checkin.Entry},
	{"main", checkin.Exit}, {"b-south", checkin.Exit}, {"stage", checkin.Exit}, {"workshop", checkin.Exit},
}

// exitsEverywhere adds exit kiosks at the ballroom's other two doors.
var exitsEverywhere = []struct {
	door string
	dir  checkin.Direction
}{{"b-north", checkin.Exit}, {"b-street", checkin.Exit}}

// chance is true with probability p, never while calm.
func (w *World) chance(p float64) bool {
	return !w.calm && w.rng.IntN(1000) >= 1000-int(p*1000)
}

// setUp builds the world, calm (no faults): the event and its people,
// the center with its roster, the kiosks at their doors, the byzantine
// kiosk if the run has one, and a first round of every kiosk's sync, so
// that rights are shared among them all; then it checks the world.
func (w *World) setUp() error {
	w.calm = true
	defer func() { w.calm = false }()
	w.ev = layout()
	if err := w.ev.Validate(); err != nil {
		return err
	}
	w.addPeople()
	if !w.cfg.RightsOff {
		if err := w.openCenter(); err != nil {
			return err
		}
		if _, err := w.center.db.Import(w.ctx, w.ev, w.roster, nil); err != nil {
			return err
		}
	}
	if err := w.placeKiosks(); err != nil {
		return err
	}
	if w.cfg.Byzantine && !w.cfg.RightsOff {
		if err := w.enrollByzantine(); err != nil {
			return err
		}
	}
	if err := w.firstRounds(); err != nil {
		return err
	}
	return w.check()
}

// addPeople puts Config.People people outside, each with a badge, and
// on the roster as attendees.
func (w *World) addPeople() {
	for i := range w.cfg.People {
		p := &person{id: fmt.Sprintf("P%03d", i+1), code: fmt.Sprintf("SIM-%03d", i+1), loc: checkin.Outside}
		w.people = append(w.people, p)
		w.roster = append(w.roster, checkin.Person{ID: p.id, Name: "Person " + p.id, Category: "attendee", Code: p.code})
	}
}

// placeKiosks opens a kiosk on a fresh database at every place of
// kioskLayout (and of exitsEverywhere with Config.ExitsAnyDoor) and
// enrolls it at the center; with the rights off, it loads the event and
// the roster instead, to decide alone.
func (w *World) placeKiosks() error {
	layout := kioskLayout
	if w.cfg.ExitsAnyDoor {
		layout = append(slices.Clone(layout), exitsEverywhere...)
	}
	for i, kl := range layout {
		k := &kiosk{i: i, path: filepath.Join(w.cfg.Dir, fmt.Sprintf("kiosk-%02d.db", i)), door: kl.door, dir: kl.dir,
			bal: map[string]int{}, spent: map[string]int{}, credit: map[string]int{}, applied: map[string]int{}, ret: map[string]int{},
			open: map[string]map[int64]bool{}}
		k.link = &link{w: w, kiosk: i}
		w.kiosks = append(w.kiosks, k)
		if err := w.openKiosk(k); err != nil {
			return err
		}
		if w.cfg.RightsOff {
			if _, err := k.db.LoadAll(w.ctx, w.ev, w.roster, nil); err != nil {
				return err
			}
			continue
		}
		if err := w.enroll(k); err != nil {
			return err
		}
	}
	return nil
}

// enroll enrolls kiosk k as an organizer does (docs/design.md "Sync"):
// the center makes a one-time code for k's door, and the kiosk trades it
// over its link for a token of its own.
func (w *World) enroll(k *kiosk) error {
	token, err := w.center.db.CreateEnrollment(w.ctx, k.door)
	if err != nil {
		return err
	}
	code := wire.EnrollCode{URL: "http://center.sim", Door: k.door, Token: token}.String()
	if err := kiosksync.Enroll(w.ctx, k.db, code, &http.Client{Transport: k.link}); err != nil {
		return fmt.Errorf("enroll kiosk %d: %w", k.i, err)
	}
	id, err := k.db.Identity(w.ctx)
	if err != nil {
		return err
	}
	k.id = id.KioskID
	return nil
}

// firstRounds has every kiosk sync once more after all are enrolled, so
// that rights are shared among them all.
func (w *World) firstRounds() error {
	for _, k := range w.kiosks {
		if k.syncer != nil {
			if _, err := k.syncer.Round(w.ctx); err != nil {
				return fmt.Errorf("first round of kiosk %d: %w", k.i, err)
			}
		}
	}
	return nil
}

// openCenter opens the center on its database (a fresh one, or after
// restartCenter the one it left) on the world's true clock; the checks'
// own handle on its file is opened once and kept.
func (w *World) openCenter() error {
	c := &center{path: filepath.Join(w.cfg.Dir, "center.db")}
	db, err := centralstore.Open(c.path)
	if err != nil {
		return err
	}
	db.Now = func() time.Time { return w.now }
	// A kiosk's loop keeps a wait open at the center (GET /v1/wait); here
	// the world syncs the kiosks the center wakes (wakeUp).
	db.Woken = func(kiosk string) { w.woken = append(w.woken, kiosk) }
	c.db, c.handler = db, server.New(db, log.New(io.Discard, "", 0))
	if w.center != nil && w.center.sql != nil {
		c.sql = w.center.sql
	} else if c.sql, err = sql.Open("sqlite", store.DSN(c.path)); err != nil {
		return err
	}
	w.center = c
	return nil
}

// openKiosk opens kiosk k on its database (a fresh one, or after a crash
// the one it left), on the world's true time plus k's clock error, and,
// with the rights on, its sync loop over its link.
func (w *World) openKiosk(k *kiosk) error {
	db, err := store.Open(k.path)
	if err != nil {
		return err
	}
	db.Now = func() time.Time { return w.now.Add(k.offset) }
	// The kiosk's monotonic clock runs with true time: a clock jump
	// (offset) moves its wall clock only.
	db.Mono = func() (int64, string) { return w.now.UnixNano(), "sim" }
	k.db = db
	if k.sql == nil {
		if k.sql, err = sql.Open("sqlite", store.DSN(k.path)); err != nil {
			return err
		}
		if k.rows, err = k.sql.Prepare(`SELECT seq, rights FROM scans WHERE seq > ? AND rights IS NOT NULL ORDER BY seq`); err != nil {
			return err
		}
	}
	if !w.cfg.RightsOff {
		k.syncer = kiosksync.New(db, &http.Client{Transport: k.link})
		k.syncer.Now = db.Now
		k.syncer.Log = log.New(io.Discard, "", 0)
		// As askRights does, without waiting on a real clock: while the
		// center says another door is giving a right back, that door's
		// wait is answered (wakeUp), and the kiosk asks again.
		db.AskRights = func(ctx context.Context) error {
			for range 4 {
				wait, err := k.syncer.AskRights(ctx)
				if err != nil || !wait || !w.wakeUp() {
					return err
				}
			}
			return nil
		}
	}
	return nil
}

// close closes every database of the run.
func (w *World) close() {
	for _, k := range w.kiosks {
		if k.db != nil {
			k.db.Close()
		}
		if k.sql != nil {
			k.rows.Close()
			k.sql.Close()
		}
	}
	if w.center != nil {
		w.center.db.Close()
		w.center.sql.Close()
	}
}

// pickPerson picks one of the people ok accepts; nil if none.
func (w *World) pickPerson(ok func(*person) bool) *person {
	var c []*person
	for _, p := range w.people {
		if ok(p) {
			c = append(c, p)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[w.rng.IntN(len(c))]
}

// pickKiosk picks one of the running kiosks ok accepts; nil if none.
func (w *World) pickKiosk(ok func(*kiosk) bool) *kiosk {
	var c []*kiosk
	for _, k := range w.kiosks {
		if k.db != nil && ok(k) {
			c = append(c, k)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[w.rng.IntN(len(c))]
}
