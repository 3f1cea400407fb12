package centralstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"usher/checkin"
	"usher/report"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// Presence at the center (checkin/presence.go, docs/design.md "Presence"): every
// spend pushed is a stay, and the open stays are the count on every
// screen. As each event is stored, the rules close the stays it proves
// over: an exit closes the person's stays in the space its door leads
// into, whichever door admitted them; an admission closes the stays it
// contradicts. A stay closed here that its kiosk has not credited is
// sent to that kiosk as a notice, and only that kiosk credits the right
// (it alone knows whether its own exit did already); a retired kiosk's
// is credited to the reserve at once.

// applyPresence applies the presence rules to a newly stored event of
// kiosk, after its rights are booked, and records how many stays it
// closed.
// Over 60 lines: the rules' cases for one event (admission, exit,
// headcount, undo) are read best in one switch.
func (db *DB) applyPresence(ctx context.Context, tx *sql.Tx, t *tally, ev *checkin.Event, kiosk string, e wire.Event, rseq int64) error {
	holder := holderOf(e)
	if holder == "" || ev == nil {
		t.closes = 0
		return nil
	}
	mark := checkin.Mark{Kiosk: kiosk, Seq: e.Seq, Cursor: e.Cursor, Stamp: stampOf(e), HLC: e.HLC}
	anon := e.Person == ""
	var closing []checkin.Stay
	switch {
	case e.Decision == string(checkin.Leave) && ev.Door(e.Door) != nil:
		open, err := db.openStaysOf(ctx, tx, t.v, holder)
		if err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
		idx := ev.ExitCloses(e.Door, mark, open)
		if anon {
			// A −1 takes back one person: the kiosk's own +1 if it had one
			// (its credit closed it), else the latest +1 counted elsewhere.
			idx = latestGroup(open, idx)
			if t.closes > 0 || !slices.ContainsFunc(e.Rights, func(c checkin.RightChange) bool { return c.Kind == checkin.RightLeft }) {
				idx = nil
			}
		}
		for _, i := range idx {
			closing = append(closing, open[i])
		}
	case !anon && slices.ContainsFunc(e.Rights, func(c checkin.RightChange) bool { return c.Kind == checkin.RightSpend }):
		open, err := db.openStaysOf(ctx, tx, t.v, holder)
		if err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
		done := map[int]bool{}
		for _, i := range ev.Settle(open) {
			closing, done[i] = append(closing, open[i]), true
		}
		// An admission pushed late (its kiosk was offline) may come after
		// the exit that ended it: an exit stored already that certainly
		// follows it closes it now.
		exits, err := db.exitsOfPerson(ctx, tx, t.v, holder)
		if err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
		for _, x := range exits {
			for _, i := range ev.ExitCloses(x.door, x.mark, open) {
				if !done[i] && open[i].Kiosk == kiosk && open[i].Seq == e.Seq {
					closing, done[i] = append(closing, open[i]), true
				}
			}
		}
	}
	for _, s := range closing {
		if err := db.closeStay(ctx, tx, t, s, e.HLC, rseq, kiosk, e.Seq); err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
	}
	n := t.closes + int64(len(closing))
	t.closes = 0
	if n == 0 {
		return nil
	}
	if _, ok := t.v.held.seqs[e.Seq]; ok {
		t.v.held.setCloses(e.Seq, n)
		return nil
	}
	_, err := db.exec(ctx, tx, `UPDATE events SET closes = ? WHERE kiosk_id = ? AND seq = ?`, n, kiosk, e.Seq)
	return err
}

// latestGroup keeps, of the stays at idx, those of the latest admission.
func latestGroup(open []checkin.Stay, idx []int) []int {
	if len(idx) == 0 {
		return nil
	}
	best := idx[0]
	for _, i := range idx[1:] {
		if a, b := open[i], open[best]; a.HLC > b.HLC || a.HLC == b.HLC && (a.Kiosk > b.Kiosk || a.Kiosk == b.Kiosk && a.Seq > b.Seq) {
			best = i
		}
	}
	var out []int
	for _, i := range idx {
		if open[i].Kiosk == open[best].Kiosk && open[i].Seq == open[best].Seq {
			out = append(out, i)
		}
	}
	return out
}

