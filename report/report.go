// Package report turns a scan history into the organizers' figures: per
// space and per scheduled session, the peak occupancy and when it was
// reached, unique people, entries, exits, people per category and the
// time spent at or over capacity, each space's occupancy over time, and
// per door how many people came in and went out through it.
// It is pure: the central database and a kiosk's database each supply a
// Log, and the dashboard and the exports read the same Report.
package report

import (
	"slices"
	"sort"
	"time"

	"usher/checkin"
)

// Move is one recorded change of where people are, as the occupancy
// replay applies it: a person moved To a space (Outside to leave), or
// staff counted Delta people without a badge From → To.
type Move struct {
	At       time.Time
	Person   string // "" for a count without a badge
	Category string // the person's category id
	From, To string
	Delta    int
	// ID names the scan or headcount change that made the move, unique
	// within the log's source (a kiosk's seq; at the center, kiosk and
	// seq); "" when the source does not say. One scan may make several
	// moves, all with its ID.
	ID string
	// Undoes is the ID of the scan that this move, a staff undo, takes
	// back; "" for any other move.
	Undoes string
	// Door is the id of the door where the move was recorded; "" when
	// the source does not say (see Build for how such a move is placed).
	Door string
}

// Conflict is one event the merge of kiosks' logs flags (see
// centralstore.Conflict), or on a kiosk, an exit of someone it had not
// admitted.
type Conflict struct {
	Kind   string
	Person string
	Kiosk  string
	Door   string
	At     time.Time
}

// Log is a scan history: the event and its moves in the order they
// happened.
type Log struct {
	Event     *checkin.Event
	Moves     []Move
	Conflicts []Conflict
}

// Unbadged is the category key under which counts without a badge are
// reported.
const Unbadged = ""

// Point is a space's occupancy from At until the next point.
type Point struct {
	At time.Time
	N  int
}

// Stats are the figures of one space over a time window.
type Stats struct {
	Capacity int
	Peak     int
	PeakAt   time.Time // when the peak was first reached; zero if never entered
	Unique   int       // distinct people inside at some time, counts without a badge included
	Entries  int
	Exits    int
	// ByCategory is the distinct people per category id; Unbadged counts
	// people counted in without a badge.
	ByCategory  map[string]int
	AtOrOverCap time.Duration
}

// Minutes is d in minutes, to a tenth.
func Minutes(d time.Duration) float64 {
	return float64((d+3*time.Second)/(6*time.Second)) / 10
}

// Space is one space's report over the whole history.
type Space struct {
	ID, Name string
	Stats
	Series []Point // occupancy after each change, oldest first
}

// Session is one scheduled session's report: its space over its window,
// or over the part of it up to the report's end. A session that starts
// after the report's end is Upcoming and has no figures.
type Session struct {
	checkin.Session
	SpaceName string
	Upcoming  bool
	Stats
}

// Report is everything the dashboard and the exports show.
type Report struct {
	Event      *checkin.Event
	Start, End time.Time // the first move (or End if none) and the end of the report
	Spaces     []Space   // in the event's order
	Sessions   []Session // in start order
	Conflicts  []Conflict
	// Categories are the columns of per-category figures: every
	// category of the event in its order, whether anyone of it came or
	// not; then any category the event no longer has that appears in a
	// ByCategory; Unbadged last when anyone was counted without a badge.
	// A category missing from a ByCategory counts 0.
	Categories []string
	// Doors are the figures of each door: the event's doors in its
	// order, then any door the event no longer has that a move names,
	// by id.
	Doors []Door
}

// Door is one door's figures over the whole history. An entry is a
// passage into the door's To space (a count without a badge of n people
// is n), an exit a passage the other way. Staff undos are no passages:
// an undone scan counts at no door, nor does its undo.
type Door struct {
	ID, Name string // Name is the id when the event gives none
	From, To string // space ids or checkin.Outside; "" for a door the event no longer has
	Entries  int
	Exits    int
}

// crossing is one change of a space's people: n people entered (n > 0)
// or left (n < 0); person "" for a count without a badge.
type crossing struct {
	at       time.Time
	person   string
	category string
	n        int
}

