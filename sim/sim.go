// Package sim is a deterministic simulation of an event's check-in:
// real kiosk databases (store) making real decisions, a real central
// database and its real HTTP handler (centralstore, sync/server), and the
// kiosks' real sync rounds (sync/kiosksync), over a simulated network
// that loses, duplicates and delays messages and partitions kiosks from
// the center. People enter, leave, leave without scanning and scan
// twice; kiosks crash and restart with their databases; kiosk clocks
// jump. One random source drives it all, so a seed replays a run.
//
// After every step it checks what Usher promises about capacity
// (docs/design.md "Capacity rights"): no space ever holds more people
// than its capacity; for every counter, people inside + rights held by kiosks +
// the center's reserve + rights in transit = capacity + debt; nothing is
// negative. At the end it heals the network, lets the kiosks sync, and
// checks that the center and the kiosks agree and that every kiosk has
// rights of its door's counters while the center has any to give.
//
// A run may add a byzantine kiosk (Config.Byzantine): a real token in the
// wrong hands, sending the center anything. The center's books must
// still balance and every honest kiosk's event be believed.
package sim

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"math/rand/v2"
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

// Config is one run.
type Config struct {
	Seed   uint64
	Steps  int
	Dir    string // where the databases are created
	People int

	// RightsOff runs every kiosk standalone: each decides by counting its
	// own scans, with no capacity rights — a door at a time. The checks
	// must then find a space over its capacity.
	RightsOff bool

	// Chances of network faults, per request.
	DropRequest, DropResponse, Duplicate, Delay float64

	// Interval is how often each kiosk syncs on its own (0: only when a
	// step says so).
	Interval time.Duration

	// Outages weighs the steps that cut kiosks off, crash them, jump
	// their clocks and restart the center (1: as often as DefaultConfig
	// has them; 0: never).
	Outages int
	// Sloppy weighs people leaving without scanning and scanners reading
	// a badge twice (1: as DefaultConfig; 0: never).
	Sloppy int

	// ExitsAnyDoor puts an exit kiosk at every door of the ballroom (it
	// has three), so people leave by whichever door, not the one that
	// admitted them.
	ExitsAnyDoor bool
	// SyncEveryScan: each kiosk's loop pushes every scan before the next
	// thing happens, as a kiosk on a working network does within a
	// second (kiosksync.DefaultDelay); otherwise only every other time.
	SyncEveryScan bool
	// MaxRefusedWithRoom fails the run when more than this share of
	// entries was refused for capacity while the space had room at a
	// door that could reach the center (0: not checked). A door cut off
	// has only its own share to spend: its refusals are the offline
	// promise kept, and are counted apart.
	MaxRefusedWithRoom float64

	// Byzantine adds a kiosk identity in the wrong hands: enrolled for
	// door "stage" with a real token, it keeps no database and sends
	// the center anything (byzantine.go): admissions of real and made-up
	// people spending rights it holds or not, moves through other doors
	// and into other spaces, returns of a million, credits of any
	// admission, staff ±1s anywhere, replays and forks of its own log,
	// other kiosks' events as its own, stamps years off, batches that
	// fail validation, and rights requests for its door with any report
	// and for other doors. After every step the center's own books must
	// balance (per counter: inside + closed awaiting credit + every
	// kiosk's holding + reserve = capacity + debt, nothing negative,
	// inside at most capacity + debt), every honest kiosk's books must
	// balance as in any run, with the byzantine's part read from the
	// center (its holding, its believed admissions not credited), and
	// the center must have believed every honest kiosk's event.
	//
	// A kiosk can still lie about who went through its own door: an
	// exit it makes up for someone real closes their stays, and an
	// admission closes the stays it contradicts elsewhere (checkin
	// Event.Settle). The center cannot tell that from the truth, and
	// the doors, trusting its count, let more people in than the space
	// holds. So in these runs the capacity check is made on the center's
	// count instead of the people inside, and the checks that the
	// rights account for everyone inside, that after settling every
	// count is the people inside plus the walk-outs, and that a door
	// out of rights then gets one on the spot, are left out; the kiosks
	// must still agree with the center.
	Byzantine bool

	// Source, when set, makes every choice instead of a generator seeded
	// with Seed: a property-testing library drives the run through it and
	// shrinks a failing run to a short one. Choices of 0 are the plain
	// ones (no fault, the first action), so a smaller run is a simpler one.
	Source Source
}

// Source chooses: IntN returns a number in [0, n).
type Source interface {
	IntN(n int) int
}

// ConnectedConfig is a run with the network always up and careful
// people: no loss, no partition, no crash, no walk-out. Every entry
// refused for capacity while the space had room counts against
// liveness; over 2 % fails the run.
func ConnectedConfig(seed uint64, steps int, dir string) Config {
	return Config{Seed: seed, Steps: steps, Dir: dir, People: 40, Interval: kiosksync.DefaultInterval, SyncEveryScan: true,
		MaxRefusedWithRoom: 0.02}
}

// DefaultConfig is a run with faults common enough to matter. Odd seeds
// have a rough network, outages, people who leave without scanning and
// badges read twice; even seeds a network that rarely fails and careful
// people, so that rooms fill with people rather than with rights no exit
// gave back (an unscanned exit, or one the center cannot match: see the
// README), and the capacity check is tested at the brim.
func DefaultConfig(seed uint64, steps int, dir string) Config {
	cfg := Config{Seed: seed, Steps: steps, Dir: dir, People: 40, Interval: kiosksync.DefaultInterval,
		DropRequest: 0.03, DropResponse: 0.03, Duplicate: 0.03, Delay: 0.03, Outages: 1, Sloppy: 1}
	if seed%2 == 0 {
		cfg.DropRequest, cfg.DropResponse, cfg.Duplicate, cfg.Delay, cfg.Outages, cfg.Sloppy = 0.002, 0.002, 0.01, 0.01, 0, 0
	}
	return cfg
}

