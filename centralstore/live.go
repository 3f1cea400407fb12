package centralstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"usher/checkin"
	"usher/report"
)

// The live figures (migration 009_live.sql). The dashboard, the marshal
// view and `usher-central status` poll Status every few seconds; with a
// million events, replaying them all for each poll takes seconds. So
// Ingest keeps, in the transaction that stores a push:
//
//   - each kiosk's counts of events, flagged and refused (kiosks.n_*);
//   - the conflicts the replay finds that do not depend on revocations
//     (double admissions, exits that closed no stay), in live_conflicts.
//
// A person's double admissions depend on nothing but their own events
// in hybrid-clock order: the replay's state moves one person at a time.
// An offline kiosk's events arrive late and out of that order, so a push
// does not append to the list: it replays again the events of each
// person it touched, and replaces their rows. An exit's conflict depends
// on whether it closed a stay, which its own push decides and nothing
// changes afterwards.
//
// Revocations change whenever an organizer revokes someone, so Status
// reads them at each poll and checks the revoked people's admissions
// (few, by index): those are admitted on a revoked badge instead of
// whatever else the replay would say of them. The rows also depend on
// the event's spaces (their parents, anti-passback): live.spaces says
// which spaces they were built with, and rows built with others are
// built again from every event, at the next push or import, and not read
// until then (Status replays instead).
//
// Reports (ReportLog, exports) still replay every event: they are the
// reference these figures are tested against (replayStatus).

// liveCols are the columns the replay reads of an event, in the order
// replayConflicts scans them; liveWhere, the events it reads.
const (
	liveCols = `e.kiosk_id, e.seq, e.hlc, CASE WHEN e.flagged = 1 THEN e.received_at ELSE e.at END, e.door, e.code,
		coalesce(e.person_id, ''), e.decision, e.from_loc, e.location, e.delta, e.closes`
	liveWhere = `(e.location IS NOT NULL OR e.reason = ?) AND e.refused = ''`
)

// liveConflict is a conflict with the hybrid clock of its event, which
// orders the list as the replay does.
type liveConflict struct {
	Conflict
	hlc int64
}

func (a liveConflict) order(b liveConflict) int {
	return cmp.Or(cmp.Compare(a.hlc, b.hlc), cmp.Compare(a.Kiosk, b.Kiosk), cmp.Compare(a.Seq, b.Seq))
}