type history struct {
	crossings []crossing
	series    []Point
}

// Build replays the log and reports up to end, which closes the last
// interval of every space (for time at or over capacity); a move after
// end is left out. Moves into a space the event no longer has are
// skipped, as in the live occupancy. The log's order is the truth: a move
// stamped earlier than the one before it (a kiosk clock set back) is
// placed at the time of the one before, so every series runs forward.
//
// A scan that staff undid never happened as far as the figures go: its
// moves are left out, and so is the undo (see undos).
//
// Each move the replay applies counts at its door (Report.Doors). A
// move whose source does not name its door is put on the one door
// between the places it leaves and enters, when the event has exactly
// one; with none or several it counts at no door, rather than at a
// guessed one.
func Build(log Log, end time.Time) *Report {
	r, _ := build(log, end, false)
	return r
}

// Step is one move as the replay applied it, after the rules of Build:
// a person went From where the replay had them To another place, or
// (N ≠ 0) staff counted N people without a badge From → To. Entries and
// Exits are what it counted at Door ("" for none).
type Step struct {
	At             time.Time
	Person         string // "" for a count
	From, To       string
	N              int
	Door           string
	Entries, Exits int
}

// Steps returns the steps Build's replay applies over the whole log, in
// its order. A log's steps, with where everyone is and each door's
// figures at their end, are all Tail needs to give a later window's
// series: a store can keep them for each person (whose steps depend on
// their own moves alone) as their moves arrive.
func Steps(log Log) []Step {
	if len(log.Moves) == 0 {
		return nil
	}
	end := log.Moves[0].At
	for _, m := range log.Moves {
		if m.At.After(end) {
			end = m.At
		}
	}
	_, steps := build(log, end, true)
	return steps
}

// replayer applies steps to the state and each space's history.
type replayer struct {
	ev      *checkin.Event
	state   *checkin.State
	hist    map[string]*history
	crossed map[[2]string][2][]string // Crossed of each pair of places met
}

func newReplayer(ev *checkin.Event) *replayer {
	rp := &replayer{ev: ev, state: checkin.NewState(ev), hist: make(map[string]*history, len(ev.Spaces))}
	for _, s := range ev.Spaces {
		rp.hist[s.ID] = &history{}
	}
	return rp
}

// crossings is ev.Crossed, once for each pair of places.
func (rp *replayer) crossings(from, to string) (left, entered []string) {
	k := [2]string{from, to}
	c, ok := rp.crossed[k]
	if !ok {
		if rp.crossed == nil {
			rp.crossed = map[[2]string][2][]string{}
		}
		c[0], c[1] = rp.ev.Crossed(from, to)
		rp.crossed[k] = c
	}
	return c[0], c[1]
}

// apply applies one step of a person of category (none for a count).
func (rp *replayer) apply(s Step, category string) {
	left, entered := rp.crossings(s.From, s.To)
	n := 1
	if s.N != 0 {
		n = s.N
		left = nil // a count changes only the spaces its move enters
	}
	rp.state.Apply(s.Person, s.From, s.To, s.N)
	for _, sp := range left {
		h := rp.hist[sp]
		h.crossings = append(h.crossings, crossing{s.At, s.Person, category, -n})
		h.series = append(h.series, Point{s.At, rp.state.Count(sp)})
	}
	for _, sp := range entered {
		h := rp.hist[sp]
		h.crossings = append(h.crossings, crossing{s.At, s.Person, category, n})
		h.series = append(h.series, Point{s.At, rp.state.Count(sp)})
	}
}

// build replays the log to end; stepsOnly returns the steps alone,
// without the report.
func build(log Log, end time.Time, stepsOnly bool) (*Report, []Step) {
	ev := log.Event
	rp := newReplayer(ev)
	r := &Report{Event: ev, Start: end, End: end, Conflicts: log.Conflicts}
	doors := newDoorCounts(ev)
	steps := replaySteps(log, end, rp, r, doors, stepsOnly)
	if stepsOnly {
		return nil, steps
	}
	cats := r.addSpaces(rp.hist, end)
	r.addSessions(rp.hist, end)
	r.addCategories(cats)
	r.Doors = doors.report()
	return r, steps
}