// Stats counts what a run did.
type Stats struct {
	Steps, Scans, Admits, Denials, OutOfRights, Exits    int
	Rounds, FailedRounds, Lost, Duplicated, Delivered    int
	Late, Crashes, Restarts, Partitions, Jumps, Reopened int
	Twice, CapChanges                                    int
	MaxOccupancy                                         map[string]int

	// Liveness: entries scanned, and of them those refused for capacity
	// (room_full, venue_full, door_out_of_capacity) while every space
	// the door leads into had room (hasRoom).
	Entries, RefusedWithRoom int
	// RefusedCutOff counts those of RefusedWithRoom refused at a door cut
	// off from the center, which can only spend its own share.
	RefusedCutOff int
	// Full counts entries refused for capacity at all: the rooms filled.
	Full int
	// Accuracy after settling, per space summed: people the center
	// counts who are not inside, as the scans say it must (they walked
	// out unscanned, or an exit's order against their admission is in
	// doubt), and the counts that matched.
	WalkOuts, SpacesChecked int
	// MaxCounted is the most people the center counted in each space at
	// once (its rights books' inside).
	MaxCounted map[string]int

	// The byzantine kiosk (Config.Byzantine): the events it pushed, and
	// of them those the center stored and refused to believe, those it
	// held already (duplicates), those in batches that failed validation
	// (answered 400, none stored); the events the center kept on a
	// branch of its log (forks); its rights requests, and of them those
	// refused (another door, 409; or invalid, 400); and the most rights
	// of one counter the center counted it holding at once. Of its
	// events the center believed: the admissions (stays opened), and the
	// honest kiosks' stays its events closed, exits and admissions the
	// center cannot tell from the truth.
	Byzantine, ByzantineRefused, ByzantineDuplicates, ByzantineInvalid, ByzantineForks int
	ByzantineAdmitted, ByzantineClosed                                                 int
	ByzantineRights, ByzantineRightsRefused, ByzantineHeld                             int
}

// Violation is a broken promise, with what replays it.
type Violation struct {
	Seed         uint64
	Step         int
	What         string
	OverCapacity bool // a space held more people than its capacity
}

func (v *Violation) Error() string {
	return fmt.Sprintf("seed %d, step %d: %s", v.Seed, v.Step, v.What)
}

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

// Run runs one simulation and returns what it did, and the first
// violation found (a *Violation) or another error.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	var src Source = rand.New(rand.NewPCG(cfg.Seed, 0x75736865))
	if cfg.Source != nil {
		src = cfg.Source
	}
	w := &World{cfg: cfg, rng: src, ctx: ctx,
		now:      time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC),
		received: map[string]map[string]int{}, pushed: map[string]map[string]int{}, centerRSeq: map[string]int64{}}
	w.stats.MaxOccupancy, w.stats.MaxCounted = map[string]int{}, map[string]int{}
	defer w.close()
	if err := w.setUp(); err != nil {
		return w.stats, fmt.Errorf("seed %d: set up: %w", cfg.Seed, err)
	}
	for w.step = 1; w.step <= cfg.Steps; w.step++ {
		if err := w.act(); err != nil {
			return w.stats, w.violation(err)
		}
		w.stats.Steps++
		if err := w.check(); err != nil {
			return w.stats, w.violation(err)
		}
	}
	if err := w.settle(); err != nil {
		return w.stats, w.violation(err)
	}
	if m := w.cfg.MaxRefusedWithRoom; m > 0 && w.stats.Entries > 0 {
		n := w.stats.RefusedWithRoom - w.stats.RefusedCutOff
		if share := float64(n) / float64(w.stats.Entries); share > m {
			return w.stats, &Violation{Seed: w.cfg.Seed, Step: w.step, What: fmt.Sprintf(
				"%d of %d entries (%.1f %%) were refused for capacity while the space had room at a door that could reach the center; "+
					"at most %.0f %% may be", n, w.stats.Entries, 100*share, 100*m)}
		}
	}
	return w.stats, nil
}

func (w *World) violation(err error) error {
	if v, ok := err.(*Violation); ok {
		return v
	}
	return &Violation{Seed: w.cfg.Seed, Step: w.step, What: err.Error()}
}

// chance is true with probability p, never while calm.
func (w *World) chance(p float64) bool {
	return !w.calm && w.rng.IntN(1000) >= 1000-int(p*1000)
}

func (w *World) setUp() error {
	w.calm = true
	defer func() { w.calm = false }()
	w.ev = layout()
	if err := w.ev.Validate(); err != nil {
		return err
	}
	for i := range w.cfg.People {
		p := &person{id: fmt.Sprintf("P%03d", i+1), code: fmt.Sprintf("SIM-%03d", i+1), loc: checkin.Outside}
		w.people = append(w.people, p)
		w.roster = append(w.roster, checkin.Person{ID: p.id, Name: "Person " + p.id, Category: "attendee", Code: p.code})
	}
	if !w.cfg.RightsOff {
		if err := w.openCenter(); err != nil {
			return err
		}
		if _, err := w.center.db.Import(w.ctx, w.ev, w.roster, nil); err != nil {
			return err
		}
	}
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
		token, err := w.center.db.CreateEnrollment(w.ctx, k.door)
		if err != nil {
			return err
		}
		code := wire.EnrollCode{URL: "http://center.sim", Door: k.door, Token: token}.String()
		if err := kiosksync.Enroll(w.ctx, k.db, code, &http.Client{Transport: k.link}); err != nil {
			return fmt.Errorf("enroll kiosk %d: %w", i, err)
		}
		id, err := k.db.Identity(w.ctx)
		if err != nil {
			return err
		}
		k.id = id.KioskID
	}
	if w.cfg.Byzantine && !w.cfg.RightsOff {
		if err := w.enrollByzantine(); err != nil {
			return err
		}
	}
	// Every kiosk syncs once more, so rights are shared among them all.
	for _, k := range w.kiosks {
		if k.syncer != nil {
			if _, err := k.syncer.Round(w.ctx); err != nil {
				return fmt.Errorf("first round of kiosk %d: %w", k.i, err)
			}
		}
	}
	return w.check()
}

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