// openStays reads the holder's open stays.
//
// On SQLite the holder is compared as +?, not ?: SQLite checks a bound
// value against the WHERE of the partial index spends_early (an empty
// person_id), and a statement whose plan might depend on a value is
// compiled again for every new one. That recompiling was an eighth of a push's
// time; a unary plus leaves the value and the index spends_open as they
// are. PostgreSQL has no unary plus for text, and no such recompiling.
func (db *DB) openStays(ctx context.Context, tx *sql.Tx, holder string) ([]checkin.Stay, error) {
	holderIs := "person_id = +?"
	if db.pg {
		holderIs = "person_id = ?"
	}
	rows, err := db.query(ctx, tx, `
		SELECT kiosk_id, seq, counter, dest, t, terr, hlc, rseq, cursor FROM spends
		WHERE `+holderIs+` AND closed = 0 ORDER BY kiosk_id, seq, counter`, holder)
	if err != nil {
		return nil, fmt.Errorf("open stays: %w", err)
	}
	defer rows.Close()
	var out []checkin.Stay
	for rows.Next() {
		s := checkin.Stay{Holder: holder}
		var h int64
		if err := rows.Scan(&s.Kiosk, &s.Seq, &s.Counter, &s.Dest, &s.Stamp.T, &s.Stamp.Err, &h, &s.RSeq, &s.Cursor); err != nil {
			return nil, fmt.Errorf("open stays: %w", err)
		}
		s.HLC = uint64(h)
		out = append(out, s)
	}
	return out, rows.Err()
}

// closeStay closes a stay the rules ended, by the event (exitKiosk,
// exitSeq) stamped at: its kiosk is sent a notice to credit the right,
// or for a retired kiosk the right goes back to the center now.
func (db *DB) closeStay(ctx context.Context, tx *sql.Tx, t *tally, s checkin.Stay, at uint64, rseq int64, exitKiosk string, exitSeq int64) error {
	retired, err := db.isRetired(ctx, tx, t.v, s.Kiosk)
	if err != nil {
		return fmt.Errorf("close stay: %w", err)
	}
	closed := 2
	if retired {
		closed = 1
		t.credit[s.Counter]++
	}
	t.inside[s.Counter]--
	k := spendKey{s.Kiosk, s.Seq, s.Counter}
	if !t.v.held.closeHeld(k, closed, int64(at), rseq, true) {
		if _, err := db.exec(ctx, tx, `UPDATE spends SET closed = ?, closed_hlc = ?, pseq = ? WHERE kiosk_id = ? AND seq = ? AND counter = ?`,
			closed, int64(at), rseq, s.Kiosk, s.Seq, s.Counter); err != nil {
			return fmt.Errorf("close stay: %w", err)
		}
	}
	t.v.closed(k, s.Holder, closed)
	if retired {
		return nil
	}
	t.notices = append(t.notices, notice{kiosk: s.Kiosk, person: s.Holder, counter: s.Counter, admission: s.Seq,
		exitKiosk: exitKiosk, exitSeq: exitSeq})
	if !slices.Contains(t.noticed, s.Kiosk) {
		t.noticed = append(t.noticed, s.Kiosk)
	}
	return nil
}