// replaySteps replays the log's moves up to end as steps: undone moves
// and undos that changed nothing left out, a move never before the one
// before it, moves to spaces the event no longer has dropped, each
// passage counted at its door. It applies each step to rp (and sets
// r.Start at the first) or, with stepsOnly, only follows where people
// are and returns the steps.
func replaySteps(log Log, end time.Time, rp *replayer, r *Report, doors *doorCounts, stepsOnly bool) []Step {
	ev, state := log.Event, rp.state
	known := func(loc string) bool { return loc == checkin.Outside || ev.Space(loc) != nil }
	undone, applied := undos(log.Moves)
	first := true
	var (
		last  time.Time
		steps []Step
	)
	for i, m := range log.Moves {
		if m.ID != "" && undone[m.ID] {
			continue
		}
		if m.Undoes != "" && (m.Delta != 0 || !applied[i] || state.Location(m.Person) == m.To) {
			continue
		}
		if m.At.Before(last) {
			m.At = last
		}
		if m.At.After(end) {
			continue
		}
		// As in the live occupancy, a move with a delta is a count without
		// a badge, whoever it names.
		count := m.Delta != 0
		if !known(m.To) || (count && !known(m.From)) || (!count && m.Person == "") {
			continue
		}
		if count {
			m.Person = ""
		}
		if first {
			r.Start, first = m.At, false
		}
		last = m.At
		s := Step{At: m.At, Person: m.Person, To: m.To, N: m.Delta}
		n := 1
		if count {
			s.From, n = m.From, m.Delta
		} else {
			s.From = state.Location(m.Person)
			if s.From == m.To {
				continue
			}
		}
		if m.Undoes == "" {
			s.Door, s.Entries, s.Exits = doors.passage(m, s.From, n)
			doors.add(s.Door, s.Entries, s.Exits)
		}
		if stepsOnly {
			if !count {
				state.Move(s.Person, s.To) // all the next steps read: where each person is
			}
			steps = append(steps, s)
			continue
		}
		rp.apply(s, m.Category)
	}
	return steps
}

// addSpaces adds every space's figures up to end, and returns the
// categories seen in them, with every category of the event (each has
// its column, zeros included).
func (r *Report) addSpaces(hist map[string]*history, end time.Time) map[string]bool {
	cats := map[string]bool{}
	for _, c := range r.Event.Categories {
		cats[c.ID] = true
	}
	for _, s := range r.Event.Spaces {
		h := hist[s.ID]
		st := h.stats(s.Capacity, time.Time{}, end, true)
		for c := range st.ByCategory {
			cats[c] = true
		}
		r.Spaces = append(r.Spaces, Space{ID: s.ID, Name: s.Name, Stats: st, Series: h.series})
	}
	return cats
}

// addSessions adds every session's figures, by start: over its time if
// it ended by end, up to end if it is under way, none yet if upcoming.
func (r *Report) addSessions(hist map[string]*history, end time.Time) {
	ev := r.Event
	sessions := slices.Clone(ev.Sessions)
	sort.SliceStable(sessions, func(i, j int) bool { return sessions[i].Start.Before(sessions[j].Start) })
	for _, ss := range sessions {
		s := ev.Space(ss.Space)
		rs := Session{Session: ss, SpaceName: s.Name}
		switch {
		case ss.Start.After(end):
			rs.Upcoming, rs.Stats = true, Stats{Capacity: s.Capacity, ByCategory: map[string]int{}}
		case ss.End.After(end): // under way: up to the end of the report
			rs.Stats = hist[ss.Space].stats(s.Capacity, ss.Start, end, true)
		default:
			rs.Stats = hist[ss.Space].stats(s.Capacity, ss.Start, ss.End, false)
		}
		r.Sessions = append(r.Sessions, rs)
	}
}