// act takes one step: time passes, then one thing happens.
func (w *World) act() error {
	if w.rng.IntN(50) == 49 {
		w.now = w.now.Add(time.Duration(1+w.rng.IntN(10)) * time.Minute)
	} else {
		// At least a tenth of a second: nobody is admitted and out again
		// quicker than the stamps can tell apart.
		w.now = w.now.Add(time.Duration(100+w.rng.IntN(2900)) * time.Millisecond)
	}
	// Each kiosk's loop runs a round every Interval of true time, as
	// kiosksync's ticker does.
	if w.cfg.Interval > 0 {
		for _, k := range w.kiosks {
			if k.syncer == nil {
				continue
			}
			// As the kiosk's loop does: quicker near a cap. (Whether it is
			// near one is asked only when that would make it sync now.)
			since := w.now.Sub(k.lastRound)
			due := since >= w.cfg.Interval
			if !due && since >= kiosksync.TightInterval {
				tight, err := k.db.Tight(w.ctx)
				due = err == nil && tight
			}
			if due {
				if err := w.round(k); err != nil {
					return err
				}
			}
		}
	}
	type action struct {
		weight int
		do     func() error
	}
	actions := []action{
		{30, w.enter}, {14, w.exit}, {w.cfg.Sloppy, w.leaveUnscanned}, {2, w.phantomExit}, {2, w.turn},
	}
	if !w.cfg.RightsOff {
		o := w.cfg.Outages
		actions = append(actions, action{1, w.marshal}, action{20, w.syncRound}, action{2 * o, w.partition}, action{4, w.heal},
			action{o, w.crash}, action{3, w.restart}, action{o, w.jumpClock}, action{3, w.deliverLate}, action{o, w.restartCenter})
		if w.byz != nil {
			actions = append(actions, action{4, w.byzantineActs})
		}
	}
	total := 0
	for _, a := range actions {
		total += a.weight
	}
	n := w.rng.IntN(total)
	for _, a := range actions {
		if n < a.weight {
			if err := a.do(); err != nil {
				return err
			}
			w.wakeUp()
			return nil
		}
		n -= a.weight
	}
	return nil
}

// wakeUp syncs the kiosks the center woke, as their waits at the center
// make them do (a kiosk cut off never hears); it reports whether any
// synced.
func (w *World) wakeUp() bool {
	synced := false
	for range 4 {
		woken := w.woken
		w.woken = nil
		if len(woken) == 0 {
			break
		}
		for _, id := range woken {
			for _, k := range w.kiosks {
				if k.id == id && k.syncer != nil && !k.link.down {
					if err := w.round(k); err == nil {
						synced = true
					}
				}
			}
		}
	}
	return synced
}

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

// scan scans code at k and counts the outcome. A scan that cannot be
// recorded is a failure of the run: the simulated disk never fails.
func (w *World) scan(k *kiosk, code string) (checkin.Decision, error) {
	room, err := w.hasRoom(k.door)
	if err != nil {
		return checkin.Decision{}, err
	}
	d, err := k.db.Scan(w.ctx, checkin.Scan{Code: code, Door: k.door, Direction: k.dir})
	if err != nil {
		return d, fmt.Errorf("kiosk %d (%s %s) scan %s: %v", k.i, k.door, k.dir, code, err)
	}
	w.stats.Scans++
	w.learn(k, code, d)
	if k.dir == checkin.Entry {
		w.stats.Entries++
		if d.Reason.ForCapacity() {
			w.stats.Full++
			if room {
				w.stats.RefusedWithRoom++
				if k.link.down {
					w.stats.RefusedCutOff++
				}
			}
		}
	}
	if w.cfg.Sloppy > 0 && w.rng.IntN(20) == 19 {
		// The scanner sends the same badge twice.
		d2, err := k.db.Scan(w.ctx, checkin.Scan{Code: code, Door: k.door, Direction: k.dir})
		if err != nil {
			return d, fmt.Errorf("kiosk %d (%s %s) second scan %s: %v", k.i, k.door, k.dir, code, err)
		}
		w.learn(k, code, d2)
		w.stats.Twice++
	}
	switch {
	case d.Kind == checkin.Admit:
		w.stats.Admits++
	case d.Kind == checkin.Leave:
		w.stats.Exits++
	case d.Reason == checkin.OutOfCapacity:
		w.stats.OutOfRights++
		w.stats.Denials++
	default:
		w.stats.Denials++
	}
	if k.syncer != nil && (w.rng.IntN(2) == 0 || w.cfg.SyncEveryScan) {
		// The kiosk's loop pushes soon after a scan: often before the
		// next thing happens at the door.
		if err := w.round(k); err != nil {
			return d, err
		}
	}
	return d, nil
}

