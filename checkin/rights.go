package checkin

import (
	"fmt"
	"slices"
	"sort"
)

// Capacity rights (a bounded counter; docs/design.md "Capacity rights"): every space
// is a capacity counter. The center starts with Capacity rights of each
// and grants them to kiosks; a kiosk admits only by spending one right of
// every counter its door increases, and an exit gives a right back only
// to the kiosk that spent it, for an admission it knows is still open.
// So people inside + rights held + the center's reserve + rights in
// transit = capacity, and no door can fill a room on its own.

// RightKind says what a change of a kiosk's rights is.
type RightKind string

const (
	RightGrant  RightKind = "grant"  // +N from the center; Ref is the grant's id
	RightReturn RightKind = "return" // −N back to the center, debited before it is sent
	RightSpend  RightKind = "spend"  // −1 for an admission; the log row's seq names it
	RightCredit RightKind = "credit" // +1 for an exit of an open admission; Ref is that admission's seq
	// RightLeft moves no right: the person left the counter here but this
	// kiosk knows no open admission of theirs, so the center may match
	// the exit with one it knows of elsewhere.
	RightLeft RightKind = "left"
)

// A kiosk's log row that only moves rights (method ByRights) has the
// kind RightsOnly and one of these reasons. None is a decision at a
// door: they are not among Reasons.
const (
	RightsOnly     Kind   = "rights"
	RightsGranted  Reason = "rights_granted"
	RightsReturned Reason = "rights_returned"
	ExitCredited   Reason = "exit_credited" // a notice: the person was seen leaving at another door
)

// RightChange is one change of one counter's rights at a kiosk, carried
// by the log row that made it.
type RightChange struct {
	Counter string    `json:"c"`
	Kind    RightKind `json:"k"`
	N       int       `json:"n"`
	Ref     int64     `json:"ref,omitempty"`
}

// Delta is the change's effect on the kiosk's balance.
func (c RightChange) Delta() int {
	switch c.Kind {
	case RightReturn, RightSpend:
		return -c.N
	case RightLeft:
		return 0
	}
	return c.N
}

// Check reports the first problem with c, for changes that come from
// outside (a pushed event).
func (c RightChange) Check() error {
	switch {
	case c.Counter == "" || len(c.Counter) > 64 || !Printable(c.Counter):
		return fmt.Errorf("rights counter %q", c.Counter)
	case c.Kind != RightGrant && c.Kind != RightReturn && c.Kind != RightSpend && c.Kind != RightCredit && c.Kind != RightLeft:
		return fmt.Errorf("rights kind %q", c.Kind)
	case c.N <= 0 || c.N > 1_000_000:
		return fmt.Errorf("rights count %d", c.N)
	case (c.Kind == RightSpend || c.Kind == RightCredit || c.Kind == RightLeft) && c.N != 1:
		return fmt.Errorf("a %s is of one right, not %d", c.Kind, c.N)
	case c.Kind == RightCredit && c.Ref <= 0:
		return fmt.Errorf("a credit names the admission it closes")
	}
	return nil
}

// Counters returns the capacity counters an entry through the door
// increases, outermost first: the spaces between its two sides. A door
// from outside straight into a room increases the venue and the room; a
// door from the hallway into a room, the room only. Nil for an unknown
// door.
func (e *Event) Counters(door string) []string {
	d := e.doors[door]
	if d == nil {
		return nil
	}
	_, entered := e.Crossed(d.From, d.To)
	return entered
}

// AnonHolder is the holder of rights spent by staff +1s into a space:
// the people counted without a badge.
func AnonHolder(space string) string { return "+" + space }

// Holder is whose rights and stays a logged move is about: the person's,
// or for a staff headcount change (delta ≠ 0, no person) the people
// counted into loc without a badge (AnonHolder).
func Holder(person string, delta int, loc string) string {
	if person == "" && delta != 0 {
		return AnonHolder(loc)
	}
	return person
}

// Rights is one kiosk's capacity rights: its balance of each counter, and
// which of its admissions are still open (spent, not yet credited back),
// per holder (a person id or AnonHolder) and counter.
type Rights struct {
	balance   map[string]int
	open      map[string]map[string][]int64 // holder → counter → admission seqs, oldest first
	elsewhere map[string]int                // counter → places free at other doors, as last heard
	debt      map[string]bool               // counters whose lowered capacity is below the people inside
}

func newRights() *Rights {
	return &Rights{balance: map[string]int{}, open: map[string]map[string][]int64{}, elsewhere: map[string]int{},
		debt: map[string]bool{}}
}