// addCategories lists the categories' columns: the event's in its
// order, then those it no longer has (sorted), then the unbadged.
func (r *Report) addCategories(cats map[string]bool) {
	for _, c := range r.Event.Categories {
		if cats[c.ID] {
			r.Categories = append(r.Categories, c.ID)
			delete(cats, c.ID)
		}
	}
	unbadged := cats[Unbadged]
	delete(cats, Unbadged)
	for _, c := range sortedKeys(cats) { // categories the event no longer has
		r.Categories = append(r.Categories, c)
	}
	if unbadged {
		r.Categories = append(r.Categories, Unbadged)
	}
}

// Tail is the report of a long history's end without replaying it all,
// for a view that shows each door's figures and each space's recent
// series only. doors are each door's totals (ID, Entries, Exits: the
// sums of the steps'); final is each space's count once every step is
// applied; after are the steps Steps gives with At after from, in
// its order. Each space's Series is its level at from, at from, then
// every point Build's series has after from, so Space.Since from from
// on is Build's; Doors is Build's. Start and End are from, and the other
// figures are zero.
func Tail(ev *checkin.Event, from time.Time, final map[string]int, doors []Door, after []Step) *Report {
	// One replay of the steps from zero: each count is its level at
	// from plus what the replay counts, and the level is what makes it
	// final. A step's places are where its person was and went (the
	// state's Move), or a count's (Adjust), so the people need no state.
	rp := newReplayer(ev)
	counts := map[string]int{}
	for _, s := range after {
		left, entered := rp.crossings(s.From, s.To)
		n := 1
		if s.N != 0 {
			n, left = s.N, nil // a count changes only the spaces its move enters
		}
		for _, sp := range left {
			counts[sp] -= n
			rp.hist[sp].series = append(rp.hist[sp].series, Point{s.At, counts[sp]})
		}
		for _, sp := range entered {
			counts[sp] += n
			rp.hist[sp].series = append(rp.hist[sp].series, Point{s.At, counts[sp]})
		}
	}
	r := &Report{Event: ev, Start: from, End: from, Categories: []string{}}
	for _, sp := range ev.Spaces {
		base := final[sp.ID] - counts[sp.ID]
		series := make([]Point, 0, 1+len(rp.hist[sp.ID].series))
		series = append(series, Point{from, base})
		for _, p := range rp.hist[sp.ID].series {
			series = append(series, Point{p.At, base + p.N})
		}
		r.Spaces = append(r.Spaces, Space{ID: sp.ID, Name: sp.Name, Stats: Stats{Capacity: sp.Capacity, ByCategory: map[string]int{}},
			Series: series})
	}
	dc := newDoorCounts(ev)
	for _, d := range doors {
		if dc.byID[d.ID] != nil || d.Entries != 0 || d.Exits != 0 {
			dc.add(d.ID, d.Entries, d.Exits)
		}
	}
	r.Doors = dc.report()
	return r
}

// firstPlaces is where each person stepping is before their first step.
func firstPlaces(steps []Step) map[string]string {
	where := map[string]string{}
	for _, s := range steps {
		if _, ok := where[s.Person]; !ok && s.N == 0 {
			where[s.Person] = s.From
		}
	}
	return where
}

// Change is how much steps, in order, change each space's count (the
// spaces they change): the count after them less the count before, as
// their replay counts.
func Change(ev *checkin.Event, steps []Step) map[string]int {
	st := checkin.NewState(ev)
	st.ResetPresence(firstPlaces(steps), nil, nil)
	for _, s := range steps {
		st.Apply(s.Person, s.From, s.To, s.N)
	}
	out := map[string]int{}
	for _, sp := range ev.Spaces {
		if n := st.Count(sp.ID); n != 0 {
			out[sp.ID] = n
		}
	}
	return out
}

// doorCounts gathers the figures of Report.Doors during the replay.
type doorCounts struct {
	ev     *checkin.Event
	byID   map[string]*Door
	extras []string // door ids the event does not have, as first seen
}