// hasRoom reports whether every space an entry through door counts into
// has fewer people than its capacity at the center, counting each person
// where the scans put them (known): someone who walked out
// unscanned holds their place, as no door can know better. Without
// walk-outs (careful people), that is the people physically inside.
func (w *World) hasRoom(door string) (bool, error) {
	if w.cfg.RightsOff {
		return true, nil
	}
	ev, err := w.center.db.Event(w.ctx)
	if err != nil {
		return false, err
	}
	for _, c := range w.ev.Counters(door) {
		n := 0
		for _, p := range w.people {
			if slices.Contains(w.ev.Chain(w.known(p)), c) {
				n++
			}
		}
		if n >= ev.Space(c).Capacity {
			return false, nil
		}
	}
	return true, nil
}

// learn applies a recorded decision to the stays of its person, by the
// presence rules, as the center will once it has every event: an
// admission opens a stay of each space it spent a right of (crediting
// the kiosk's own earlier one there) and settles what it contradicts;
// an exit closes the stays of the spaces it leaves that certainly came
// before it.
func (w *World) learn(k *kiosk, code string, d checkin.Decision) {
	var p *person
	for _, q := range w.people {
		if q.code == code {
			p = q
		}
	}
	if p == nil || (d.Kind != checkin.Admit && d.Kind != checkin.Leave) || w.cfg.RightsOff {
		return
	}
	mark := w.markOf(k, d.Seq)
	w.refreshRSeq(p)
	var close []int
	if d.Kind == checkin.Admit {
		for i, st := range p.stays {
			if st.Kiosk == k.id && slices.Contains(w.ev.Counters(k.door), st.Counter) {
				close = append(close, i) // the kiosk credits its own (checkin.State.Readmits)
			}
		}
		p.stays = drop(p.stays, close)
		for _, c := range w.ev.Counters(k.door) {
			p.stays = append(p.stays, checkin.Stay{Holder: p.id, Kiosk: k.id, Seq: d.Seq, Counter: c,
				Dest: w.ev.Door(k.door).To, Stamp: mark.Stamp, HLC: mark.HLC, Cursor: mark.Cursor})
		}
		close = w.ev.Settle(p.stays)
	} else {
		close = w.ev.ExitCloses(k.door, mark, p.stays)
	}
	p.stays = drop(p.stays, close)
}

// drop returns stays without those at the indexes idx.
func drop(stays []checkin.Stay, idx []int) []checkin.Stay {
	var out []checkin.Stay
	for i, s := range stays {
		if !slices.Contains(idx, i) {
			out = append(out, s)
		}
	}
	return out
}

// markOf reads how the center will see the kiosk's row seq: its stamp
// (none without an estimate: then its hybrid clock, which proves no
// order), hybrid clock and pull cursor.
func (w *World) markOf(k *kiosk, seq int64) checkin.Mark {
	m := checkin.Mark{Kiosk: k.id, Seq: seq}
	var h int64
	if err := k.sql.QueryRowContext(w.ctx, `SELECT t, terr, hlc, cursor FROM scans WHERE seq = ?`, seq).
		Scan(&m.Stamp.T, &m.Stamp.Err, &h, &m.Cursor); err != nil {
		panic(fmt.Sprintf("kiosk %d row %d: %v", k.i, seq, err))
	}
	m.HLC = uint64(h)
	if !m.Stamp.Known() || m.Stamp.Err > wire.MaxStampErr {
		m.Stamp = checkin.Stamp{T: h >> 16, Err: -1}
	}
	return m
}

// refreshRSeq fills in the server sequence of the pushes that stored the
// person's admissions, once the center has them: an exit whose kiosk
// had pulled that far certainly came after.
func (w *World) refreshRSeq(p *person) {
	for i, st := range p.stays {
		if st.RSeq == 0 {
			_ = w.center.sql.QueryRowContext(w.ctx, `SELECT rseq FROM events WHERE kiosk_id = ? AND seq = ?`, st.Kiosk, st.Seq).
				Scan(&p.stays[i].RSeq)
		}
	}
}

// known is where the person's stays put them.
func (w *World) known(p *person) string {
	var counters []string
	for _, st := range p.stays {
		counters = append(counters, st.Counter)
	}
	return w.ev.Innermost(counters)
}

// enter: someone walks up to an entry kiosk at a door on their side and
// scans; admitted, they go in.
func (w *World) enter() error {
	p := w.pickPerson(func(*person) bool { return true })
	k := w.pickKiosk(func(k *kiosk) bool { return k.dir == checkin.Entry && w.ev.Door(k.door).From == p.loc })
	if k == nil {
		return nil
	}
	d, err := w.scan(k, p.code)
	if err == nil && d.Kind == checkin.Admit {
		p.loc = w.ev.Door(k.door).To
	}
	return err
}

// exit: someone inside leaves through a door with an exit kiosk, and
// scans; exits are never held up, so they leave whatever it says.
func (w *World) exit() error {
	p := w.pickPerson(func(p *person) bool { return p.loc != checkin.Outside })
	if p == nil {
		return nil
	}
	k := w.pickKiosk(func(k *kiosk) bool { return k.dir == checkin.Exit && w.ev.Door(k.door).To == p.loc })
	if k == nil {
		return nil
	}
	_, err := w.scan(k, p.code)
	p.loc = w.ev.Door(k.door).From
	return err
}

// leaveUnscanned: someone slips out of their room without scanning.
func (w *World) leaveUnscanned() error {
	p := w.pickPerson(func(p *person) bool { return p.loc != checkin.Outside })
	if p != nil {
		if parent := w.ev.Space(p.loc).Parent; parent != "" {
			p.loc = parent
		} else {
			p.loc = checkin.Outside
		}
	}
	return nil
}

// marshal: the fire marshal lowers a space's capacity at the center, or
// puts a lowered one back.
func (w *World) marshal() error {
	sp := w.ev.Spaces[w.rng.IntN(len(w.ev.Spaces))]
	ev, err := w.center.db.Event(w.ctx)
	if err != nil {
		return err
	}
	now := ev.Space(sp.ID).Capacity
	n := sp.Capacity
	if now == sp.Capacity {
		n = max(1, now-1-w.rng.IntN(max(1, now/2)))
	}
	if n == now {
		return nil
	}
	w.stats.CapChanges++
	_, err = w.center.db.SetCapacity(w.ctx, sp.ID, n)
	return err
}

