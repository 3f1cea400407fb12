package checkin

import "slices"

// The center's sharing of a counter's free rights among the doors into
// it (docs/design.md "Capacity rights"): the formula, over what the
// center read of its books. centralstore reads the inputs and writes the
// grants, returns and reclaims it decides.

// DoorShare is one door into a counter, for sharing the counter's free
// rights: its weight (1 + the recent demand at its kiosks).
type DoorShare struct {
	Door   string
	Weight int64
}

// Share returns how many of a counter's free rights (the center's
// reserve and what live kiosks hold) the door gets to hold, given every
// door into the counter as the event file lists them. Each door's part
// follows its weight, so no door starves whatever order kiosks enroll
// in; a door no kiosk serves leaves its part with the center. When two
// or more doors lead in, the center first keeps a pool of its own, a
// (n+1)th of the free rights but at most one per door: a connected door
// whose share is spent is given a right from it on the spot instead of
// refusing while others hold the room's places, and offline that pool
// costs at most one place per door. 0 for a door that is not listed.
func Share(free int64, doors []DoorShare, door string) int64 {
	var total, weight int64
	found := false
	for _, d := range doors {
		total += max(d.Weight, 1)
		if d.Door == door {
			weight, found = max(d.Weight, 1), true
		}
	}
	if !found || free <= 0 {
		return 0
	}
	return (free - Pool(free, len(doors))) * weight / total
}

// Pool is how many of a counter's free rights the center keeps for
// on-the-spot requests when doors doors lead into it (see Share): a
// (doors+1)th of them, at most one per door; none for a single door,
// which nobody else's share can starve.
func Pool(free int64, doors int) int64 {
	n := int64(doors)
	if n < 2 || free <= 0 {
		return 0
	}
	return min((free+n)/(n+1), n)
}

// ShareRequest is what the center knows of one counter when a kiosk
// reports its rights: the kiosk's report, the center's books, and the
// other live kiosks that share the counter.
type ShareRequest struct {
	Counter string
	Door    string // the asking kiosk's door
	// Demand is the kiosk's admissions, and denials for want of its
	// rights, in its last demand window.
	Demand  int64
	Balance int64 // the balance the kiosk reports
	Held    int64 // what the center counts the kiosk holding
	Reclaim int64 // rights the kiosk was asked on the spot to give back
	OfDoor  bool  // the kiosk's door increases the counter
	Urgent  bool  // someone waits at the kiosk's door
	Reserve int64 // the center's reserve of the counter
	Debt    int64 // what a lowered capacity took beyond the reserve
	AllHeld int64 // what every kiosk not retired holds
	Peers   []PeerDemand
}

// PeerDemand is another live kiosk of a counter: the door it serves and
// its demand for the counter.
type PeerDemand struct {
	Door   string
	Demand int64
}

// Free is the counter's free rights: the reserve and what kiosks hold.
func (r ShareRequest) Free() int64 { return r.Reserve + r.AllHeld }

// ShareAnswer is what the center does about one counter of a kiosk's
// report. At most one of Grant, Return and Reclaim is set.
type ShareAnswer struct {
	Grant  int64 // rights to grant the kiosk from the reserve
	Return int64 // rights the kiosk is asked to give back
	// InDebt: the counter is in debt; the kiosk is told, and returns all
	// it holds.
	InDebt bool
	// Reclaim: someone waits, the reserve is empty: the fullest other
	// live kiosk holding the counter is asked to give one right back now.
	Reclaim bool
	// ClearReclaim: the kiosk's on-the-spot reclaim is answered by this
	// report; it is reset.
	ClearReclaim bool
}