func newDoorCounts(ev *checkin.Event) *doorCounts {
	dc := &doorCounts{ev: ev, byID: make(map[string]*Door, len(ev.Doors))}
	for _, d := range ev.Doors {
		name := d.Name
		if name == "" {
			name = d.ID
		}
		dc.byID[d.ID] = &Door{ID: d.ID, Name: name, From: d.From, To: d.To}
	}
	return dc
}

// passage is where move m, applied by the replay, from the place from
// with n people (a count's delta; 1 for a person) counts: the door, and
// the entries and exits it adds there; "" when it counts at no door.
func (dc *doorCounts) passage(m Move, from string, n int) (id string, entries, exits int) {
	id = m.Door
	if id == "" {
		id = dc.between(from, m.To)
		if id == "" {
			return "", 0, 0
		}
	}
	d := dc.ev.Door(id)
	switch {
	case m.Delta > 0:
		return id, m.Delta, 0
	case m.Delta < 0:
		return id, 0, -m.Delta
	case d != nil && d.To != "" && slices.Contains(dc.enters(from, m.To), d.To):
		return id, n, 0
	case (d == nil || d.To == "") && dc.inward(from, m.To):
		return id, n, 0 // a door the event lost: an entry is a move inward
	}
	return id, 0, n
}

// add counts entries and exits at door id ("": none).
func (dc *doorCounts) add(id string, entries, exits int) {
	if id == "" {
		return
	}
	d := dc.byID[id]
	if d == nil {
		d = &Door{ID: id, Name: id}
		dc.byID[id] = d
		dc.extras = append(dc.extras, id)
	}
	d.Entries += entries
	d.Exits += exits
}

// enters is the spaces a move from one place to another enters.
func (dc *doorCounts) enters(from, to string) []string {
	_, entered := dc.ev.Crossed(from, to)
	return entered
}

// inward reports whether a move from one place to another enters a
// space and leaves none.
func (dc *doorCounts) inward(from, to string) bool {
	left, entered := dc.ev.Crossed(from, to)
	return len(left) == 0 && len(entered) > 0
}

// between is the id of the event's only door joining a and b either
// way, or "" when it has none or several.
func (dc *doorCounts) between(a, b string) string {
	found := ""
	for _, d := range dc.ev.Doors {
		if (d.From == a && d.To == b) || (d.From == b && d.To == a) {
			if found != "" {
				return ""
			}
			found = d.ID
		}
	}
	return found
}

func (dc *doorCounts) report() []Door {
	out := make([]Door, 0, len(dc.byID))
	for _, d := range dc.ev.Doors {
		out = append(out, *dc.byID[d.ID])
	}
	extras := slices.Clone(dc.extras)
	sort.Strings(extras)
	for _, id := range extras {
		out = append(out, *dc.byID[id])
	}
	return out
}

// undos reads the staff undos of moves: the IDs of the scans undone,
// and which undo moves the replay applies.
//
// Leaving an undone scan out leaves its person where they were before
// it, which is where its undo puts them back: the undo then changes
// nothing and is left out too. Only if they moved in between (left by
// another door and came back) does the undo move them, as the live
// occupancy does; a source that records one undo as several moves (the
// center, a move per space left) gives that last move alone, the place
// the undo put them. A count's undo takes back its count, which is left
// out already, so it is always left out.
func undos(moves []Move) (undone map[string]bool, applied map[int]bool) {
	undone = map[string]bool{}
	lastOf := map[string]int{}
	for i, m := range moves {
		if m.Undoes != "" {
			undone[m.Undoes] = true
			lastOf[m.Undoes] = i
		}
	}
	applied = make(map[int]bool, len(lastOf))
	for _, i := range lastOf {
		applied[i] = true
	}
	return undone, applied
}

// stats are the figures over [from, to), or [from, to] when through (the
// whole history up to its end, whose last move may be at to itself); a
// zero from is the beginning. Everyone inside at from counts among the
// unique people.
func (h *history) stats(capacity int, from, to time.Time, through bool) Stats {
	within := func(t time.Time) bool { return t.Before(to) || through && t.Equal(to) }
	st := Stats{Capacity: capacity, ByCategory: map[string]int{}}
	h.countPeople(&st, from, within)
	h.measureOccupancy(&st, from, to, within)
	return st
}

