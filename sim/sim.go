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
//
// The world, what it holds and how it is set up are in world.go; what a
// step does, and the settling at the end, in actions.go; the checks made
// after every step and after settling in checks.go, and the books they
// read from the kiosks' and the center's databases in books.go; the
// stays the center must count, by the scans, in stays.go; the network in
// net.go; the byzantine kiosk in byzantine.go.
package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"usher/sync/kiosksync"
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
	if err := w.checkRefusedWithRoom(); err != nil {
		return w.stats, err
	}
	return w.stats, nil
}
