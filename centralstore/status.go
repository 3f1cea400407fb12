package centralstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"usher/checkin"
	"usher/report"
	"usher/sync/wire"
)

// The status read model: the occupancy, the kiosks and the conflicts
// between their views, from the live figures (live.go), or from a replay
// of every event, which is also what the reports read and the live
// figures are tested against.

// Status is the center's view: occupancy per space from every kiosk's
// events, each kiosk's state, the conflicts found merging them, and the
// books of each capacity counter's rights.
type Status struct {
	Occupancy map[string]int  `json:"occupancy"`
	Kiosks    []KioskState    `json:"kiosks"`
	Conflicts []Conflict      `json:"conflicts"`
	Rights    []CounterRights `json:"rights"`
}

// Conflict kinds: what the center sees that no single kiosk could.
const (
	// DoubleAdmission: admitted into an anti-passback space while already
	// inside it by another door's scan (a kiosk was offline).
	DoubleAdmission = checkin.DoubleAdmission
	// ExitWithoutAdmission: an exit of someone no kiosk recorded inside.
	ExitWithoutAdmission = checkin.ExitWithoutAdmission
	// RevokedAdmitted: admitted on a badge revoked, or a person removed,
	// before the scan.
	RevokedAdmitted = checkin.RevokedAdmitted
	// RefusedClaim: an event the center refused to believe (Ingest); the
	// conflict's detail says why.
	RefusedClaim = "refused_claim"
	// ImplausibleTime: an event stamped implausibly far from the
	// center's clock, booked at its arrival.
	ImplausibleTime = "implausible_time"
	// ForkedLog: an event sent under a seq that held another: the
	// kiosk's database was restored from a backup or copied.
	ForkedLog = "forked_log"
)

// Conflict is one event the merge flags. The event stays as the kiosk
// recorded it; the center never rewrites a kiosk's history.
type Conflict struct {
	Kind   string    `json:"kind"`
	Person string    `json:"person"`
	Kiosk  string    `json:"kiosk"`
	Seq    int64     `json:"seq"`
	Door   string    `json:"door"`
	At     time.Time `json:"at"`
	Detail string    `json:"detail,omitempty"`
}

// Status is the center's view now: occupancy per space from the open
// stays, each kiosk's state and the conflicts between kiosks' views, from
// the live figures Ingest keeps (live.go), not from a replay of every
// event.
func (db *DB) Status(ctx context.Context) (Status, error) {
	st, _, err := db.History(ctx, false)
	return st, err
}

// ReportLog is the center's history for reports: every move, in the
// order the live occupancy applies them, and the conflicts, from one
// replay of every kiosk's events.
func (db *DB) ReportLog(ctx context.Context) (report.Log, error) {
	var log report.Log
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		_, log, err = db.replayHistory(ctx, tx, true)
		return err
	})
	return log, err
}

// History is Status and the report log of one snapshot, from the live
// figures (live.go) unless they are being built again; the log holds
// the moves, read from every stay, only when moves is set.
func (db *DB) History(ctx context.Context, moves bool) (Status, report.Log, error) {
	var (
		st  Status
		log report.Log
	)
	err := db.read(ctx, func(tx *sql.Tx) error {
		var (
			ok  bool
			err error
		)
		if st, log, ok, err = db.liveHistory(ctx, tx); err != nil {
			return err
		}
		if !ok {
			st, log, err = db.replayHistory(ctx, tx, moves)
			return err
		}
		if moves {
			log.Moves, err = db.stayMoves(ctx, tx, log.Event)
		}
		return err
	})
	return st, log, err
}

// replayStatus is Status from a replay of every event, as the reports
// see it: the reference the live figures are tested against.
func (db *DB) replayStatus(ctx context.Context) (Status, error) {
	var st Status
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		st, _, err = db.replayHistory(ctx, tx, false)
		return err
	})
	return st, err
}

