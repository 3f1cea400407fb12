package checkin

import (
	"cmp"
	"slices"
)

// Presence (docs/design.md "Presence"): the count on every screen is a count
// of stays. A stay is a person inside one capacity counter (a space),
// opened by an admission that spent a right of it and closed by whatever
// proves the person is no longer there: an exit by any door of that
// space, or a later move that contradicts it. These are the rules; the
// center applies them as kiosks push, and every figure reads the open
// stays.

// Stamp is when something happened, on the center's clock as a kiosk
// estimated it: T in Unix milliseconds, give or take Err. A kiosk counts
// T on its monotonic clock from its last sync, so a wall-clock jump at
// the kiosk moves nothing; Err is half that sync's round trip plus the
// worst drift since. Err < 0 means the kiosk had no estimate (it
// restarted since its last sync, or never synced): T is its wall clock
// and proves no order.
type Stamp struct {
	T   int64 `json:"t"`
	Err int64 `json:"err"`
}

// Known reports whether the stamp bounds its error.
func (s Stamp) Known() bool { return s.Err >= 0 }

// CertainlyBefore reports whether s happened before o whatever the two
// errors: s's latest possible time is before o's earliest.
func (s Stamp) CertainlyBefore(o Stamp) bool {
	return s.Known() && o.Known() && s.T+s.Err < o.T-o.Err
}

// DriftPPM is the worst-case drift of a kiosk's monotonic clock against
// the center's that a stamp's error allows for: 200 parts per million
// (17 s a day), several times what a laptop's crystal does.
const DriftPPM = 200

// Estimate is a kiosk's stamp elapsed after a sync that put the center's
// clock at center ± err: the monotonic time since is added, and the error
// grows by DriftPPM of it (at least 1 ms for the clock's resolution).
func Estimate(center, err int64, elapsedMs int64) Stamp {
	if elapsedMs < 0 {
		return Stamp{T: center, Err: -1}
	}
	return Stamp{T: center + elapsedMs, Err: err + elapsedMs*DriftPPM/1_000_000 + 1}
}

// Stay is one open stay as the center holds it: Holder (a person id, or
// AnonHolder for people counted by a staff +1) inside Counter since the
// admission Seq of Kiosk, which led to Dest (the innermost space it
// entered). RSeq is the server sequence of the push that stored it.
type Stay struct {
	Holder  string
	Kiosk   string
	Seq     int64
	Counter string
	Dest    string
	Stamp   Stamp
	HLC     uint64
	RSeq    int64
	Cursor  int64 // the admitting kiosk's pull cursor when it logged the admission
}

// Mark is the event that may close stays: logged at Kiosk as Seq, when
// the kiosk's pull cursor was Cursor.
type Mark struct {
	Kiosk  string
	Seq    int64
	Cursor int64
	Stamp  Stamp
	HLC    uint64
}

// Before reports whether the stay's admission certainly happened before
// the event m: the same kiosk logged it earlier, or m's kiosk had pulled
// it (its cursor had reached the push that stored it), or the two stamps
// say so whatever their errors.
func (s Stay) Before(m Mark) bool {
	switch {
	case s.Kiosk == m.Kiosk:
		return s.Seq < m.Seq
	case s.RSeq > 0 && s.RSeq <= m.Cursor:
		return true
	}
	return s.Stamp.CertainlyBefore(m.Stamp)
}

// compareStays orders stays by when their admissions happened, as well
// as the center can tell: the estimated time, then the hybrid clock.
// Stamps are compared only when both bound their error; otherwise the
// hybrid clock, which at least never puts an effect before its cause.
func compareStays(a, b Stay) int {
	if a.Stamp.Known() && b.Stamp.Known() {
		if c := cmp.Compare(a.Stamp.T, b.Stamp.T); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(a.HLC, b.HLC), cmp.Compare(a.Kiosk, b.Kiosk), cmp.Compare(a.Seq, b.Seq))
}

// mark is the stay's admission as an event that may close others.
func (s Stay) mark() Mark {
	return Mark{Kiosk: s.Kiosk, Seq: s.Seq, Cursor: s.Cursor, Stamp: s.Stamp, HLC: s.HLC}
}

// ExitCloses returns the indexes of the open stays that an exit through
// door closes: the holder's stays in every space the exit leaves (the
// door's inner side, and the spaces around it that its outer side is
// not in: a door from the street into a room leaves the venue too) or
// in any space within those (leaving the venue ends every room stay),
// whose admission certainly came before the exit. A stay that might have
// begun after the exit stays open: counting someone who left is safe,
// missing someone inside is not. Nil for an unknown door.
func (e *Event) ExitCloses(door string, exit Mark, open []Stay) []int {
	d := e.doors[door]
	if d == nil {
		return nil
	}
	left, _ := e.Crossed(d.To, d.From)
	var out []int
	for i, s := range open {
		if slices.ContainsFunc(left, func(sp string) bool { return e.within(s.Counter, sp) }) && s.Before(exit) {
			out = append(out, i)
		}
	}
	return out
}

// Leaves reports whether an exit through door takes someone at location
// loc out of where they are: loc is within a space the exit leaves.
func (e *Event) Leaves(door, loc string) bool {
	d := e.doors[door]
	if d == nil {
		return false
	}
	left, _ := e.Crossed(d.To, d.From)
	return slices.ContainsFunc(left, func(sp string) bool { return e.within(loc, sp) })
}

// Settle returns the indexes of a person's open stays that a later one
// contradicts. Someone is in one place: the latest admission says where
// (its Dest), so a stay in a space that is not Dest or around it is
// over (they walked out of that room without scanning), and of two
// stays in the same space only the later is kept (they left unseen and
// came back). As for exits, a stay is closed only when its admission
// certainly came before the latest one; when the order is in doubt both
// stay open, which counts the person twice rather than not at all.
// Stays of AnonHolder counts are never settled: each is another person.
func (e *Event) Settle(open []Stay) []int {
	if len(open) < 2 {
		return nil
	}
	order := make([]int, len(open))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareStays(open[b], open[a]) }) // latest first
	latest := open[order[0]]
	at := latest.mark()
	kept := map[string]bool{}
	var out []int
	for _, i := range order {
		s := open[i]
		if (!slices.Contains(e.chains[latest.Dest], s.Counter) || kept[s.Counter]) && s.Before(at) {
			out = append(out, i)
			continue
		}
		kept[s.Counter] = true
	}
	slices.Sort(out)
	return out
}

// Innermost returns the deepest of the spaces a person has open stays
// in: where they are. Outside for none.
func (e *Event) Innermost(counters []string) string {
	loc, depth := Outside, 0
	for _, c := range counters {
		if n := len(e.chains[c]); n > depth {
			loc, depth = c, n
		}
	}
	return loc
}