// turn: staff switch a kiosk between ENTRY and EXIT, at a door with a
// second kiosk that keeps it open for entry.
func (w *World) turn() error {
	k := w.kiosks[w.rng.IntN(len(w.kiosks))]
	if k.dir == checkin.Exit {
		k.dir = checkin.Entry
		return nil
	}
	for _, o := range w.kiosks {
		if o != k && o.door == k.door && o.dir == checkin.Entry {
			k.dir = checkin.Exit
			return nil
		}
	}
	return nil
}

// phantomExit: someone who is not in a room scans at its exit kiosk (a
// badge scanned from the wrong side, a friend's badge).
func (w *World) phantomExit() error {
	k := w.pickKiosk(func(k *kiosk) bool { return k.dir == checkin.Exit })
	if k == nil {
		return nil
	}
	p := w.pickPerson(func(p *person) bool { return !w.ev.Leaves(k.door, p.loc) })
	if p == nil {
		return nil
	}
	_, err := w.scan(k, p.code)
	return err
}

func (w *World) syncRound() error {
	k := w.pickKiosk(func(*kiosk) bool { return true })
	if k == nil {
		return nil
	}
	return w.round(k)
}

// round runs one of the kiosk's own sync rounds. Failing on the
// simulated network is expected; failing otherwise is a bug.
func (w *World) round(k *kiosk) error {
	k.lastRound = w.now
	w.stats.Rounds++
	if _, err := k.syncer.Round(w.ctx); err != nil {
		w.stats.FailedRounds++
		if c := checkin.ErrorCode(err); c == checkin.EINTERNAL && !isNetwork(err) {
			return fmt.Errorf("kiosk %d sync: %v", k.i, err)
		}
	}
	return nil
}

// isNetwork reports whether a failed round failed on the simulated
// network, which is expected; anything else internal is a bug.
func isNetwork(err error) bool {
	return checkin.ErrorCode(err) == checkin.EOFFLINE || errors.Is(err, errLost)
}

// partition cuts a kiosk off from the center.
func (w *World) partition() error {
	k := w.kiosks[w.rng.IntN(len(w.kiosks))]
	if !k.link.down {
		k.link.down = true
		w.stats.Partitions++
	}
	return nil
}

// heal reconnects a kiosk.
func (w *World) heal() error {
	w.kiosks[w.rng.IntN(len(w.kiosks))].link.down = false
	return nil
}

// crash stops a kiosk at once; its database keeps what it committed.
func (w *World) crash() error {
	k := w.pickKiosk(func(*kiosk) bool { return true })
	if k == nil {
		return nil
	}
	w.stats.Crashes++
	err := k.db.Close()
	k.db, k.syncer = nil, nil
	return err
}

// restart starts a crashed kiosk again on its database.
func (w *World) restart() error {
	for _, k := range w.kiosks {
		if k.db == nil {
			w.stats.Restarts++
			return w.openKiosk(k)
		}
	}
	return nil
}

func (w *World) jumpClock() error {
	k := w.kiosks[w.rng.IntN(len(w.kiosks))]
	k.offset += time.Duration(w.rng.IntN(4*3600)-2*3600) * time.Second
	w.stats.Jumps++
	return nil
}

func (w *World) deliverLate() error {
	if len(w.late) == 0 {
		return nil
	}
	i := w.rng.IntN(len(w.late))
	m := w.late[i]
	w.late = slices.Delete(w.late, i, i+1)
	w.deliver(m)
	w.stats.Late++
	return nil
}

// restartCenter stops the center process and starts it again on its
// database.
func (w *World) restartCenter() error {
	if err := w.center.db.Close(); err != nil {
		return err
	}
	w.stats.Reopened++
	return w.openCenter()
}

// settle heals the network, restarts every kiosk, and lets each sync
// until nothing moves; then the center and the kiosks must agree.
func (w *World) settle() error {
	w.calm = true
	w.late = nil
	for _, k := range w.kiosks {
		k.link.down = false
		if k.db == nil {
			if err := w.openKiosk(k); err != nil {
				return err
			}
		}
	}
	if w.cfg.RightsOff {
		return w.check()
	}
	for range 4 {
		for _, k := range w.kiosks {
			if _, err := k.syncer.Round(w.ctx); err != nil {
				return fmt.Errorf("settling: kiosk %d sync: %v", k.i, err)
			}
			if err := w.check(); err != nil {
				return err
			}
		}
		w.now = w.now.Add(10 * time.Second)
	}
	return w.converged()
}

// converged checks, after settling: nothing waits to be sent, nothing is
// in transit, the center's view of each kiosk's rights is the kiosk's,
// every count is true (accurate), and a door whose share is spent gets
// a right on the spot while the center has one (live).
func (w *World) converged() error {
	holdings, err := w.holdings()
	if err != nil {
		return err
	}
	for _, k := range w.kiosks {
		pending, err := k.db.Pending(w.ctx, 1)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("after settling, kiosk %d still has event %d to push", k.i, pending[0].Seq)
		}
		held := holdings[k.id]
		for _, c := range checkin.SortedCounters(k.bal) {
			if held[c] != k.bal[c] {
				return fmt.Errorf("after settling, the center thinks kiosk %d holds %d rights of %s; it holds %d", k.i, held[c], c, k.bal[c])
			}
		}
	}
	granted, err := w.granted()
	if err != nil {
		return err
	}
	transit, err := w.transit(granted)
	if err != nil {
		return err
	}
	for _, c := range checkin.SortedCounters(transit) {
		if transit[c] != 0 {
			return fmt.Errorf("after settling, %d rights of %s are still in transit", transit[c], c)
		}
	}
	if w.byz != nil {
		return w.agree()
	}
	if err := w.accurate(); err != nil {
		return err
	}
	return w.live()
}

