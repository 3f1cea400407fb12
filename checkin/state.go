package checkin

import "slices"

// State is where everyone is and how many people each space holds. It is
// derived state: the store rebuilds it from the durable scan log and
// applies each decision only after the decision is committed.
type State struct {
	ev    *Event
	where map[string]string // person id → innermost space; absent means Outside
	count map[string]int    // space id → people inside it or inside a room within it
	anon  map[string]int    // space id → people counted into it by staff without a badge

	rights *Rights // nil: not limited by rights (a standalone kiosk)
}

// NewState returns the state of an empty event: everyone outside.
func NewState(ev *Event) *State {
	return &State{ev: ev, where: make(map[string]string), count: make(map[string]int), anon: make(map[string]int)}
}

// Location returns the innermost space the person is recorded in, or
// Outside.
func (s *State) Location(personID string) string {
	if l, ok := s.where[personID]; ok {
		return l
	}
	return Outside
}

// Count returns the number of people inside the space, rooms included.
func (s *State) Count(space string) int { return s.count[space] }

// Occupancy returns a copy of every space's count, zeros included.
func (s *State) Occupancy() map[string]int {
	m := make(map[string]int, len(s.ev.Spaces))
	for _, sp := range s.ev.Spaces {
		m[sp.ID] = s.count[sp.ID]
	}
	return m
}

// Move records that the person went from wherever they were to space to
// (Outside to leave). Spaces the person leaves lose one, spaces newly
// entered gain one; a move within the venue leaves the venue's count as
// it is.
func (s *State) Move(personID, to string) {
	from := s.Location(personID)
	if from == to {
		return
	}
	left, entered := s.ev.Crossed(from, to)
	for _, sp := range left {
		s.count[sp]--
	}
	for _, sp := range entered {
		s.count[sp]++
	}
	if to == Outside {
		delete(s.where, personID)
	} else {
		s.where[personID] = to
	}
}

// Adjust counts delta more people (delta < 0: fewer) who went from → to
// without a badge: the spaces entered by that move change by delta.
func (s *State) Adjust(from, to string, delta int) {
	_, entered := s.ev.Crossed(from, to)
	for _, sp := range entered {
		s.count[sp] += delta
	}
	s.anon[to] += delta
}

// Apply applies one logged move: with a delta, a staff headcount change
// of people without a badge who went from → to (Adjust); otherwise the
// person's move to to (Move). A move with neither a person nor a delta
// moves nobody. The kiosk's state, the center's replays and the reports
// apply their logs with it, so every figure follows one rule
// (docs/design.md "Presence").
func (s *State) Apply(person, from, to string, delta int) {
	switch {
	case delta != 0:
		s.Adjust(from, to, delta)
	case person != "":
		s.Move(person, to)
	}
}

// Unbadged returns how many people staff counted into the space without
// a badge (+1) and have not taken back (−1).
func (s *State) Unbadged(space string) int { return s.anon[space] }

// Crossed returns the spaces left and the spaces entered, outermost
// first, by moving from one location to another.
func (e *Event) Crossed(from, to string) (left, entered []string) {
	a, b := e.chains[from], e.chains[to]
	for _, sp := range a {
		if !slices.Contains(b, sp) {
			left = append(left, sp)
		}
	}
	for _, sp := range b {
		if !slices.Contains(a, sp) {
			entered = append(entered, sp)
		}
	}
	return left, entered
}

// within reports whether location loc is space or inside it.
func (e *Event) within(loc, space string) bool {
	return slices.Contains(e.chains[loc], space)
}

// ResetPresence replaces where everyone is and every count with a base
// the center sent (who is where, people inside each space, people
// counted without a badge per space); rights are left as they are. The
// kiosk then applies its own moves since.
func (s *State) ResetPresence(where map[string]string, count, anon map[string]int) {
	s.where, s.count, s.anon = make(map[string]string, len(where)), make(map[string]int, len(count)), make(map[string]int, len(anon))
	for p, l := range where {
		if l != Outside {
			s.where[p] = l
		}
	}
	for sp, n := range count {
		s.count[sp] = n
	}
	for sp, n := range anon {
		s.anon[sp] = n
	}
}