// replayHistory is History from one replay of the events.
func (db *DB) replayHistory(ctx context.Context, tx *sql.Tx, moves bool) (Status, report.Log, error) {
	st := Status{Kiosks: []KioskState{}, Conflicts: []Conflict{}}
	ev, _, err := db.event(ctx, tx)
	if err != nil {
		return st, report.Log{}, err
	}
	revoked, err := db.revocationTimes(ctx, tx)
	if err != nil {
		return st, report.Log{}, err
	}
	log := report.Log{Event: ev}
	if moves {
		if log.Moves, err = db.stayMoves(ctx, tx, ev); err != nil {
			return st, log, err
		}
	}
	conflicts, err := db.replay(ctx, tx, ev, revoked)
	if err != nil {
		return st, log, err
	}
	odd, err := db.oddEvents(ctx, tx)
	if err != nil {
		return st, log, err
	}
	conflicts = append(conflicts, odd...)
	st.Conflicts = append(st.Conflicts, conflicts...)
	for _, c := range conflicts {
		log.Conflicts = append(log.Conflicts, report.Conflict{Kind: c.Kind, Person: c.Person, Kiosk: c.Kiosk, Door: c.Door, At: c.At})
	}
	if st.Rights, err = db.counterRights(ctx, tx); err != nil {
		return st, log, err
	}
	// One figure: the occupancy is the open stays, as kiosks pull it
	// (presence.go).
	if st.Occupancy, _, err = db.occupancy(ctx, tx, ev); err != nil {
		return st, log, err
	}
	return st, log, db.kioskStates(ctx, tx, &st)
}

// replay reads every kiosk's events in hybrid-clock order and returns
// the conflicts between kiosks' views: admissions on revoked badges,
// admissions into an anti-passback space of someone inside it, and exits
// that closed no stay (see presence.go).
func (db *DB) replay(ctx context.Context, tx *sql.Tx, ev *checkin.Event, revoked revocations) ([]Conflict, error) {
	state := checkin.NewState(ev)
	conflicts := []Conflict{}
	rows, err := db.query(ctx, tx, `
		SELECT e.kiosk_id, e.seq, CASE WHEN e.flagged = 1 THEN e.received_at ELSE e.at END, e.door, e.code, e.person_id, e.decision,
			e.from_loc, e.location, e.delta, e.closes
		FROM events e
		WHERE (e.location IS NOT NULL OR e.reason = ?) AND e.refused = '' ORDER BY e.hlc, e.kiosk_id, e.seq`, string(checkin.NotInside))
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                Conflict
			at, closes       int64
			code, decision   string
			person, from, to sql.NullString
			delta            int
		)
		if err := rows.Scan(&e.Kiosk, &e.Seq, &at, &e.Door, &code, &person, &decision,
			&from, &to, &delta, &closes); err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		e.Person, e.At = person.String, time.UnixMilli(at).UTC()
		m := checkin.MergedEvent{Person: e.Person, Code: code, Decision: checkin.Kind(decision), To: to.String, At: at, Closes: closes}
		if kind := ev.ConflictOf(state, m, revoked.before); kind != "" {
			e.Kind = kind
			conflicts = append(conflicts, e)
		}
		if !to.Valid || (from.String != checkin.Outside && ev.Space(from.String) == nil) ||
			(to.String != checkin.Outside && ev.Space(to.String) == nil) {
			continue // no move, or a space the event no longer has
		}
		state.Apply(person.String, from.String, to.String, delta)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return conflicts, nil
}

// oddEvents lists the events that are conflicts of their own: refused,
// stamped implausibly, or on a branch of a forked log (seq ≥
// wire.MaxSeq, written out so the partial index events_odd serves it).
func (db *DB) oddEvents(ctx context.Context, tx *sql.Tx) ([]Conflict, error) {
	rows, err := db.query(ctx, tx, `
		SELECT kiosk_id, seq, CASE WHEN flagged = 1 THEN received_at ELSE at END, door, coalesce(person_id, ''), refused, flagged
		FROM events WHERE refused <> '' OR flagged = 1 OR seq >= 1099511627776 ORDER BY kiosk_id, seq`)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	defer rows.Close()
	var out []Conflict
	for rows.Next() {
		var (
			c       Conflict
			at      int64
			why     string
			flagged int
		)
		if err := rows.Scan(&c.Kiosk, &c.Seq, &at, &c.Door, &c.Person, &why, &flagged); err != nil {
			return nil, fmt.Errorf("status: %w", err)
		}
		c.At = time.UnixMilli(at).UTC()
		if c.Seq >= wire.MaxSeq {
			// The seq the kiosk sent, on its branch.
			k := c
			k.Kind, k.Seq, k.Detail = ForkedLog, c.Seq%wire.MaxSeq, fmt.Sprintf("kept on branch %d of the kiosk's log", c.Seq/wire.MaxSeq)
			out = append(out, k)
		}
		if why != "" {
			k := c
			k.Kind, k.Seq, k.Detail = RefusedClaim, c.Seq%wire.MaxSeq, why
			out = append(out, k)
		}
		if flagged != 0 {
			k := c
			k.Kind, k.Seq, k.Detail = ImplausibleTime, c.Seq%wire.MaxSeq, "stamped far from the center's clock; booked at its arrival"
			out = append(out, k)
		}
	}
	return out, rows.Err()
}