// spacesKey is what of ev the conflicts depend on: each space's id,
// parent and anti-passback, as a hash.
func spacesKey(ev *checkin.Event) string {
	type space struct {
		ID, Parent   string
		AntiPassback bool
	}
	var ss []space
	for _, s := range ev.Spaces {
		ss = append(ss, space{s.ID, s.Parent, s.AntiPassback})
	}
	slices.SortFunc(ss, func(a, b space) int { return cmp.Compare(a.ID, b.ID) })
	b, err := json.Marshal(ss)
	if err != nil {
		panic(err) // strings and bools always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// liveRow is an event as liveCols reads it.
type liveRow struct {
	c              liveConflict // kiosk, seq, hlc, door, person
	at, closes     int64
	code, decision string
	from, to       sql.NullString
	delta          int
}

func (r *liveRow) scan(rows *sql.Rows) error {
	return rows.Scan(&r.c.Kiosk, &r.c.Seq, &r.c.hlc, &r.at, &r.c.Door, &r.code, &r.c.Person, &r.decision,
		&r.from, &r.to, &r.delta, &r.closes)
}

// replayConflicts replays rows (liveCols, in hybrid-clock order) as
// replay does and returns the conflicts it finds.
func replayConflicts(ev *checkin.Event, revoked revocations, rows *sql.Rows) ([]liveConflict, error) {
	state := checkin.NewState(ev)
	var out []liveConflict
	for rows.Next() {
		var r liveRow
		if err := r.scan(rows); err != nil {
			return nil, err
		}
		c, at, from, to, delta := r.c, r.at, r.from, r.to, r.delta
		c.At = time.UnixMilli(at).UTC()
		m := checkin.MergedEvent{Person: c.Person, Code: r.code, Decision: checkin.Kind(r.decision), To: to.String, At: at, Closes: r.closes}
		if kind := ev.ConflictOf(state, m, revoked.before); kind != "" {
			c.Kind = kind
			out = append(out, c)
		}
		if !to.Valid || (from.String != checkin.Outside && ev.Space(from.String) == nil) ||
			(to.String != checkin.Outside && ev.Space(to.String) == nil) {
			continue
		}
		state.Apply(c.Person, from.String, to.String, delta)
	}
	return out, rows.Err()
}

// liveIngest brings the live figures up to date with the push that took
// server sequence value rseq, in its transaction: Ingest calls it once
// its events are stored and booked.
func (db *DB) liveIngest(ctx context.Context, tx *sql.Tx, ev *checkin.Event, kiosk string, rseq int64) error {
	var n, flagged, refused int64
	err := db.queryRow(ctx, tx, `SELECT count(*), coalesce(sum(flagged), 0), coalesce(sum(CASE WHEN refused <> '' THEN 1 ELSE 0 END), 0)
		FROM events WHERE rseq = ?`, rseq).Scan(&n, &flagged, &refused)
	if err != nil {
		return fmt.Errorf("live counts: kiosk %s: %w", kiosk, err)
	}
	if n == 0 {
		return nil
	}
	if _, err := db.exec(ctx, tx, `UPDATE kiosks SET n_events = n_events + ?, n_flagged = n_flagged + ?, n_refused = n_refused + ? WHERE id = ?`,
		n, flagged, refused, kiosk); err != nil {
		return fmt.Errorf("live counts: kiosk %s: %w", kiosk, err)
	}
	if err := db.dashIngest(ctx, tx, ev, kiosk, rseq); err != nil {
		return err
	}
	rebuilt, err := db.liveFresh(ctx, tx, ev)
	if err != nil || rebuilt {
		return err
	}
	people, err := db.strings(ctx, tx, `SELECT DISTINCT e.person_id FROM events e
		WHERE e.rseq = ? AND e.person_id IS NOT NULL AND `+liveWhere, rseq, string(checkin.NotInside))
	if err != nil {
		return fmt.Errorf("live conflicts: %w", err)
	}
	for _, p := range people {
		if err := db.livePerson(ctx, tx, ev, p); err != nil {
			return err
		}
	}
	return nil
}

// livePerson replays one person's events again and replaces their rows
// of live_conflicts.
func (db *DB) livePerson(ctx context.Context, tx *sql.Tx, ev *checkin.Event, person string) error {
	rows, err := db.query(ctx, tx, `SELECT `+liveCols+` FROM events e WHERE e.person_id = ? AND `+liveWhere+`
		ORDER BY e.hlc, e.kiosk_id, e.seq`, person, string(checkin.NotInside))
	if err != nil {
		return fmt.Errorf("live conflicts of %s: %w", person, err)
	}
	found, err := replayConflicts(ev, revocations{}, rows)
	rows.Close()
	if err != nil {
		return fmt.Errorf("live conflicts of %s: %w", person, err)
	}
	if _, err := db.exec(ctx, tx, `DELETE FROM live_conflicts WHERE person_id = ?`, person); err != nil {
		return fmt.Errorf("live conflicts of %s: %w", person, err)
	}
	return db.liveStore(ctx, tx, found)
}

func (db *DB) liveStore(ctx context.Context, tx *sql.Tx, cs []liveConflict) error {
	for _, c := range cs {
		if _, err := db.exec(ctx, tx, `INSERT INTO live_conflicts (kiosk_id, seq, hlc, person_id, kind, at, door) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Kiosk, c.Seq, c.hlc, c.Person, c.Kind, c.At.UnixMilli(), c.Door); err != nil {
			return fmt.Errorf("live conflict %s/%d: %w", c.Kiosk, c.Seq, err)
		}
	}
	return nil
}

// claimLive sets the live row's column col (a name of this package's
// own) to key when it holds another, and reports whether this call
// changed it: the caller is then the one to build again the figures col
// says were built for key. Of several servers at once, the first to
// change it builds; the others wait for its row and find nothing to do.
func (db *DB) claimLive(ctx context.Context, tx *sql.Tx, col, key string) (bool, error) {
	var built string
	if err := db.queryRow(ctx, tx, `SELECT `+col+` FROM live WHERE id = 1`).Scan(&built); err != nil {
		return false, fmt.Errorf("live figures (%s): %w", col, err)
	}
	if built == key {
		return false, nil
	}
	res, err := db.exec(ctx, tx, `UPDATE live SET `+col+` = ? WHERE id = 1 AND `+col+` = ?`, key, built)
	if err != nil {
		return false, fmt.Errorf("live figures (%s): %w", col, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// liveFresh builds live_conflicts again from every event when they were
// built with other spaces than ev's (or never), and reports whether it
// did. Of several servers at once, the first to change live.spaces
// builds; the others wait for its row and find nothing to do.
func (db *DB) liveFresh(ctx context.Context, tx *sql.Tx, ev *checkin.Event) (bool, error) {
	claimed, err := db.claimLive(ctx, tx, "spaces", spacesKey(ev))
	if err != nil || !claimed {
		return false, err
	}
	if _, err := db.exec(ctx, tx, `DELETE FROM live_conflicts`); err != nil {
		return false, fmt.Errorf("live conflicts: %w", err)
	}
	rows, err := db.query(ctx, tx, `SELECT `+liveCols+` FROM events e WHERE e.person_id IS NOT NULL AND `+liveWhere+`
		ORDER BY e.person_id, e.hlc, e.kiosk_id, e.seq`, string(checkin.NotInside))
	if err != nil {
		return false, fmt.Errorf("live conflicts: %w", err)
	}
	// One state for all: each person's moves are theirs alone, so the
	// order between people does not matter.
	found, err := replayConflicts(ev, revocations{}, rows)
	rows.Close()
	if err != nil {
		return false, fmt.Errorf("live conflicts: %w", err)
	}
	return true, db.liveStore(ctx, tx, found)
}

// liveOpen builds the live figures (and the dashboard's, dash.go) of a
// database whose event's spaces changed since they were built, or that
// never had them: Open calls it.
func (db *DB) liveOpen(ctx context.Context) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		ev, _, err := db.event(ctx, tx)
		if checkin.ErrorCode(err) == checkin.ENOTFOUND {
			return nil // built at the import
		} else if err != nil {
			return err
		}
		if _, err = db.liveFresh(ctx, tx, ev); err != nil {
			return err
		}
		_, err = db.dashFresh(ctx, tx, ev)
		return err
	})
}

// liveConflicts returns the conflicts the replay would, from
// live_conflicts and the revoked people's admissions; ok is false when
// the rows were built with other spaces than ev's.
func (db *DB) liveConflicts(ctx context.Context, tx *sql.Tx, ev *checkin.Event) (out []Conflict, ok bool, err error) {
	var built string
	if err := db.queryRow(ctx, tx, `SELECT spaces FROM live WHERE id = 1`).Scan(&built); err != nil {
		return nil, false, fmt.Errorf("status: %w", err)
	}
	if built != spacesKey(ev) {
		return nil, false, nil
	}
	rows, err := db.query(ctx, tx, `SELECT kiosk_id, seq, hlc, person_id, kind, at, door FROM live_conflicts ORDER BY hlc, kiosk_id, seq`)
	if err != nil {
		return nil, false, fmt.Errorf("status: %w", err)
	}
	var cs []liveConflict
	for rows.Next() {
		var (
			c  liveConflict
			at int64
		)
		if err := rows.Scan(&c.Kiosk, &c.Seq, &c.hlc, &c.Person, &c.Kind, &at, &c.Door); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("status: %w", err)
		}
		c.At = time.UnixMilli(at).UTC()
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("status: %w", err)
	}
	revoked, err := db.revocationTimes(ctx, tx)
	if err != nil {
		return nil, false, err
	}
	if len(revoked.people) > 0 || len(revoked.serials) > 0 {
		if cs, err = db.liveRevoked(ctx, tx, ev, revoked, cs); err != nil {
			return nil, false, err
		}
	}
	out = make([]Conflict, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Conflict)
	}
	return out, true, nil
}

// liveRevoked adds to cs the admissions of revoked people after their
// revocation: the replay names those admitted on a revoked badge before
// anything else it would say of them.
func (db *DB) liveRevoked(ctx context.Context, tx *sql.Tx, ev *checkin.Event, revoked revocations, cs []liveConflict) ([]liveConflict, error) {
	rows, err := db.query(ctx, tx, `SELECT `+liveCols+` FROM events e
		WHERE e.person_id IN (SELECT id FROM people WHERE removed = 1 AND removed_at > 0 UNION SELECT person_id FROM revocations WHERE at > 0)
		AND e.decision = ? AND `+liveWhere, string(checkin.Admit), string(checkin.NotInside))
	if err != nil {
		return nil, fmt.Errorf("status: revoked admissions: %w", err)
	}
	defer rows.Close()
	type key struct {
		kiosk string
		seq   int64
	}
	at := map[key]int{}
	for i, c := range cs {
		at[key{c.Kiosk, c.Seq}] = i
	}
	added := false
	for rows.Next() {
		var r liveRow
		if err := r.scan(rows); err != nil {
			return nil, fmt.Errorf("status: revoked admissions: %w", err)
		}
		c, when := r.c, r.at
		if !revoked.before(c.Person, r.code, when) {
			continue
		}
		c.At, c.Kind = time.UnixMilli(when).UTC(), RevokedAdmitted
		if i, ok := at[key{c.Kiosk, c.Seq}]; ok {
			cs[i] = c
			continue
		}
		cs, added = append(cs, c), true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("status: revoked admissions: %w", err)
	}
	if added {
		slices.SortFunc(cs, liveConflict.order)
	}
	return cs, nil
}

// liveKioskStates reads each kiosk's state with the counts Ingest keeps.
func (db *DB) liveKioskStates(ctx context.Context, tx *sql.Tx, st *Status) error {
	return db.readKioskStates(ctx, tx, st, `
		SELECT id, name, door, last_seen, revoked, retired, waiting, forks, n_events, n_flagged, n_refused
		FROM kiosks ORDER BY id`)
}

// liveHistory is History without the moves, from the live figures; ok
// is false when they cannot answer (see liveConflicts).
func (db *DB) liveHistory(ctx context.Context, tx *sql.Tx) (st Status, log report.Log, ok bool, err error) {
	st = Status{Kiosks: []KioskState{}, Conflicts: []Conflict{}}
	ev, _, err := db.event(ctx, tx)
	if err != nil {
		return st, log, false, err
	}
	conflicts, ok, err := db.liveConflicts(ctx, tx, ev)
	if err != nil || !ok {
		return st, log, false, err
	}
	odd, err := db.oddEvents(ctx, tx)
	if err != nil {
		return st, log, false, err
	}
	conflicts = append(conflicts, odd...)
	st.Conflicts = append(st.Conflicts, conflicts...)
	log = report.Log{Event: ev}
	for _, c := range conflicts {
		log.Conflicts = append(log.Conflicts, report.Conflict{Kind: c.Kind, Person: c.Person, Kiosk: c.Kiosk, Door: c.Door, At: c.At})
	}
	if st.Rights, err = db.counterRights(ctx, tx); err != nil {
		return st, log, false, err
	}
	if st.Occupancy, _, err = db.occupancy(ctx, tx, ev); err != nil {
		return st, log, false, err
	}
	return st, log, true, db.liveKioskStates(ctx, tx, &st)
}