// DecideShare decides the grant and return for one counter of a kiosk's
// report. The share is Share over every door into the counter the event
// lists, each weighted by 1 + the demand of its live kiosks, and split
// between the kiosks at the kiosk's door; a door no kiosk serves leaves
// its part in the reserve. In this order:
//
//   - A counter the kiosk's door does not increase (its event changed),
//     or one in debt: the kiosk returns all it holds.
//   - A kiosk below its share is granted the difference from the reserve
//     less the center's pool, no more than the center counts it may hold
//     (holdLimit).
//   - A kiosk above its high-water mark, or asked on the spot to give
//     back, returns down to its share.
//   - An urgent request (someone waits and the kiosk holds none) may take
//     one right from the whole reserve; when the reserve is empty, the
//     fullest other live kiosk is asked for one (Reclaim).
//
// A kiosk asked on the spot to give back takes no grant meanwhile.
func (e *Event) DecideShare(r ShareRequest) ShareAnswer {
	free := r.Free()
	doors, kiosks := e.doorShares(r)
	var share int64
	if r.OfDoor {
		// Kiosks at one door split its part.
		share = Share(free, doors, r.Door) / kiosks
	}
	// Only an urgent request may take from the center's pool.
	available := r.Reserve - Pool(free, len(doors))
	if r.Urgent && r.OfDoor && r.Balance == 0 {
		share, available = max(share, 1), r.Reserve
	}
	var a ShareAnswer
	if r.Reclaim > 0 && !r.Urgent {
		// Asked on the spot for a door where someone waits: give back
		// what was asked, and take no grant meanwhile.
		share = min(share, max(0, r.Balance-r.Reclaim))
		available = 0
		a.ClearReclaim = true
	}
	switch {
	case !r.OfDoor || r.Debt > 0:
		a.InDebt = r.Debt > 0
		a.Return = max(r.Balance, 0)
	case r.Balance < share && available > 0 && r.Held < holdLimit(share, r.Urgent):
		// A kiosk's word for its balance is not believed beyond what the
		// center counts it holding (docs/design.md "Trust"): one that
		// reports none while it holds its share would drain the reserve
		// and starve the other doors.
		a.Grant = min(share-r.Balance, available, holdLimit(share, r.Urgent)-r.Held)
	case r.Balance > highWater(share) && !r.Urgent, r.Reclaim > 0 && r.Balance > share && !r.Urgent:
		// Above the high-water mark: give back down to the share, so a
		// door that enrolled later, or grew busier, gets its part even
		// when the reserve is empty.
		a.Return = r.Balance - share
	case r.Urgent && r.OfDoor && r.Balance == 0 && available <= 0 && r.Debt == 0:
		// Someone waits, the reserve is empty and the room may have room
		// at another door.
		a.Reclaim = true
	}
	return a
}

// doorShares returns every door into r's counter the event lists, with
// its weight: 1 + the demand of its live kiosks (the asking one and its
// peers), at least 1. Shares follow recent demand: a door people queue
// at gets more, and a quiet door keeps a little, so its next person is
// not turned away. It also returns how many live kiosks serve the
// asking kiosk's door, itself included.
func (e *Event) doorShares(r ShareRequest) ([]DoorShare, int64) {
	weight := map[string]int64{r.Door: 1 + r.Demand}
	kiosks := map[string]int64{r.Door: 1}
	for _, p := range r.Peers {
		weight[p.Door] += 1 + p.Demand
		kiosks[p.Door]++
	}
	var doors []DoorShare
	for _, d := range e.Doors {
		if slices.Contains(e.Counters(d.ID), r.Counter) {
			doors = append(doors, DoorShare{Door: d.ID, Weight: max(weight[d.ID], 1)})
		}
	}
	return doors, kiosks[r.Door]
}

// holdLimit is the most the center lets a kiosk hold of a counter whose
// share is share, by its own count. A round pushes before it asks, so
// that count runs ahead of an honest kiosk's balance only by grants on
// their way: the high-water mark. An urgent request comes before the
// admissions since the last push reach the center, up to all the kiosk
// held: twice that.
func holdLimit(share int64, urgent bool) int64 {
	if urgent {
		return 2 * highWater(max(share, 1))
	}
	return highWater(share)
}

// highWater is how far above its share a kiosk may hold before it is
// asked to give back the excess: a quarter more (at least 1), so a door
// does not hand rights back and forth; but nothing above a share of 0,
// so that near the cap every free place is back with the center, for
// whichever door someone comes to.
func highWater(share int64) int64 {
	if share == 0 {
		return 0
	}
	return share + max(1, share/4)
}