// agree checks, after settling a run with a byzantine kiosk, that every
// kiosk shows the center's count of every space. Whether that count is
// true no door can know (see Config.Byzantine).
func (w *World) agree() error {
	st, err := w.center.db.Status(w.ctx)
	if err != nil {
		return err
	}
	for _, sp := range w.ev.Spaces {
		for _, k := range w.kiosks {
			if n := k.db.Occupancy()[sp.ID]; n != st.Occupancy[sp.ID] {
				return fmt.Errorf("after settling, kiosk %d at %s shows %d in %s; the center counts %d", k.i, k.door, n, sp.ID, st.Occupancy[sp.ID])
			}
		}
	}
	if err := w.center.sql.QueryRowContext(w.ctx, `SELECT count(DISTINCT seq) FROM spends WHERE kiosk_id = ? AND person_id <> ''`,
		w.byz.id).Scan(&w.stats.ByzantineAdmitted); err != nil {
		return err
	}
	return w.center.sql.QueryRowContext(w.ctx, `SELECT count(*) FROM notices WHERE exit_kiosk = ? AND kiosk_id <> ?`,
		w.byz.id, w.byz.id).Scan(&w.stats.ByzantineClosed)
}

// accurate checks, after settling, that every count is true: the
// center's, and every kiosk's, is the people physically inside plus those
// who walked out unscanned, which no door could know of.
func (w *World) accurate() error {
	st, err := w.center.db.Status(w.ctx)
	if err != nil {
		return err
	}
	known, inside := map[string]int{}, map[string]int{}
	for _, p := range w.people {
		for _, sp := range w.ev.Chain(w.known(p)) {
			known[sp]++
		}
		for _, sp := range w.ev.Chain(p.loc) {
			inside[sp]++
		}
	}
	for _, sp := range w.ev.Spaces {
		c := sp.ID
		if st.Occupancy[c] != known[c] {
			return fmt.Errorf("after settling, the center counts %d in %s; %d are inside and the scans place %d more there "+
				"(walked out unscanned, or an exit whose order against their admission is in doubt)",
				st.Occupancy[c], c, inside[c], known[c]-inside[c])
		}
		for _, k := range w.kiosks {
			if n := k.db.Occupancy()[c]; n != known[c] {
				return fmt.Errorf("after settling, kiosk %d at %s shows %d in %s; the center counts %d", k.i, k.door, n, c, known[c])
			}
		}
		w.stats.WalkOuts += known[c] - inside[c]
		w.stats.SpacesChecked++
	}
	return nil
}

// live checks, after settling, that a connected door whose share is
// spent is given a right on the spot while the center has one: someone
// at any entry kiosk would be let in while the space has room.
func (w *World) live() error {
	for _, k := range w.kiosks {
		if k.dir != checkin.Entry {
			continue
		}
		for _, c := range w.ev.Counters(k.door) {
			books, err := w.centerRights()
			if err != nil {
				return err
			}
			if books[c].reserve == 0 || books[c].debt > 0 || k.db.Balances()[c] > 0 {
				continue
			}
			if err := k.db.AskRights(w.ctx); err != nil {
				return fmt.Errorf("after settling, kiosk %d at %s asking for a right of %s: %v", k.i, k.door, c, err)
			}
			if k.db.Balances()[c] == 0 {
				return fmt.Errorf("after settling, kiosk %d at %s asked on the spot and got no right of %s while the center has %d in reserve",
					k.i, k.door, c, books[c].reserve)
			}
		}
	}
	return nil
}

// check is run after every step.
func (w *World) check() error {
	occupancy := map[string]int{}
	for _, p := range w.people {
		for _, sp := range w.ev.Chain(p.loc) {
			occupancy[sp]++
		}
	}
	overCapacity := func(sp string, n, capacity, debt int, counted bool) error {
		what := fmt.Sprintf("%d people are in %s, whose capacity is %d", n, sp, capacity)
		if counted {
			what = fmt.Sprintf("the center counts %d people in %s, whose capacity is %d", n, sp, capacity)
		}
		if debt > 0 {
			what += fmt.Sprintf(" (lowered while more were inside: %d still owed)", debt)
		}
		return &Violation{Seed: w.cfg.Seed, Step: w.step, OverCapacity: true, What: what}
	}
	for _, sp := range w.ev.Spaces {
		n := occupancy[sp.ID]
		w.stats.MaxOccupancy[sp.ID] = max(w.stats.MaxOccupancy[sp.ID], n)
		if w.cfg.RightsOff && n > sp.Capacity {
			return overCapacity(sp.ID, n, sp.Capacity, 0, false)
		}
	}
	if w.cfg.RightsOff {
		return nil
	}
	for _, k := range w.kiosks {
		if err := w.readKiosk(k); err != nil {
			return err
		}
	}
	books, err := w.centerRights()
	if err != nil {
		return err
	}
	holdings, err := w.holdings()
	if err != nil {
		return err
	}
	if err := w.checkBooks(books, holdings); err != nil {
		return err
	}
	granted, err := w.granted()
	if err != nil {
		return err
	}
	transit, err := w.transit(granted)
	if err != nil {
		return err
	}
	// The byzantine kiosk keeps no log: its part is what the center
	// counts of it.
	var byz map[string]int
	if w.byz != nil {
		if byz, err = w.byzantineOpen(); err != nil {
			return err
		}
	}
	for _, sp := range w.ev.Spaces {
		c := sp.ID
		b := books[c]
		inside, held := 0, 0
		for _, k := range w.kiosks {
			inside += k.spent[c] - k.credit[c]
			held += k.bal[c]
		}
		if w.byz != nil {
			inside += byz[c]
			held += holdings[w.byz.id][c]
			w.stats.ByzantineHeld = max(w.stats.ByzantineHeld, holdings[w.byz.id][c])
		}
		w.stats.MaxCounted[c] = max(w.stats.MaxCounted[c], b.inside)
		// A capacity lowered below the people inside leaves them inside:
		// the space may hold its capacity plus what is still owed, and no
		// more (and after the debt is paid, its capacity). With a kiosk
		// that lies about who went through its door, only the center's
		// count can be held to it (Config.Byzantine).
		if w.byz != nil {
			if b.inside > b.cap+b.debt {
				return overCapacity(c, b.inside, b.cap, b.debt, true)
			}
		} else if n := occupancy[c]; n > b.cap+b.debt {
			return overCapacity(c, n, b.cap, b.debt, false)
		}
		switch {
		case b.reserve < 0 || b.debt < 0:
			return fmt.Errorf("%s: the center's reserve is %d and its debt %d", c, b.reserve, b.debt)
		case w.byz == nil && inside < occupancy[c]:
			return fmt.Errorf("%s: %d people are inside but the rights account for only %d", c, occupancy[c], inside)
		case inside+held+b.reserve+transit[c] != b.cap+b.debt:
			return fmt.Errorf("%s: inside %d + held %d + reserve %d + in transit %d ≠ capacity %d + debt %d",
				c, inside, held, b.reserve, transit[c], b.cap, b.debt)
		}
	}
	return w.checkCenterBooks(books, granted, holdings, byz)
}