// LimitByRights makes decisions on this state need capacity rights: an
// enrolled kiosk, one of several doors, admits only with rights the center
// granted it. A standalone kiosk is the whole event and counts instead.
func (s *State) LimitByRights() {
	if s.rights == nil {
		s.rights = newRights()
	}
}

// Limited reports whether decisions need capacity rights.
func (s *State) Limited() bool { return s.rights != nil }

// Balance returns the rights of the counter this kiosk holds; 0 when not
// limited by rights.
func (s *State) Balance(counter string) int {
	if s.rights == nil {
		return 0
	}
	return s.rights.balance[counter]
}

// Balances returns a copy of every counter's balance.
func (s *State) Balances() map[string]int {
	m := map[string]int{}
	if s.rights != nil {
		for c, n := range s.rights.balance {
			m[c] = n
		}
	}
	return m
}

// SetElsewhere records how many places of each counter are free at other
// doors, as the center last said: the screen tells a door out of rights
// from a full room by it.
func (s *State) SetElsewhere(free map[string]int) {
	if s.rights == nil {
		return
	}
	s.rights.elsewhere = map[string]int{}
	for c, n := range free {
		s.rights.elsewhere[c] = n
	}
}

// Elsewhere returns the places of counter free at other doors, as last
// heard from the center.
func (s *State) Elsewhere(counter string) int {
	if s.rights == nil {
		return 0
	}
	return s.rights.elsewhere[counter]
}

// SetDebt records the counters whose capacity was lowered below the
// people inside, as the center last said (or as a pulled event showed):
// while a counter is in debt, a right an exit earns goes straight back
// to the center, so admissions stop until fewer people are inside than
// the new capacity.
func (s *State) SetDebt(counters []string) {
	if s.rights == nil {
		return
	}
	s.rights.debt = map[string]bool{}
	for _, c := range counters {
		s.rights.debt[c] = true
	}
}

// InDebt reports whether counter is in debt (see SetDebt).
func (s *State) InDebt(counter string) bool { return s.rights != nil && s.rights.debt[counter] }

// IsOpen reports whether this kiosk's admission seq of holder into
// counter is still open: spent and not credited back.
func (s *State) IsOpen(holder, counter string, seq int64) bool {
	return s.rights != nil && slices.Contains(s.rights.open[holder][counter], seq)
}

// Credits returns the credits leaving holder's counters of door earns
// this kiosk: for each counter the door's entry increases, the latest of
// this kiosk's admissions of holder into it that is still open. A kiosk
// that knows of no open admission earns nothing: a phantom exit never
// creates a right. With left set (an exit scan of a person), each such
// counter is listed as RightLeft instead, for the center to match.
func (s *State) Credits(ev *Event, door, holder string, left bool) []RightChange {
	if s.rights == nil {
		return nil
	}
	var out []RightChange
	for _, c := range ev.Counters(door) {
		if seqs := s.rights.open[holder][c]; len(seqs) > 0 {
			out = append(out, s.Credit(c, seqs[len(seqs)-1])...)
		} else if left {
			out = append(out, RightChange{Counter: c, Kind: RightLeft, N: 1})
		}
	}
	return out
}

// Credit returns the changes that credit back admission seq into
// counter: the right comes back to this kiosk, and while the counter is
// in debt it goes on to the center at once.
func (s *State) Credit(counter string, seq int64) []RightChange {
	out := []RightChange{{Counter: counter, Kind: RightCredit, N: 1, Ref: seq}}
	if s.InDebt(counter) {
		out = append(out, RightChange{Counter: counter, Kind: RightReturn, N: 1})
	}
	return out
}

// Spends returns what an admission through door spends: one right of
// each counter the door increases.
func Spends(ev *Event, door string) []RightChange {
	var out []RightChange
	for _, c := range ev.Counters(door) {
		out = append(out, RightChange{Counter: c, Kind: RightSpend, N: 1})
	}
	return out
}

