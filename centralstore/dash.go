package centralstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"usher/checkin"
	"usher/report"
)

// The dashboard's figures (migration 010_dash.sql). Besides Status, the
// dashboard shows each door's entries and exits and each space's trend
// over the last minutes: what report.Build gives over every stay's
// moves, which takes seconds with a million events. So Ingest keeps, in
// the transaction that stores a push, the steps the report's replay
// applies (report.Step) in live_steps, and their sums: each door's
// entries and exits, each space's count after every step.
//
// A person's steps depend on nothing but their own moves, made from
// their own stays and undos (stayMoves); the counts without a badge of
// one kiosk likewise on its own. (This holds as long as an undo names
// the person of the event it undoes, as a kiosk's does: an undo pushed
// with another person, or with none, of a person's scan would leave that
// scan undone in the report and counted here.) A push replays again
// the moves of each holder it touched (report.Steps, the report's own
// rules), writes the steps that changed and adds the difference to the
// sums.
//
// A poll then reads the sums and the steps after the trend's start,
// which alone change a count within it (report.Tail). The steps depend
// on the event's spaces and doors: live.dash says which they were built
// with, and steps built with others are built again from every stay, at
// the next push, import or Open, and not read until then (the dashboard
// replays instead).

// dashKey is what of ev the steps depend on: each space's id and
// parent, each door's id and places, as a hash.
func dashKey(ev *checkin.Event) string {
	type space struct{ ID, Parent string }
	type door struct{ ID, From, To string }
	var def struct {
		Spaces []space
		Doors  []door
	}
	for _, s := range ev.Spaces {
		def.Spaces = append(def.Spaces, space{s.ID, s.Parent})
	}
	for _, d := range ev.Doors {
		def.Doors = append(def.Doors, door{d.ID, d.From, d.To})
	}
	slices.SortFunc(def.Spaces, func(a, b space) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(def.Doors, func(a, b door) int { return cmp.Compare(a.ID, b.ID) })
	b, err := json.Marshal(def)
	if err != nil {
		panic(err) // strings always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// dashSums are changes of the sums.
type dashSums struct {
	doors  map[string][2]int64 // entries, exits
	spaces map[string]int64
}

func newDashSums() dashSums {
	return dashSums{doors: map[string][2]int64{}, spaces: map[string]int64{}}
}

// add adds the figures of steps, times sign.
func (s dashSums) add(ev *checkin.Event, steps []report.Step, sign int64) {
	for _, st := range steps {
		if st.Door != "" {
			d := s.doors[st.Door]
			d[0] += sign * int64(st.Entries)
			d[1] += sign * int64(st.Exits)
			s.doors[st.Door] = d
		}
	}
	for sp, n := range report.Change(ev, steps) {
		s.spaces[sp] += sign * int64(n)
	}
}

// write adds the changes to live_door_totals and live_space_totals.
func (s dashSums) write(ctx context.Context, db *DB, tx *sql.Tx) error {
	for _, d := range slices.Sorted(maps.Keys(s.doors)) {
		n := s.doors[d]
		if n == [2]int64{} {
			continue
		}
		if _, err := db.exec(ctx, tx, `INSERT INTO live_door_totals (door, entries, exits) VALUES (?, ?, ?)
			ON CONFLICT (door) DO UPDATE SET entries = live_door_totals.entries + excluded.entries, exits = live_door_totals.exits + excluded.exits`,
			d, n[0], n[1]); err != nil {
			return fmt.Errorf("door totals: %w", err)
		}
	}
	for _, sp := range slices.Sorted(maps.Keys(s.spaces)) {
		n := s.spaces[sp]
		if n == 0 {
			continue
		}
		if _, err := db.exec(ctx, tx, `INSERT INTO live_space_totals (space, n) VALUES (?, ?)
			ON CONFLICT (space) DO UPDATE SET n = live_space_totals.n + excluded.n`, sp, n); err != nil {
			return fmt.Errorf("space totals: %w", err)
		}
	}
	return nil
}

// stepsOf replays moves, one holder's, as the report does.
func stepsOf(ev *checkin.Event, moves []report.Move) []report.Step {
	return report.Steps(report.Log{Event: ev, Moves: moves})
}

// pushedPeople are the people a push (its server sequence value, twice)
// moved: those of its events, and those whose stays it closed.
const pushedPeople = `SELECT person_id FROM events WHERE rseq = ? AND person_id IS NOT NULL
	UNION SELECT person_id FROM spends WHERE pseq = ? AND person_id <> '' AND substr(person_id, 1, 1) <> '+'`

// dashIngest brings the dashboard's figures up to date with the push
// that took server sequence value rseq, in its transaction.
func (db *DB) dashIngest(ctx context.Context, tx *sql.Tx, ev *checkin.Event, kiosk string, rseq int64) error {
	rebuilt, err := db.dashFresh(ctx, tx, ev)
	if err != nil || rebuilt {
		return err
	}
	old, steps, err := db.pushedSteps(ctx, tx, ev, rseq)
	if err != nil {
		return err
	}
	return db.writeStepChanges(ctx, tx, ev, rseq, old, steps)
}

// pushedSteps returns, for every holder whose steps the push that took
// rseq may have changed, the steps stored before it (old) and the steps
// their moves give now (a holder with no moves left has none).
func (db *DB) pushedSteps(ctx context.Context, tx *sql.Tx, ev *checkin.Event, rseq int64) (old, steps map[string][]report.Step, err error) {
	// The people it moved, all at once.
	people := holders{stays: "s.person_id IN (" + pushedPeople + ")", undos: "u.person_id IN (" + pushedPeople + ")",
		args: []any{rseq, rseq}}
	groups, err := db.holderMoves(ctx, tx, ev, people)
	if err != nil {
		return nil, nil, fmt.Errorf("dashboard steps: %w", err)
	}
	old, err = db.storedSteps(ctx, tx, "holder IN ("+pushedPeople+")", rseq, rseq)
	if err != nil {
		return nil, nil, err
	}
	// The kiosks whose counts it changed: whose count stays it closed;
	// its own, for its counts and undos of them; and those whose counts
	// closed at the instant of one of its events without a person (the
	// door a count left by is that of the first such event).
	kiosks, err := db.strings(ctx, tx, `
		SELECT kiosk_id FROM spends WHERE pseq = ? AND substr(person_id, 1, 1) = '+'
		UNION SELECT kiosk_id FROM events WHERE rseq = ? AND person_id IS NULL AND (delta <> 0 OR undoes IS NOT NULL)
		UNION SELECT s.kiosk_id FROM events e JOIN spends s ON s.closed_hlc = e.hlc AND substr(s.person_id, 1, 1) = '+'
			WHERE e.rseq = ? AND e.person_id IS NULL AND s.closed <> 0`, rseq, rseq, rseq)
	if err != nil {
		return nil, nil, fmt.Errorf("dashboard steps: %w", err)
	}
	for _, k := range kiosks {
		g, err := db.holderMoves(ctx, tx, ev, oneKiosksCounts(k))
		if err != nil {
			return nil, nil, fmt.Errorf("dashboard steps: %w", err)
		}
		groups = append(groups, g...)
		o, err := db.storedSteps(ctx, tx, "holder = ?", countsOf(k))
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(old, o)
	}
	steps = make(map[string][]report.Step, len(groups))
	for _, g := range groups {
		steps[g.holder] = stepsOf(ev, g.moves)
	}
	for h := range old {
		if _, ok := steps[h]; !ok {
			steps[h] = nil // no moves left
		}
	}
	return old, steps, nil
}

// writeStepChanges stores, for each holder, the steps that differ from
// the stored ones (from the first that differs on), and takes the
// difference into the totals. A cut of stored steps is noted in
// dash_cut, so that dashboard handles read them again.
func (db *DB) writeStepChanges(ctx context.Context, tx *sql.Tx, ev *checkin.Event, rseq int64, old, steps map[string][]report.Step) error {
	sums := newDashSums()
	var ins []heldStep
	cut := false
	for _, h := range slices.Sorted(maps.Keys(steps)) {
		was, now := old[h], steps[h]
		k := 0
		for k < len(was) && k < len(now) && sameStep(was[k], now[k]) {
			k++
		}
		if k == len(was) && k == len(now) {
			continue
		}
		sums.add(ev, was[k:], -1)
		sums.add(ev, now[k:], 1)
		if k < len(was) {
			if _, err := db.exec(ctx, tx, `DELETE FROM live_steps WHERE holder = ? AND i >= ?`, h, k); err != nil {
				return fmt.Errorf("dashboard steps of %s: %w", h, err)
			}
			cut = true
		}
		for i, s := range now[k:] {
			ins = append(ins, heldStep{h, k + i, s})
		}
	}
	if cut {
		if _, err := db.exec(ctx, tx, `UPDATE live SET dash_cut = ? WHERE id = 1`, rseq); err != nil {
			return fmt.Errorf("dashboard steps: %w", err)
		}
	}
	if err := db.insertSteps(ctx, tx, rseq, ins); err != nil {
		return err
	}
	return sums.write(ctx, db, tx)
}

// sameStep reports whether a stored step is s: the time as stored, to
// the millisecond, as the hybrid clock gives it.
func sameStep(stored, s report.Step) bool {
	return stored.At.Equal(s.At) && stored.From == s.From && stored.To == s.To && stored.N == s.N &&
		stored.Door == s.Door && stored.Entries == s.Entries && stored.Exits == s.Exits
}

// storedSteps reads the steps of the holders cond (on live_steps)
// selects.
func (db *DB) storedSteps(ctx context.Context, tx *sql.Tx, cond string, args ...any) (map[string][]report.Step, error) {
	rows, err := db.query(ctx, tx, `SELECT holder, at, from_loc, to_loc, n, door, entries, exits FROM live_steps WHERE `+cond+`
		ORDER BY holder, i`, args...)
	if err != nil {
		return nil, fmt.Errorf("dashboard steps: %w", err)
	}
	defer rows.Close()
	out := map[string][]report.Step{}
	for rows.Next() {
		var (
			s      report.Step
			holder string
			at     int64
		)
		if err := rows.Scan(&holder, &at, &s.From, &s.To, &s.N, &s.Door, &s.Entries, &s.Exits); err != nil {
			return nil, fmt.Errorf("dashboard steps: %w", err)
		}
		s.At = time.UnixMilli(at).UTC()
		if s.N == 0 {
			s.Person = holder
		}
		out[holder] = append(out[holder], s)
	}
	return out, rows.Err()
}

// heldStep is a step to store: the holder's i-th.
type heldStep struct {
	holder string
	i      int
	s      report.Step
}

// insertSteps stores steps, written by the push (or rebuild) rseq, many
// rows a statement (insertRows).
func (db *DB) insertSteps(ctx context.Context, tx *sql.Tx, rseq int64, steps []heldStep) error {
	rows := make([][]any, len(steps))
	for i, h := range steps {
		s := h.s
		rows[i] = []any{h.holder, h.i, s.At.UnixMilli(), s.From, s.To, s.N, s.Door, s.Entries, s.Exits, rseq}
	}
	if err := db.insertRows(ctx, tx, "live_steps", "holder, i, at, from_loc, to_loc, n, door, entries, exits, rseq", rows); err != nil {
		return fmt.Errorf("dashboard steps: %w", err)
	}
	return nil
}

// strings reads a column of strings.
func (db *DB) strings(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := db.query(ctx, tx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// dashFresh builds the steps and their sums again from every stay when
// they were built with another event's spaces or doors than ev's (or
// never), and reports whether it did. Of several servers at once, the
// first to change live.dash builds.
func (db *DB) dashFresh(ctx context.Context, tx *sql.Tx, ev *checkin.Event) (bool, error) {
	claimed, err := db.claimLive(ctx, tx, "dash", dashKey(ev))
	if err != nil || !claimed {
		return false, err
	}
	for _, q := range []string{`DELETE FROM live_steps`, `DELETE FROM live_door_totals`, `DELETE FROM live_space_totals`} {
		if _, err := db.exec(ctx, tx, q); err != nil {
			return false, fmt.Errorf("dashboard steps: %w", err)
		}
	}
	cut, err := db.nextSeq(ctx, tx, 1)
	if err != nil {
		return false, err
	}
	if _, err := db.exec(ctx, tx, `UPDATE live SET dash_cut = ? WHERE id = 1`, cut); err != nil {
		return false, fmt.Errorf("dashboard steps: %w", err)
	}
	groups, err := db.holderMoves(ctx, tx, ev, allHolders)
	if err != nil {
		return false, fmt.Errorf("dashboard steps: %w", err)
	}
	sums := newDashSums()
	var ins []heldStep
	for _, g := range groups {
		steps := stepsOf(ev, g.moves)
		sums.add(ev, steps, 1)
		for i, s := range steps {
			ins = append(ins, heldStep{g.holder, i, s})
		}
	}
	if err := db.insertSteps(ctx, tx, cut, ins); err != nil {
		return false, err
	}
	return true, sums.write(ctx, db, tx)
}

// Dashboard is History for the dashboard: Status and the log without
// its moves, and the report of what the dashboard shows of the moves,
// as report.Build over every move gives them: each door's entries and
// exits (Report.Doors), and each space's series from from on (its
// Series holds its level at from, then every point after; see
// report.Tail). They come from the figures each push keeps, unless
// those are being built again: then from every stay.
func (db *DB) Dashboard(ctx context.Context, from time.Time) (Status, report.Log, *report.Report, error) {
	var (
		st  Status
		log report.Log
		rep *report.Report
	)
	err := db.read(ctx, func(tx *sql.Tx) error {
		var (
			ok  bool
			err error
		)
		st, log, ok, err = db.liveHistory(ctx, tx)
		if err != nil {
			return err
		}
		if ok {
			if rep, ok, err = db.dashReport(ctx, tx, log.Event, from); err != nil {
				return err
			}
		}
		if !ok {
			if st, log, err = db.replayHistory(ctx, tx, true); err != nil {
				return err
			}
			// As the dashboard's report runs: to now, or to the newest
			// stamp if a kiosk clock dragged it ahead.
			end := db.Now()
			if n := len(log.Moves); n > 0 && log.Moves[n-1].At.After(end) {
				end = log.Moves[n-1].At
			}
			rep = report.Build(log, end)
			log.Moves = nil
		}
		return nil
	})
	return st, log, rep, err
}

// dashReport is the dashboard's report from the steps each push keeps;
// ok is false when they were built with another event's spaces or doors.
func (db *DB) dashReport(ctx context.Context, tx *sql.Tx, ev *checkin.Event, from time.Time) (*report.Report, bool, error) {
	var built string
	if err := db.queryRow(ctx, tx, `SELECT dash FROM live WHERE id = 1`).Scan(&built); err != nil {
		return nil, false, fmt.Errorf("dashboard: %w", err)
	}
	if built != dashKey(ev) {
		return nil, false, nil
	}
	var doors []report.Door
	rows, err := db.query(ctx, tx, `SELECT door, entries, exits FROM live_door_totals`)
	if err != nil {
		return nil, false, fmt.Errorf("dashboard: %w", err)
	}
	for rows.Next() {
		var d report.Door
		if err := rows.Scan(&d.ID, &d.Entries, &d.Exits); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("dashboard: %w", err)
		}
		doors = append(doors, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("dashboard: %w", err)
	}
	final := map[string]int{}
	if rows, err = db.query(ctx, tx, `SELECT space, n FROM live_space_totals`); err != nil {
		return nil, false, fmt.Errorf("dashboard: %w", err)
	}
	for rows.Next() {
		var (
			sp string
			n  int
		)
		if err := rows.Scan(&sp, &n); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("dashboard: %w", err)
		}
		final[sp] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("dashboard: %w", err)
	}
	after, err := db.dash.after(ctx, db, tx, built, from)
	if err != nil {
		return nil, false, fmt.Errorf("dashboard: %w", err)
	}
	steps := make([]report.Step, len(after))
	for i, s := range after {
		steps[i] = s.s
	}
	return report.Tail(ev, from, final, doors, steps), true, nil
}

// dashCache is the steps after a time as a process last read them, and
// through which push: a poll reads only the rows pushes wrote since,
// unless one deleted rows (live.dash_cut) or the poll reaches further
// back. Polls every few seconds at a busy event then read the last
// seconds' steps, not the last minutes'.
type dashCache struct {
	mu      sync.Mutex
	key     string    // the live.dash they were read with
	through int64     // the server sequence value read up to
	from    time.Time // they are the steps after it
	steps   []dashStep
}

// dashStep is a step as the dashboard reads it, with its holder and
// place among the holder's steps, which order it.
type dashStep struct {
	holder string
	i      int64
	s      report.Step
}

// after returns the steps after from, in the replay's order: by time,
// then holder (bytes), then each holder's own (stayMoves). The result
// is the caller's.
// Over 60 lines: the cache's keep-or-reread decision and the row loop
// share the cache's lock and its reset on error.
func (c *dashCache) after(ctx context.Context, db *DB, tx *sql.Tx, key string, from time.Time) (out []dashStep, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if err != nil {
			c.key, c.steps = "", nil // read them all next time
		}
	}()
	var through, cut int64
	if err := db.queryRow(ctx, tx, `SELECT (SELECT value FROM counters WHERE name = 'seq'), dash_cut FROM live WHERE id = 1`).
		Scan(&through, &cut); err != nil {
		return nil, err
	}
	q, args := `SELECT at, holder, i, from_loc, to_loc, n FROM live_steps WHERE at > ?`, []any{from.UnixMilli()}
	if c.key == key && cut <= c.through && !from.Before(c.from) && through >= c.through {
		q, args = q+` AND rseq > ?`, append(args, c.through)
	} else {
		c.steps = nil
	}
	rows, err := db.query(ctx, tx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Thousands of rows at a busy event: the places, a few, are read
	// into one buffer and shared.
	places := map[string]string{}
	place := func(b sql.RawBytes) string {
		p, ok := places[string(b)]
		if !ok {
			p = string(b)
			places[p] = p
		}
		return p
	}
	var holder, fromLoc, toLoc sql.RawBytes
	had := len(c.steps)
	for rows.Next() {
		var (
			s  dashStep
			at int64
		)
		if err := rows.Scan(&at, &holder, &s.i, &fromLoc, &toLoc, &s.s.N); err != nil {
			return nil, err
		}
		s.holder, s.s.From, s.s.To = string(holder), place(fromLoc), place(toLoc)
		s.s.At = time.UnixMilli(at).UTC()
		if s.s.N == 0 {
			s.s.Person = s.holder
		}
		c.steps = append(c.steps, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(c.steps) > had { // sorted already if nothing came
		slices.SortFunc(c.steps, func(a, b dashStep) int {
			return cmp.Or(a.s.At.Compare(b.s.At), strings.Compare(a.holder, b.holder), cmp.Compare(a.i, b.i))
		})
	}
	// Those from before from no more.
	n, _ := slices.BinarySearchFunc(c.steps, from, func(s dashStep, t time.Time) int {
		if s.s.At.After(t) {
			return 1
		}
		return -1
	})
	c.steps = slices.Delete(c.steps, 0, n)
	c.key, c.through, c.from = key, through, from
	return slices.Clone(c.steps), nil
}