// checkBooks checks the center's books on their own, whatever any kiosk
// claimed: for every counter, people inside + stays closed awaiting
// their kiosk's credit + every kiosk's holding + reserve = capacity +
// debt, and nothing is negative, so the center never counts more inside
// than capacity + debt.
func (w *World) checkBooks(books map[string]counterBooks, holdings map[string]map[string]int) error {
	held := map[string]int{}
	for _, k := range slices.Sorted(maps.Keys(holdings)) {
		for _, c := range checkin.SortedCounters(holdings[k]) {
			if n := holdings[k][c]; n < 0 {
				return fmt.Errorf("the center counts kiosk %s holding %d rights of %s", w.kioskName(k), n, c)
			}
			held[c] += holdings[k][c]
		}
	}
	for _, sp := range w.ev.Spaces {
		c, b := sp.ID, books[sp.ID]
		switch {
		case b.inside < 0 || b.pending < 0 || b.reserve < 0 || b.debt < 0:
			return fmt.Errorf("%s: the center counts %d inside, %d closed awaiting credit, a reserve of %d and a debt of %d",
				c, b.inside, b.pending, b.reserve, b.debt)
		case b.inside+b.pending+held[c]+b.reserve != b.cap+b.debt:
			return fmt.Errorf("%s: the center's books: inside %d + closed awaiting credit %d + held by kiosks %d + reserve %d ≠ capacity %d + debt %d",
				c, b.inside, b.pending, held[c], b.reserve, b.cap, b.debt)
		}
	}
	return nil
}

// kioskName names a kiosk id in a message: its index, or "byzantine".
func (w *World) kioskName(id string) string {
	if w.byz != nil && id == w.byz.id {
		return "byzantine " + id
	}
	for _, k := range w.kiosks {
		if k.id == id {
			return fmt.Sprint(k.i)
		}
	}
	return id
}

// checkCenterBooks checks the center's own books against what it
// received: its count of people inside is the spends less the credits
// kiosks pushed (and the byzantine kiosk's admissions it believed and
// counts uncredited, byz), and its view of each honest kiosk's rights
// is what it granted less what the kiosk's pushed events returned,
// spent and credited.
func (w *World) checkCenterBooks(books map[string]counterBooks, granted, holdings map[string]map[string]int, byz map[string]int) error {
	for _, k := range w.kiosks {
		held := holdings[k.id]
		for _, sp := range w.ev.Spaces {
			c := sp.ID
			if want := granted[k.id][c] - w.received[k.id][c] - w.pushed[k.id][c]; held[c] != want {
				return fmt.Errorf("the center holds kiosk %d at %d rights of %s; it granted %d and received %d returned and %d spent less credited",
					k.i, held[c], c, granted[k.id][c], w.received[k.id][c], w.pushed[k.id][c])
			}
		}
	}
	for _, sp := range w.ev.Spaces {
		n := byz[sp.ID]
		for _, k := range w.kiosks {
			n += w.pushed[k.id][sp.ID]
		}
		if b := books[sp.ID]; b.inside+b.pending != n {
			return fmt.Errorf("the center counts %d inside %s and %d closed awaiting credit; the kiosks pushed %d spends less credits",
				b.inside, sp.ID, b.pending, n)
		}
	}
	return nil
}