// RightsOf returns what decision d at door does to this kiosk's rights,
// and whose they are (Holder; delta is the staff headcount change, 0 for
// a person): an entry, or an undo that puts someone back in, spends one
// right of each counter the door increases, and first credits back this
// kiosk's open admission of the same person there (Readmits); an exit,
// or an undo that takes someone out, credits back this kiosk's latest
// open admission into each, if it has one (Credits). Denials and kiosks
// not limited by rights change none.
func (s *State) RightsOf(ev *Event, door string, d Decision, delta int) (string, []RightChange) {
	if !s.Limited() || d.Kind == Deny {
		return "", nil
	}
	var h string
	if d.Person != nil {
		h = d.Person.ID
	}
	h = Holder(h, delta, d.To)
	entering := d.Kind == Admit ||
		(d.Kind == Undo && (delta > 0 || (d.Person != nil && ev.Enters(d.From, d.To))))
	switch {
	case entering:
		return h, append(s.Readmits(ev, door, h), Spends(ev, door)...)
	case d.Kind == Leave || d.Kind == Undo:
		return h, s.Credits(ev, door, h, d.Kind == Leave && d.Person != nil)
	}
	return h, nil
}

// ApplyRights applies the rights changes of the log row seq, about holder
// ("" for a grant or a return), after the row is committed.
func (s *State) ApplyRights(seq int64, holder string, changes []RightChange) {
	if s.rights == nil || len(changes) == 0 {
		return
	}
	r := s.rights
	for _, c := range changes {
		r.balance[c.Counter] += c.Delta()
		switch c.Kind {
		case RightSpend:
			if r.open[holder] == nil {
				r.open[holder] = map[string][]int64{}
			}
			r.open[holder][c.Counter] = append(r.open[holder][c.Counter], seq)
		case RightCredit:
			seqs := r.open[holder][c.Counter]
			if i := slices.Index(seqs, c.Ref); i >= 0 {
				r.open[holder][c.Counter] = slices.Delete(seqs, i, i+1)
			}
		}
	}
}

// needRights returns the first counter of the door this kiosk holds no
// right of, with the decision to deny on it; nil when it holds one of
// each or is not limited by rights.
func (e *Event) needRights(door string, st *State) (*Space, Reason, string) {
	if st.rights == nil {
		return nil, "", ""
	}
	for _, c := range e.Counters(door) {
		if st.rights.balance[c] >= 1 {
			continue
		}
		sp := e.spaces[c]
		free, heard := st.rights.elsewhere[c]
		if !heard {
			// Never told anything of this counter: it is not full, this
			// kiosk just has not had its share yet.
			return sp, OutOfCapacity, fmt.Sprintf("This door has no capacity for %s yet: it gets its share when it reaches the center.", sp.Name)
		}
		if free > 0 {
			places := "places"
			if free == 1 {
				places = "place"
			}
			return sp, OutOfCapacity, fmt.Sprintf("This door is out of capacity for %s — %d %s free at other doors at the last sync.", sp.Name, free, places)
		}
		return sp, fullReason(sp), fmt.Sprintf("%s is full (%d / %d).", sp.Name, sp.Capacity, sp.Capacity)
	}
	return nil, "", ""
}

// SortedCounters returns the keys of m in order, so that whatever is
// built from a map of counters comes out the same every time.
func SortedCounters[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Enters reports whether moving from one location to another enters any
// space: whether the move is an entry somewhere.
func (e *Event) Enters(from, to string) bool {
	_, entered := e.Crossed(from, to)
	return len(entered) > 0
}

// Readmits returns what admitting a person through door again credits
// back: for each counter the door increases, this kiosk's latest open
// admission of them into it. Nobody is inside a space twice: the new
// admission holds their place, and the right the old one spent comes
// back at once, offline too. Nil for people counted without a badge
// (each +1 is someone else) and for a kiosk not limited by rights.
func (s *State) Readmits(ev *Event, door, holder string) []RightChange {
	if s.rights == nil || holder == "" || holder[0] == '+' {
		return nil
	}
	var out []RightChange
	for _, c := range ev.Counters(door) {
		if seqs := s.rights.open[holder][c]; len(seqs) > 0 {
			out = append(out, s.Credit(c, seqs[len(seqs)-1])...)
		}
	}
	return out
}

// Tight reports whether a space the door leads into is near its cap as
// this kiosk knows it: one of the door's counters has at most two free
// places per door into it (at least 4), counting the rights this kiosk
// holds and those free at other doors at the last sync. A place freed by
// an exit elsewhere then matters to the next person, so the kiosk syncs
// more often to hand it on. Never for a kiosk not limited by rights.
func (s *State) Tight(ev *Event, door string) bool {
	if s.rights == nil {
		return false
	}
	for _, c := range ev.Counters(door) {
		doors := 0
		for _, d := range ev.Doors {
			if slices.Contains(ev.Counters(d.ID), c) {
				doors++
			}
		}
		free, heard := s.rights.elsewhere[c]
		if heard && free+s.rights.balance[c] <= max(4, 2*doors) {
			return true
		}
	}
	return false
}
