package checkin

import "slices"

// Contents is what a State holds that its log built: where everyone is,
// the counts, the people counted without a badge, and a kiosk's rights
// (its balances and its open admissions). A store saves it with the log
// position it reflects, so that a restart replays only the rows after
// it. What the center last said (SetElsewhere, SetDebt) is not in it:
// the store keeps that apart and sets it again.
type Contents struct {
	Where    map[string]string `json:"where"`             // person → innermost space
	Count    map[string]int    `json:"count"`             // space → people inside it, rooms included
	Unbadged map[string]int    `json:"unbadged"`          // space → people counted without a badge
	Limited  bool              `json:"limited"`           // decisions need capacity rights (LimitByRights)
	Balance  map[string]int    `json:"balance,omitempty"` // counter → rights held
	Open     map[string]Opened `json:"open,omitempty"`    // holder → open admissions
}

// Opened is one holder's open admissions: counter → admission seqs,
// oldest first.
type Opened map[string][]int64

// Contents returns a copy of what the state holds (see Contents).
func (s *State) Contents() Contents {
	c := Contents{Where: make(map[string]string, len(s.where)), Count: make(map[string]int, len(s.count)),
		Unbadged: make(map[string]int, len(s.anon)), Limited: s.rights != nil}
	for p, l := range s.where {
		c.Where[p] = l
	}
	for sp, n := range s.count {
		if n != 0 {
			c.Count[sp] = n
		}
	}
	for sp, n := range s.anon {
		if n != 0 {
			c.Unbadged[sp] = n
		}
	}
	if s.rights == nil {
		return c
	}
	c.Balance, c.Open = map[string]int{}, map[string]Opened{}
	for k, n := range s.rights.balance {
		c.Balance[k] = n // a zero too: the report to the center lists every counter held once
	}
	for h, counters := range s.rights.open {
		o := Opened{}
		for k, seqs := range counters {
			if len(seqs) > 0 {
				o[k] = slices.Clone(seqs)
			}
		}
		if len(o) > 0 {
			c.Open[h] = o
		}
	}
	return c
}

// Restore returns the state that c describes for this event, after
// checking that it is one a log could have built: every person is in a
// space the event defines, every space and counter is the event's, no
// count, unbadged count or balance is negative, every holder is a
// printable person id or a space's AnonHolder, and each holder's
// admission seqs are positive and strictly increasing. Returns EINVALID
// otherwise; the store then rebuilds the state from its log.
func (e *Event) Restore(c Contents) (*State, error) {
	s := NewState(e)
	for p, l := range c.Where {
		if p == "" || !Printable(p) || e.spaces[l] == nil {
			return nil, Errorf(EINVALID, "state: %q in %q", p, l)
		}
		s.where[p] = l
	}
	for _, m := range []struct {
		name string
		from map[string]int
		to   map[string]int
	}{{"count", c.Count, s.count}, {"unbadged count", c.Unbadged, s.anon}} {
		for sp, n := range m.from {
			if e.spaces[sp] == nil || n < 0 {
				return nil, Errorf(EINVALID, "state: %s %d of %q", m.name, n, sp)
			}
			if n != 0 {
				m.to[sp] = n
			}
		}
	}
	if !c.Limited {
		if len(c.Balance) > 0 || len(c.Open) > 0 {
			return nil, Errorf(EINVALID, "state: rights at a kiosk not limited by them")
		}
		return s, nil
	}
	s.LimitByRights()
	r := s.rights
	for k, n := range c.Balance {
		if e.spaces[k] == nil || n < 0 {
			return nil, Errorf(EINVALID, "state: balance %d of %q", n, k)
		}
		r.balance[k] = n
	}
	for h, counters := range c.Open {
		if err := e.checkHolder(h); err != nil {
			return nil, err
		}
		for k, seqs := range counters {
			if e.spaces[k] == nil {
				return nil, Errorf(EINVALID, "state: %s's admission into %q", h, k)
			}
			for i, seq := range seqs {
				if seq <= 0 || (i > 0 && seq <= seqs[i-1]) {
					return nil, Errorf(EINVALID, "state: %s's admissions into %s: %v", h, k, seqs)
				}
			}
			if len(seqs) == 0 {
				continue
			}
			if r.open[h] == nil {
				r.open[h] = map[string][]int64{}
			}
			r.open[h][k] = slices.Clone(seqs)
		}
	}
	return s, nil
}

// checkHolder reports a holder of rights no log row could name.
func (e *Event) checkHolder(h string) error {
	if h == "" || !Printable(h) {
		return Errorf(EINVALID, "state: holder %q", h)
	}
	if h[0] == '+' && e.spaces[h[1:]] == nil {
		return Errorf(EINVALID, "state: holder %q counted into no space of the event", h)
	}
	return nil
}

// LatestOpen returns the highest admission seq among the open ones; 0
// for none. A store checks it against the log position it restores at.
func (c Contents) LatestOpen() int64 {
	var last int64
	for _, counters := range c.Open {
		for _, seqs := range counters {
			if n := len(seqs); n > 0 && seqs[n-1] > last {
				last = seqs[n-1]
			}
		}
	}
	return last
}