// readKiosk reads the rights rows a kiosk logged since the last check.
func (w *World) readKiosk(k *kiosk) error {
	rows, err := k.rows.QueryContext(w.ctx, k.readSeq)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq  int64
			text string
		)
		if err := rows.Scan(&seq, &text); err != nil {
			return err
		}
		var changes []checkin.RightChange
		if err := json.Unmarshal([]byte(text), &changes); err != nil {
			return fmt.Errorf("kiosk %d row %d: %v", k.i, seq, err)
		}
		for _, c := range changes {
			k.bal[c.Counter] += c.Delta()
			if k.open[c.Counter] == nil {
				k.open[c.Counter] = map[int64]bool{}
			}
			switch c.Kind {
			case checkin.RightSpend:
				k.spent[c.Counter]++
				k.open[c.Counter][seq] = true
			case checkin.RightCredit:
				// Only an admission of this kiosk still open may be
				// credited, and only once: anything else makes a right.
				if !k.open[c.Counter][c.Ref] {
					return fmt.Errorf("kiosk %d row %d credits %s for admission %d, which is not an open admission of this kiosk", k.i, seq, c.Counter, c.Ref)
				}
				delete(k.open[c.Counter], c.Ref)
				k.credit[c.Counter]++
			case checkin.RightGrant:
				k.applied[c.Counter] += c.N
			case checkin.RightReturn:
				k.ret[c.Counter] += c.N
			}
			if k.bal[c.Counter] < 0 {
				return fmt.Errorf("kiosk %d holds %d rights of %s after row %d", k.i, k.bal[c.Counter], c.Counter, seq)
			}
		}
		k.readSeq = seq
	}
	return rows.Err()
}

// centerRights reads the center's reserve, debt and capacity per counter.
// counterBooks is the center's row of one counter.
// inside is the open stays; pending the stays the center closed whose
// kiosk has yet to credit the right back.
type counterBooks struct{ cap, reserve, debt, inside, pending int }

// centerRights reads the center's books of every counter.
func (w *World) centerRights() (map[string]counterBooks, error) {
	books := map[string]counterBooks{}
	rows, err := w.center.sql.QueryContext(w.ctx, `SELECT counter, cap, reserve, debt, inside,
		(SELECT count(*) FROM spends s WHERE s.counter = r.counter AND s.closed = 2) FROM rights r`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c string
			b counterBooks
		)
		if err := rows.Scan(&c, &b.cap, &b.reserve, &b.debt, &b.inside, &b.pending); err != nil {
			return nil, err
		}
		books[c] = b
	}
	return books, rows.Err()
}

// perKiosk reads rows of (kiosk id, counter, n) from the center.
func (w *World) perKiosk(query string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	rows, err := w.center.sql.QueryContext(w.ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k, c string
			n    int
		)
		if err := rows.Scan(&k, &c, &n); err != nil {
			return nil, err
		}
		if out[k] == nil {
			out[k] = map[string]int{}
		}
		out[k][c] = n
	}
	return out, rows.Err()
}

// granted returns what the center granted each kiosk, per counter.
func (w *World) granted() (map[string]map[string]int, error) {
	return w.perKiosk(`SELECT kiosk_id, counter, sum(n) FROM grants GROUP BY kiosk_id, counter`)
}

// holdings returns the center's view of each kiosk's rights.
func (w *World) holdings() (map[string]map[string]int, error) {
	return w.perKiosk(`SELECT kiosk_id, counter, n FROM holdings`)
}

// transit returns the rights on their way: granted by the center and not
// yet applied by their kiosk, and returned by a kiosk and not yet
// received by the center. Neither part may be negative.
func (w *World) transit(granted map[string]map[string]int) (map[string]int, error) {
	if err := w.readReceived(); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, k := range w.kiosks {
		for _, sp := range w.ev.Spaces {
			c := sp.ID
			g := granted[k.id][c] - k.applied[c]
			r := k.ret[c] - w.received[k.id][c]
			if g < 0 || r < 0 {
				return nil, fmt.Errorf("kiosk %d, %s: granted %d, applied %d; returned %d, received %d",
					k.i, c, granted[k.id][c], k.applied[c], k.ret[c], w.received[k.id][c])
			}
			out[c] += g + r
		}
	}
	return out, nil
}

// readReceived reads the rights changes the center stored since the last
// check: returns received, and spends less credits per kiosk.
func (w *World) readReceived() error {
	for _, k := range w.kiosks {
		if err := w.readReceivedFrom(k); err != nil {
			return err
		}
	}
	return nil
}

// readReceivedFrom reads the events of kiosk k the center stored since
// the last check, push by push (events.rseq, one value per push): a
// forked log's events are filed under seqs far above the others, so the
// seq is no cursor. Every event of an honest kiosk must be believed, and
// on its own log: one refused, or kept on a branch, is a violation.
func (w *World) readReceivedFrom(k *kiosk) error {
	rows, err := w.center.sql.QueryContext(w.ctx, `SELECT seq, rseq, coalesce(rights, ''), refused FROM events
		WHERE kiosk_id = ? AND rseq > ? ORDER BY rseq, seq`, k.id, w.centerRSeq[k.id])
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq, rseq     int64
			text, refused string
		)
		if err := rows.Scan(&seq, &rseq, &text, &refused); err != nil {
			return err
		}
		w.centerRSeq[k.id] = rseq
		switch {
		case refused != "":
			return fmt.Errorf("the center refused kiosk %d's event %d: %s", k.i, seq, refused)
		case seq >= wire.MaxSeq:
			return fmt.Errorf("the center kept kiosk %d's event %d on branch %d of its log, as if it had forked", k.i, seq%wire.MaxSeq, seq/wire.MaxSeq)
		case text == "":
			continue
		}
		var changes []checkin.RightChange
		if err := json.Unmarshal([]byte(text), &changes); err != nil {
			return err
		}
		if w.received[k.id] == nil {
			w.received[k.id], w.pushed[k.id] = map[string]int{}, map[string]int{}
		}
		for _, c := range changes {
			switch c.Kind {
			case checkin.RightReturn:
				w.received[k.id][c.Counter] += c.N
			case checkin.RightSpend:
				w.pushed[k.id][c.Counter]++
			case checkin.RightCredit:
				w.pushed[k.id][c.Counter]--
			}
		}
	}
	return rows.Err()
}
