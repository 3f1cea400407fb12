package sim

import (
	"fmt"
	"maps"
	"slices"

	"usher/checkin"
)

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

// violation is err as a *Violation: itself if it is one, else a
// violation at this step of this seed.
func (w *World) violation(err error) error {
	if v, ok := err.(*Violation); ok {
		return v
	}
	return &Violation{Seed: w.cfg.Seed, Step: w.step, What: err.Error()}
}

// check is run after every step. It holds the run to docs/design.md
// "Capacity rights": no space holds more people than its capacity (plus
// what a lowered one still owes); for every counter, people inside +
// rights held by kiosks + the center's reserve + rights in transit =
// capacity + debt, each kiosk's books (readKiosk), the center's on their
// own (checkBooks) and the center's against what the kiosks sent it
// (checkCenterBooks); nothing is negative.
func (w *World) check() error {
	occupancy := w.peopleInside()
	if err := w.checkPeopleInside(occupancy); err != nil {
		return err
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
		if err := w.checkSpace(c, books[c], occupancy[c], transit[c], holdings, byz); err != nil {
			return err
		}
	}
	return w.checkCenterBooks(books, granted, holdings, byz)
}

// peopleInside counts the people physically in each space: someone on
// the stage is in the ballroom and the venue too.
func (w *World) peopleInside() map[string]int {
	occupancy := map[string]int{}
	for _, p := range w.people {
		for _, sp := range w.ev.Chain(p.loc) {
			occupancy[sp]++
		}
	}
	return occupancy
}

// checkPeopleInside keeps the most people in each space at once
// (Stats.MaxOccupancy) and, in a run with the rights off, fails on the
// first space over its capacity: no books hold the doors to it then.
func (w *World) checkPeopleInside(occupancy map[string]int) error {
	for _, sp := range w.ev.Spaces {
		n := occupancy[sp.ID]
		w.stats.MaxOccupancy[sp.ID] = max(w.stats.MaxOccupancy[sp.ID], n)
		if w.cfg.RightsOff && n > sp.Capacity {
			return w.overCapacity(sp.ID, n, sp.Capacity, 0, false)
		}
	}
	return nil
}

// checkSpace checks counter c after a step, given the center's books of
// it (b), the people physically inside (occupancy) and the rights in
// transit: the space holds no more than its capacity plus debt
// (checkCapacity); the center's reserve and debt are not negative; the
// rights account for everyone inside; and inside + held + reserve + in
// transit = capacity + debt. It keeps the most the center counted inside
// at once (Stats.MaxCounted), and the most the byzantine kiosk held.
func (w *World) checkSpace(c string, b counterBooks, occupancy, transit int, holdings map[string]map[string]int, byz map[string]int) error {
	inside, held := w.rightsOf(c, holdings, byz)
	if w.byz != nil {
		w.stats.ByzantineHeld = max(w.stats.ByzantineHeld, holdings[w.byz.id][c])
	}
	w.stats.MaxCounted[c] = max(w.stats.MaxCounted[c], b.inside)
	if err := w.checkCapacity(c, b, occupancy); err != nil {
		return err
	}
	switch {
	case b.reserve < 0 || b.debt < 0:
		return fmt.Errorf("%s: the center's reserve is %d and its debt %d", c, b.reserve, b.debt)
	case w.byz == nil && inside < occupancy:
		return fmt.Errorf("%s: %d people are inside but the rights account for only %d", c, occupancy, inside)
	case inside+held+b.reserve+transit != b.cap+b.debt:
		return fmt.Errorf("%s: inside %d + held %d + reserve %d + in transit %d ≠ capacity %d + debt %d",
			c, inside, held, b.reserve, transit, b.cap, b.debt)
	}
	return nil
}

// rightsOf sums counter c's rights at the doors: the admissions spent and
// not credited back (inside) and the rights held (held), of every kiosk,
// with the byzantine kiosk's part as the center counts it (holdings, and
// its believed admissions not credited, byz).
func (w *World) rightsOf(c string, holdings map[string]map[string]int, byz map[string]int) (inside, held int) {
	for _, k := range w.kiosks {
		inside += k.spent[c] - k.credit[c]
		held += k.bal[c]
	}
	if w.byz != nil {
		inside += byz[c]
		held += holdings[w.byz.id][c]
	}
	return inside, held
}

// checkCapacity checks that space c holds no more than its capacity plus
// its debt: the people physically inside (occupancy), or, in a run with a
// byzantine kiosk, the center's count (b.inside).
func (w *World) checkCapacity(c string, b counterBooks, occupancy int) error {
	// A capacity lowered below the people inside leaves them inside:
	// the space may hold its capacity plus what is still owed, and no
	// more (and after the debt is paid, its capacity). With a kiosk
	// that lies about who went through its door, only the center's
	// count can be held to it (Config.Byzantine).
	if w.byz != nil {
		if b.inside > b.cap+b.debt {
			return w.overCapacity(c, b.inside, b.cap, b.debt, true)
		}
	} else if occupancy > b.cap+b.debt {
		return w.overCapacity(c, occupancy, b.cap, b.debt, false)
	}
	return nil
}

// overCapacity is the violation of space sp holding n people past its
// capacity (and debt, what a capacity lowered while more were inside
// still owes); counted says n is the center's count, not the people
// inside.
func (w *World) overCapacity(sp string, n, capacity, debt int, counted bool) error {
	what := fmt.Sprintf("%d people are in %s, whose capacity is %d", n, sp, capacity)
	if counted {
		what = fmt.Sprintf("the center counts %d people in %s, whose capacity is %d", n, sp, capacity)
	}
	if debt > 0 {
		what += fmt.Sprintf(" (lowered while more were inside: %d still owed)", debt)
	}
	return &Violation{Seed: w.cfg.Seed, Step: w.step, OverCapacity: true, What: what}
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

// accurate checks, after settling, that every count is true
// (docs/design.md "Presence"): the center's, and every kiosk's, is the
// people physically inside plus those who walked out unscanned, which no
// door could know of.
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
// spent is given a right on the spot while the center has one
// (docs/design.md "Capacity rights"): someone at any entry kiosk would
// be let in while the space has room.
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

// checkRefusedWithRoom fails the run when more than
// Config.MaxRefusedWithRoom of its entries were refused for capacity
// while the space had room (hasRoom) at a door that could reach the
// center: such a door never says "door out of capacity" while the room
// has room (docs/design.md "Capacity rights"). A door cut off has only
// its own share to spend, and is not counted.
func (w *World) checkRefusedWithRoom() error {
	m := w.cfg.MaxRefusedWithRoom
	if m <= 0 || w.stats.Entries <= 0 {
		return nil
	}
	n := w.stats.RefusedWithRoom - w.stats.RefusedCutOff
	if share := float64(n) / float64(w.stats.Entries); share > m {
		return &Violation{Seed: w.cfg.Seed, Step: w.step, What: fmt.Sprintf(
			"%d of %d entries (%.1f %%) were refused for capacity while the space had room at a door that could reach the center; "+
				"at most %.0f %% may be", n, w.stats.Entries, 100*share, 100*m)}
	}
	return nil
}
