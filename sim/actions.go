package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"usher/checkin"
	"usher/sync/kiosksync"
)

// act takes one step: time passes (passTime), the kiosks whose loop is
// due sync (syncDue), then one thing happens, drawn by weight from
// actions, and the kiosks the center woke sync (wakeUp).
func (w *World) act() error {
	w.passTime()
	if err := w.syncDue(); err != nil {
		return err
	}
	return w.doOne(w.actions())
}

// passTime moves true time on: now and then by minutes, else by a tenth
// of a second to three seconds.
func (w *World) passTime() {
	if w.rng.IntN(50) == 49 {
		w.now = w.now.Add(time.Duration(1+w.rng.IntN(10)) * time.Minute)
	} else {
		// At least a tenth of a second: nobody is admitted and out again
		// quicker than the stamps can tell apart.
		w.now = w.now.Add(time.Duration(100+w.rng.IntN(2900)) * time.Millisecond)
	}
}

// syncDue runs a round of each kiosk whose loop is due. Each kiosk's
// loop runs a round every Interval of true time, as kiosksync's ticker
// does (none with no Interval).
func (w *World) syncDue() error {
	if w.cfg.Interval <= 0 {
		return nil
	}
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
	return nil
}

// action is one thing that may happen in a step, with its weight in the
// draw (0: never).
type action struct {
	weight int
	do     func() error
}

// actions is what may happen in a step: people move, and staff turn
// kiosks; with the rights on, also the marshal, sync rounds, faults of
// the network, the kiosks and the center (weighed by Config.Outages), and
// the byzantine kiosk.
func (w *World) actions() []action {
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
	return actions
}

// doOne draws one of actions by weight and does it; then the kiosks the
// center woke sync (wakeUp).
func (w *World) doOne(actions []action) error {
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

// syncRound: a running kiosk's loop runs a round.
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

// jumpClock: a kiosk's wall clock jumps up to two hours either way (its
// monotonic clock runs on: openKiosk).
func (w *World) jumpClock() error {
	k := w.kiosks[w.rng.IntN(len(w.kiosks))]
	k.offset += time.Duration(w.rng.IntN(4*3600)-2*3600) * time.Second
	w.stats.Jumps++
	return nil
}

// deliverLate: a request the network kept back arrives now.
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