// countPeople counts into st the window's entries and exits, and the
// people inside in it, by category: those inside at from and those who
// came in before it ended, the unbadged as counts.
func (h *history) countPeople(st *Stats, from time.Time, within func(time.Time) bool) {
	inside := map[string]int{} // person → times inside (a replay may count twice)
	category := map[string]string{}
	anon := 0
	seen := map[string]bool{}
	i := 0
	for ; i < len(h.crossings) && h.crossings[i].at.Before(from); i++ {
		c := h.crossings[i]
		if c.person == "" {
			anon += c.n
			continue
		}
		inside[c.person] += c.n
		category[c.person] = c.category
	}
	anonSeen := max(anon, 0)
	for p, n := range inside {
		if n > 0 {
			seen[p] = true
		}
	}
	for ; i < len(h.crossings) && within(h.crossings[i].at); i++ {
		c := h.crossings[i]
		if c.n > 0 {
			st.Entries += c.n
		} else {
			st.Exits -= c.n
		}
		if c.person == "" {
			if c.n > 0 {
				anonSeen += c.n
			}
			continue
		}
		category[c.person] = c.category
		if c.n > 0 {
			seen[c.person] = true
		}
	}
	for p := range seen {
		st.ByCategory[category[p]]++
	}
	if anonSeen > 0 {
		st.ByCategory[Unbadged] += anonSeen
	}
	st.Unique = len(seen) + anonSeen
}

// measureOccupancy sets st's peak and the time at or over capacity in
// the window: the level at from, then each point in it, up to to.
func (h *history) measureOccupancy(st *Stats, from, to time.Time, within func(time.Time) bool) {
	level, j := 0, 0
	for ; j < len(h.series) && !h.series[j].At.After(from); j++ {
		level = h.series[j].N
	}
	start := from
	if level > 0 {
		st.Peak, st.PeakAt = level, from
	}
	over := func(a, b time.Time, n int) {
		if n >= st.Capacity && b.After(a) {
			st.AtOrOverCap += b.Sub(a)
		}
	}
	for ; j < len(h.series) && within(h.series[j].At); j++ {
		p := h.series[j]
		if !start.IsZero() {
			over(start, p.At, level)
		}
		start, level = p.At, p.N
		if level > st.Peak {
			st.Peak, st.PeakAt = level, p.At
		}
	}
	if !start.IsZero() {
		over(start, to, level)
	}
}

// OccupancyAt returns the space's occupancy at t from its series.
func (s *Space) OccupancyAt(t time.Time) int {
	i := sort.Search(len(s.Series), func(i int) bool { return s.Series[i].At.After(t) })
	if i == 0 {
		return 0
	}
	return s.Series[i-1].N
}

// Since returns the occupancy over [from, r.End] as points: the level at
// from, then every change after it, then the level at End, for a trend
// line or a chart.
func (s *Space) Since(from, end time.Time) []Point {
	pts := []Point{{from, s.OccupancyAt(from)}}
	for _, p := range s.Series {
		if p.At.After(from) && !p.At.After(end) {
			pts = append(pts, p)
		}
	}
	return append(pts, Point{end, pts[len(pts)-1].N})
}

// Space returns the report of a space, or nil.
func (r *Report) Space(id string) *Space {
	for i := range r.Spaces {
		if r.Spaces[i].ID == id {
			return &r.Spaces[i]
		}
	}
	return nil
}

// PlaceName is the display name of a space id or checkin.Outside, as a
// door's From and To hold them: "Outside", the space's name, else the
// id itself ("" stays "").
func (r *Report) PlaceName(id string) string {
	if id == checkin.Outside {
		return "Outside"
	}
	if s := r.Event.Space(id); s != nil && s.Name != "" {
		return s.Name
	}
	return id
}

// CategoryName is the display name of a category key of ByCategory.
func (r *Report) CategoryName(id string) string {
	if id == Unbadged {
		return "Without badge"
	}
	if c := r.Event.Category(id); c != nil && c.Name != "" {
		return c.Name
	}
	return id
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