// presence is what a kiosk's pull says of who is inside: every space's
// count, the +1s per space, and where each person whose stays changed in
// (cursor, through] is now.
func (db *DB) presence(ctx context.Context, tx *sql.Tx, ev *checkin.Event, kiosk string, cursor, through int64) (*wire.Presence, error) {
	counts, unbadged, err := db.occupancy(ctx, tx, ev)
	if err != nil {
		return nil, err
	}
	p := &wire.Presence{At: db.Now().UnixMilli(), Counts: counts, Unbadged: unbadged}
	var mine sql.NullInt64
	// The kiosk's own log as sent, not a forked log's branches (kept at
	// seq + n·2^40: see Ingest).
	if err := db.queryRow(ctx, tx, `SELECT max(seq) FROM events WHERE kiosk_id = ? AND seq < 1099511627776`, kiosk).Scan(&mine); err != nil {
		return nil, fmt.Errorf("presence: %w", err)
	}
	p.Through = mine.Int64
	// Each person whose stays changed, with their open stays, in one
	// statement: a pull every two seconds from each of 500 kiosks asks
	// this of every person moved meanwhile.
	rows, err := db.query(ctx, tx, `
		SELECT c.person_id, coalesce(s.counter, '') FROM
			(SELECT DISTINCT person_id FROM spends WHERE pseq > ? AND pseq <= ? AND person_id <> '') c
		LEFT JOIN spends s ON s.person_id = c.person_id AND s.closed = 0
		ORDER BY c.person_id, s.kiosk_id, s.seq, s.counter`, cursor, through)
	if err != nil {
		return nil, fmt.Errorf("presence: %w", err)
	}
	defer rows.Close()
	var (
		person   string
		counters []string
	)
	where := func() {
		if _, anon := anonSpace(person); person != "" && !anon {
			p.People = append(p.People, wire.Where{Person: person, Location: ev.Innermost(counters)})
		}
	}
	for rows.Next() {
		var id, counter string
		if err := rows.Scan(&id, &counter); err != nil {
			return nil, fmt.Errorf("presence: %w", err)
		}
		if id != person {
			where()
			person, counters = id, counters[:0]
		}
		if counter != "" && ev.Space(counter) != nil {
			counters = append(counters, counter)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("presence: %w", err)
	}
	where()
	return p, nil
}

// occupancy counts the people inside each space from the open stays:
// each person where their innermost open stay puts them, and so in every
// space around it too (someone admitted into a room by a door from the
// hallway is in the venue whichever door let them into it); each staff
// +1 in the space it counted into and those around it. unbadged is the
// +1s per space they counted into.
// Over 60 lines: one pass over the open stays, and one over the +1s.
func (db *DB) occupancy(ctx context.Context, tx *sql.Tx, ev *checkin.Event) (counts, unbadged map[string]int, err error) {
	counts, unbadged = map[string]int{}, map[string]int{}
	for _, s := range ev.Spaces {
		counts[s.ID] = 0
	}
	rows, err := db.query(ctx, tx, `SELECT person_id, kiosk_id, seq, counter FROM spends WHERE closed = 0 AND person_id <> ''
		ORDER BY person_id, kiosk_id, seq`)
	if err != nil {
		return nil, nil, fmt.Errorf("occupancy: %w", err)
	}
	defer rows.Close()
	type group struct {
		holder, kiosk string
		seq           int64
	}
	var (
		last group
		in   []string
	)
	flush := func() {
		if last.holder == "" {
			return
		}
		loc := ev.Innermost(in)
		if sp, ok := anonSpace(last.holder); ok {
			if ev.Space(sp) == nil {
				return
			}
			loc = sp
			unbadged[sp]++
		}
		for _, sp := range ev.Chain(loc) {
			counts[sp]++
		}
	}
	for rows.Next() {
		var (
			g group
			c string
		)
		if err := rows.Scan(&g.holder, &g.kiosk, &g.seq, &c); err != nil {
			return nil, nil, fmt.Errorf("occupancy: %w", err)
		}
		// A person is one group whatever the admissions; each +1 is a
		// group of its own.
		if _, anon := anonSpace(g.holder); !anon {
			g.kiosk, g.seq = "", 0
		}
		if g != last {
			flush()
			last, in = g, nil
		}
		if ev.Space(c) != nil {
			in = append(in, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("occupancy: %w", err)
	}
	flush()
	return counts, unbadged, nil
}

// anonSpace returns the space of an AnonHolder.
func anonSpace(holder string) (string, bool) {
	if len(holder) > 1 && holder[0] == '+' {
		return holder[1:], true
	}
	return "", false
}

// stayMoves turns every stay into the moves the reports replay: for each
// person, a move whenever the innermost space they have an open stay in
// changes; for each staff +1, a count in when it opened and out when it
// closed. Stamped by the hybrid clock of the events that opened and
// closed them, so reports count what the live figures count. A move
// names the event that made it (report.Move.ID, "kiosk/seq") when that
// event is a staff undo or one undone, so reports leave both out, and
// the door of the event that opened or closed the stay (report.Move.Door).
//
// The moves are in time order; at one instant, in the order of their
// holders (holderMoves).
func (db *DB) stayMoves(ctx context.Context, tx *sql.Tx, ev *checkin.Event) ([]report.Move, error) {
	groups, err := db.holderMoves(ctx, tx, ev, allHolders)
	if err != nil {
		return nil, err
	}
	return mergeMoves(groups), nil
}

// mergeMoves puts the moves of groups, in the order of their holders,
// in time order: at one instant, the holders' order, then each one's own.
func mergeMoves(groups []holderGroup) []report.Move {
	n := 0
	for _, g := range groups {
		n += len(g.moves)
	}
	moves := make([]report.Move, 0, n)
	for _, g := range groups {
		moves = append(moves, g.moves...)
	}
	sort.SliceStable(moves, func(i, j int) bool { return moves[i].At.Before(moves[j].At) })
	return moves
}

// A holder is whose moves depend on each other's alone: a person (their
// id), or the counts without a badge of one kiosk ("+" and its id),
// whose undos and undone events only its own undos name.
func countsOf(kiosk string) string { return "+" + kiosk }

// holders selects the stays and undos whose moves holderMoves makes.
type holders struct {
	stays string // a condition on spends s
	undos string // a condition on events u
	args  []any  // one set for each
}

var allHolders = holders{stays: "s.person_id <> ''", undos: "1 = 1"}

// oneKiosksCounts selects the counts without a badge of one kiosk.
func oneKiosksCounts(kiosk string) holders {
	return holders{stays: "substr(s.person_id, 1, 1) = '+' AND s.kiosk_id = ?", undos: "u.person_id IS NULL AND u.kiosk_id = ?",
		args: []any{kiosk}}
}

// holderGroup is the moves of one holder, in its own order.
type holderGroup struct {
	holder string
	moves  []report.Move
}

// holderMoves makes the moves of the holders h selects, each holder's
// apart in time order (at one instant, a person's as their stays give
// them; a kiosk's counts by seq, each in and then out), ordered by
// holder (bytes).
func (db *DB) holderMoves(ctx context.Context, tx *sql.Tx, ev *checkin.Event, h holders) ([]holderGroup, error) {
	undos, err := db.undoEvents(ctx, tx, h.undos, h.args...)
	if err != nil {
		return nil, err
	}
	people, counts, err := db.readStays(ctx, tx, ev, h, undos)
	if err != nil {
		return nil, err
	}
	var out []holderGroup
	for _, p := range people {
		out = append(out, holderGroup{p.holder, p.moves(ev)})
	}
	out = appendCountMoves(out, ev, counts, undos)
	for _, g := range out {
		sort.SliceStable(g.moves, func(i, j int) bool { return g.moves[i].At.Before(g.moves[j].At) })
	}
	slices.SortStableFunc(out, func(a, b holderGroup) int { return strings.Compare(a.holder, b.holder) })
	return out, nil
}

// stayEdge is one end of a person's stay in a counter: its opening (by
// the admission id, at the door it names) or its closing (by the event
// that closed it, if one did).
type stayEdge struct {
	at         int64
	counter    string
	open       bool
	id, undoes string
	door       string
}

// personStays is one person's stays, as the edges of each.
type personStays struct {
	holder, category string
	edges            []stayEdge
}

// countStay is one headcount change a kiosk logged (+1 in the counters
// it raised), and its end if it was closed.
type countStay struct {
	kiosk           string
	seq             int64
	holder          string
	counters        []string
	at, end         int64
	closer          undoEvent
	opener, closeBy string
}

// readStays reads the stays of the holders h selects: each person's, by
// person in the order of their stays, and each kiosk's headcount
// changes, in the order read. Stays of counters the event no longer has
// are left out. Over 60 lines: one pass over the rows, each sorted into
// a person's stays or a kiosk's headcounts.
func (db *DB) readStays(ctx context.Context, tx *sql.Tx, ev *checkin.Event, h holders, undos undoMarks) ([]*personStays, []*countStay, error) {
	rows, err := db.query(ctx, tx, `
		SELECT s.kiosk_id, s.seq, s.counter, s.person_id, s.hlc, s.closed, s.closed_hlc, coalesce(p.category, ''),
			coalesce((SELECT o.door FROM events o WHERE o.kiosk_id = s.kiosk_id AND o.seq = s.seq), ''),
			coalesce((SELECT c.door FROM events c WHERE s.closed <> 0 AND c.hlc = s.closed_hlc
				AND coalesce(c.person_id, '') = CASE WHEN substr(s.person_id, 1, 1) = '+' THEN '' ELSE s.person_id END
				ORDER BY c.kiosk_id, c.seq LIMIT 1), '')
		FROM spends s LEFT JOIN people p ON p.id = s.person_id WHERE `+h.stays+`
		ORDER BY s.person_id, s.kiosk_id, s.seq, s.counter`, h.args...)
	if err != nil {
		return nil, nil, fmt.Errorf("stays: %w", err)
	}
	defer rows.Close()
	var (
		people []*personStays
		counts []*countStay
	)
	anon := map[string]*countStay{}
	for rows.Next() {
		var (
			kiosk, counter, holder, category string
			seq, at, closed, end             int64
			openDoor, closeDoor              string
		)
		if err := rows.Scan(&kiosk, &seq, &counter, &holder, &at, &closed, &end, &category, &openDoor, &closeDoor); err != nil {
			return nil, nil, fmt.Errorf("stays: %w", err)
		}
		if ev.Space(counter) == nil {
			continue
		}
		if _, ok := anonSpace(holder); ok {
			k := fmt.Sprintf("%s/%d", kiosk, seq)
			a := anon[k]
			if a == nil {
				a = &countStay{kiosk: kiosk, seq: seq, holder: holder, at: at, opener: openDoor}
				anon[k] = a
				counts = append(counts, a)
			}
			a.counters = append(a.counters, counter)
			if closed != 0 && end >= a.end {
				a.end = end
				a.closer = undos.byStamp[undoKey{countsOf(kiosk), end}]
				a.closeBy = closeDoor
			}
			continue
		}
		if len(people) == 0 || people[len(people)-1].holder != holder {
			people = append(people, &personStays{holder: holder, category: category})
		}
		p := people[len(people)-1]
		id := fmt.Sprintf("%s/%d", kiosk, seq)
		p.edges = append(p.edges, stayEdge{at, counter, true, id, undos.undoes[id], openDoor})
		if closed != 0 {
			c := undos.byStamp[undoKey{holder, end}]
			p.edges = append(p.edges, stayEdge{max(end, at), counter, false, c.id, c.undoes, closeDoor})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("stays: %w", err)
	}
	return people, counts, nil
}

// moves turns the person's stays into moves: in time order, closings
// before openings at one instant (a move out of one room into another is
// one step), a move wherever the innermost space they are open in
// changes.
func (p *personStays) moves(ev *checkin.Event) []report.Move {
	sort.SliceStable(p.edges, func(i, j int) bool {
		if p.edges[i].at != p.edges[j].at {
			return p.edges[i].at < p.edges[j].at
		}
		return !p.edges[i].open && p.edges[j].open
	})
	var moves []report.Move
	openN := map[string]int{}
	loc := checkin.Outside
	for i, e := range p.edges {
		if e.open {
			openN[e.counter]++
		} else {
			openN[e.counter]--
		}
		if i+1 < len(p.edges) && p.edges[i+1].at == e.at {
			// The edges of one instant are one step: a stay that
			// closes as the next opens (a re-scan of someone inside)
			// is no exit and entry.
			continue
		}
		var in []string
		for c, n := range openN {
			if n > 0 {
				in = append(in, c)
			}
		}
		slices.Sort(in)
		if now := ev.Innermost(in); now != loc {
			moves = append(moves, report.Move{At: hlcTime(e.at), Person: p.holder, Category: p.category, From: loc, To: now,
				ID: e.id, Undoes: e.undoes, Door: e.door})
			loc = now
		}
	}
	return moves
}

// appendCountMoves adds each kiosk's headcount changes, by seq, to the
// group of that kiosk's counts in out (a new one after the last if the
// last is not theirs): a +1 into the innermost space it raised, from the
// space around it, and a −1 when it was closed.
func appendCountMoves(out []holderGroup, ev *checkin.Event, counts []*countStay, undos undoMarks) []holderGroup {
	slices.SortStableFunc(counts, func(a, b *countStay) int { return cmp.Or(cmp.Compare(a.kiosk, b.kiosk), cmp.Compare(a.seq, b.seq)) })
	for _, a := range counts {
		space, _ := anonSpace(a.holder)
		from := checkin.Outside
		for _, c := range a.counters {
			if chain := ev.Chain(c); len(chain) > 1 && !slices.Contains(a.counters, chain[len(chain)-2]) {
				from = chain[len(chain)-2]
			}
		}
		if ev.Space(space) == nil {
			continue
		}
		holder := countsOf(a.kiosk)
		if len(out) == 0 || out[len(out)-1].holder != holder {
			out = append(out, holderGroup{holder: holder})
		}
		g := &out[len(out)-1]
		k := fmt.Sprintf("%s/%d", a.kiosk, a.seq)
		g.moves = append(g.moves, report.Move{At: hlcTime(a.at), From: from, To: space, Delta: 1, ID: k, Undoes: undos.undoes[k], Door: a.opener})
		if a.end != 0 {
			g.moves = append(g.moves, report.Move{At: hlcTime(a.end), From: from, To: space, Delta: -1, ID: a.closer.id, Undoes: a.closer.undoes,
				Door: a.closeBy})
		}
	}
	return out
}

// hlcTime is the wall time of a hybrid clock reading, in UTC.
func hlcTime(h int64) time.Time { return hlc.Timestamp(h).Time().UTC() }

// undoKey finds an event that may have closed a stay: whose stays it
// moves (the person, or "+kiosk" for a headcount change, which only its
// own kiosk undoes) and its hybrid clock.
type undoKey struct {
	holder string
	hlc    int64
}

// undoEvent is a staff undo or an event undone, as report.Move names
// them.
type undoEvent struct{ id, undoes string }

// undoMarks are the staff undos the kiosks pushed and the events they
// undid: undoes maps an undo's id to its undone event's, byStamp finds
// either by its undoKey.
type undoMarks struct {
	undoes  map[string]string
	byStamp map[undoKey]undoEvent
}

// undoEvents reads the staff undos where cond (on events u) holds, and
// the events they undid.
func (db *DB) undoEvents(ctx context.Context, tx *sql.Tx, cond string, args ...any) (undoMarks, error) {
	m := undoMarks{undoes: map[string]string{}, byStamp: map[undoKey]undoEvent{}}
	rows, err := db.query(ctx, tx, `
		SELECT u.kiosk_id, u.seq, u.hlc, coalesce(u.person_id, ''), d.seq, d.hlc FROM events u
		JOIN events d ON d.kiosk_id = u.kiosk_id AND d.seq = u.undoes
		WHERE u.undoes IS NOT NULL AND u.refused = '' AND `+cond+` ORDER BY u.kiosk_id, u.seq`, args...)
	if err != nil {
		return m, fmt.Errorf("undos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kiosk, person          string
			seq, hlc, undone, dhlc int64
		)
		if err := rows.Scan(&kiosk, &seq, &hlc, &person, &undone, &dhlc); err != nil {
			return m, fmt.Errorf("undos: %w", err)
		}
		holder := person
		if holder == "" {
			holder = countsOf(kiosk)
		}
		u, d := fmt.Sprintf("%s/%d", kiosk, seq), fmt.Sprintf("%s/%d", kiosk, undone)
		m.undoes[u] = d
		m.byStamp[undoKey{holder, hlc}] = undoEvent{u, d}
		m.byStamp[undoKey{holder, dhlc}] = undoEvent{id: d}
	}
	return m, rows.Err()
}

type storedExit struct {
	door string
	mark checkin.Mark
}

// exitsOf reads the person's exits stored so far.
func (db *DB) exitsOf(ctx context.Context, tx *sql.Tx, person string) ([]storedExit, error) {
	rows, err := db.query(ctx, tx, `SELECT kiosk_id, seq, door, cursor, t, terr, hlc FROM events
		WHERE person_id = ? AND decision = ? AND refused = '' ORDER BY kiosk_id, seq`, person, string(checkin.Leave))
	if err != nil {
		return nil, fmt.Errorf("exits: %w", err)
	}
	defer rows.Close()
	var out []storedExit
	for rows.Next() {
		var (
			x storedExit
			h int64
		)
		if err := rows.Scan(&x.mark.Kiosk, &x.mark.Seq, &x.door, &x.mark.Cursor, &x.mark.Stamp.T, &x.mark.Stamp.Err, &h); err != nil {
			return nil, fmt.Errorf("exits: %w", err)
		}
		x.mark.HLC = uint64(h)
		out = append(out, x)
	}
	return out, rows.Err()
}
