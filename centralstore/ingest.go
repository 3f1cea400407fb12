package centralstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"usher/checkin"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// The push: a kiosk's events, stored each once, checked against what the
// center knows of the kiosk (claims.go), and booked into the rights
// (rights.go), the stays (presence.go) and the live figures (live.go) in
// the same transaction (docs/design.md "Sync", "Trust").

// Push stores a kiosk's events, each once, and returns how many were
// new (see Ingest).
func (db *DB) Push(ctx context.Context, kiosk string, events []wire.Event) (int, error) {
	res, err := db.Ingest(ctx, kiosk, events)
	return res.Accepted, err
}

// PushResult is what one push did.
type PushResult struct {
	Accepted int            // events stored now
	Refused  []wire.Refusal // of which the center does not believe these
	Forked   bool           // the kiosk's log forked, now or before: it must enroll again
}

// Ingest stores a kiosk's events, each once: an event already stored
// (kiosk, seq) with the same content is left as it is.
//
// The center believes events, never numbers (docs/design.md "Trust"). Each new
// event is checked against what the center knows of the kiosk (check):
// its door, the spaces that door joins, and the rights the center
// granted it and has not seen it use. An event that fails is stored as
// sent, marked refused, and counts for nothing.
//
// Another event under a (kiosk, seq) the center holds means the kiosk's
// log forked: its database was restored from a backup or copied. The
// event is kept on a branch, at seq + n·wire.MaxSeq, and counted; the
// kiosk is told, and named in Status.
//
// An event stamped implausibly far from the center's clock (FlagAhead,
// FlagBehind) is kept as sent but ordered by its arrival: its times never
// stretch a report.
//
// The push takes one value of the server sequence, stored with its
// events (rseq): a kiosk's pull cursor at or above it means the kiosk
// pulled after these events were stored. The rights changes of each new
// event are booked, and each new exit closes the stays it ends, in the
// same transaction.
//
// Returns EUNAUTHORIZED for a retired kiosk: the center gave its rights
// to others already.
func (db *DB) Ingest(ctx context.Context, kiosk string, events []wire.Event) (res PushResult, err error) {
	// Oldest first, whatever order the push came in: an exit is matched
	// with the same kiosk's earlier admissions, stored before it.
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b wire.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	// The kiosks sent a notice hear of it at once (wake.go).
	var noticed []string
	defer func() {
		if err == nil {
			db.wake(noticed)
		}
	}()
	err = db.write(ctx, func(tx *sql.Tx) error {
		res = PushResult{}
		in, err := db.startIngest(ctx, tx, kiosk, events, &res)
		if err != nil {
			return err
		}
		defer in.ins.Close()
		for _, e := range events {
			if err := in.event(ctx, e); err != nil {
				return err
			}
		}
		if err := in.t.flush(ctx, db, tx); err != nil {
			return err
		}
		if err := db.liveIngest(ctx, tx, in.ev, kiosk, in.rseq); err != nil {
			return err
		}
		noticed = in.t.noticed
		res.Forked = in.forks+in.newForks > 0
		return in.markKiosk(ctx)
	})
	return res, err
}

// ingest is one push as Ingest stores it, in its transaction: what its
// events are checked and booked against, and what it did so far.
type ingest struct {
	db     *DB
	tx     *sql.Tx
	kiosk  string
	now    time.Time
	rseq   int64          // the push's value of the server sequence
	ev     *checkin.Event // nil before the event is loaded
	t      *tally
	claims claims
	// taken holds the seqs stored under the kiosk's log, before this
	// push and by it: another event under one is a retry or a fork.
	taken    map[int64]bool
	ins      *sql.Stmt // inserts an event's row unless its (kiosk, seq) is taken
	forks    int64     // events of the kiosk kept on a branch before this push
	newForks int64     // and by it
	res      *PushResult
}

// startIngest reads what a push of events by kiosk is checked and booked
// against. Returns ENOTFOUND for an unknown kiosk, and EUNAUTHORIZED for
// a retired one.
func (db *DB) startIngest(ctx context.Context, tx *sql.Tx, kiosk string, events []wire.Event, res *PushResult) (*ingest, error) {
	in := &ingest{db: db, tx: tx, kiosk: kiosk, now: db.Now(), res: res}
	var err error
	if in.rseq, err = db.nextSeq(ctx, tx, 1); err != nil {
		return nil, err
	}
	door, err := in.readKiosk(ctx)
	if err != nil {
		return nil, err
	}
	shared, _, err := db.sharedEvent(ctx, tx)
	if err != nil {
		return nil, err
	}
	in.ev = shared.ev
	if in.t, err = db.pushTally(ctx, tx, kiosk, in.ev, events); err != nil {
		return nil, err
	}
	if in.taken, err = db.storedSeqs(ctx, tx, kiosk, events); err != nil {
		return nil, err
	}
	in.claims = claims{db: db, tx: tx, t: in.t, ev: in.ev, kiosk: kiosk, door: door, base: map[string]int64{}}
	in.ins, err = tx.PrepareContext(ctx, db.rebind(`
		INSERT INTO events (kiosk_id, seq, hlc, at, door, direction, method, code, person_id, decision, reason,
			space, note, from_loc, location, delta, undoes, received_at, flagged, rights, cursor, rseq, t, terr, refused)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kiosk_id, seq) DO NOTHING`))
	if err != nil {
		return nil, err
	}
	return in, nil
}

// readKiosk reads the door the kiosk was enrolled for, and its forks so
// far. Returns ENOTFOUND for an unknown kiosk, and EUNAUTHORIZED for a
// retired one.
func (in *ingest) readKiosk(ctx context.Context) (door string, err error) {
	var retired int
	err = in.db.queryRow(ctx, in.tx, `SELECT retired, door, forks FROM kiosks WHERE id = ?`, in.kiosk).Scan(&retired, &door, &in.forks)
	if errors.Is(err, sql.ErrNoRows) {
		return "", checkin.Errorf(checkin.ENOTFOUND, "no kiosk %q", in.kiosk)
	} else if err != nil {
		return "", fmt.Errorf("push: %w", err)
	}
	if retired != 0 {
		return "", checkin.Errorf(checkin.EUNAUTHORIZED, "this kiosk was retired; enroll it again")
	}
	return door, nil
}

// pushTally returns the tally a push of events books into, with what the
// rules ask of the stays and exits its events touch read beforehand.
func (db *DB) pushTally(ctx context.Context, tx *sql.Tx, kiosk string, ev *checkin.Event, events []wire.Event) (*tally, error) {
	t := newTally()
	// Credits of this kiosk's that came before their admissions wait
	// in spends with no holder (creditStay); most pushes have none.
	var early int
	if err := db.queryRow(ctx, tx, `SELECT count(*) FROM spends WHERE kiosk_id = ? AND person_id = ''`, kiosk).Scan(&early); err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	t.early = early > 0
	if ev != nil {
		if err := db.preload(ctx, tx, t.v, events); err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
	}
	return t, nil
}

// event stores one event of the push, unless it holds it already, and
// books it if the center believes it.
func (in *ingest) event(ctx context.Context, e wire.Event) error {
	eff, flagged := plausible(e, in.now)
	why, err := in.claims.check(ctx, eff)
	if err != nil {
		return err
	}
	st := stampOf(eff)
	values, err := in.row(e, st, flagged, why)
	if err != nil {
		return err
	}
	seq, stored, err := in.store(ctx, e, values)
	if err != nil || !stored {
		return err
	}
	eff.Seq = seq
	in.res.Accepted++
	if why != "" {
		in.res.Refused = append(in.res.Refused, wire.Refusal{Seq: e.Seq, Why: why})
		return nil
	}
	return in.book(ctx, e, eff, st)
}

// row returns the values of e's row in events: what the kiosk sent, and
// when it arrived, whether its times were flagged, the stamp it is
// booked by and why the center refused it. The last value, closes, is
// the held row's alone (pushwrite.go).
func (in *ingest) row(e wire.Event, st checkin.Stamp, flagged bool, why string) ([]any, error) {
	var rights any
	if len(e.Rights) > 0 {
		b, err := json.Marshal(e.Rights)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", e.Seq, err)
		}
		rights = string(b)
	}
	return []any{in.kiosk, e.Seq, int64(e.HLC), e.At, e.Door, e.Direction, e.Method, e.Code,
		null(e.Person), e.Decision, e.Reason, e.Space, e.Note, null(e.From), null(e.Location), e.Delta,
		nullInt(e.Undoes), in.now.UnixMilli(), boolInt(flagged), rights, e.Cursor, in.rseq, st.T, st.Err, why, int64(0)}, nil
}

// store stores e's row (values) and returns the seq it took: e's own
// seq, or when that holds another event (a forked log), the first free
// one on a branch. It stores nothing for a retry of an event stored
// already, nor past maxBranches.
func (in *ingest) store(ctx context.Context, e wire.Event, values []any) (seq int64, stored bool, err error) {
	if !in.taken[e.Seq] {
		// A seq the center does not hold, nor this push yet: the
		// row is new, written at the end of the push
		// (pushwrite.go).
		in.t.v.held.holdEvent(e.Seq, values)
		in.taken[e.Seq] = true
		return e.Seq, true, nil
	}
	if err := in.db.writeHeld(ctx, in.tx, &in.t.v.held); err != nil {
		return 0, false, err
	}
	// The first free seq of the kiosk's log, or of a branch of it
	// when the seq holds another event (a forked log).
	for branch := int64(0); ; branch++ {
		seq := e.Seq + branch*wire.MaxSeq
		values[1] = seq
		res, err := in.ins.ExecContext(ctx, values[:len(values)-1]...)
		if err != nil {
			return 0, false, fmt.Errorf("event %d: %w", e.Seq, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if branch > 0 {
				in.newForks++
			}
			return seq, true, nil
		}
		same, err := in.db.sameEvent(ctx, in.tx, in.kiosk, seq, e)
		if err != nil {
			return 0, false, err
		}
		if same || branch >= maxBranches {
			// A branch beyond the last is a kiosk that forks
			// without end: its events are kept up to there.
			return 0, false, nil
		}
	}
}

// book books a stored event the center believes, as eff, stamped st:
// an exit marks the stays it may close, and its rights changes and
// moves are applied.
func (in *ingest) book(ctx context.Context, e, eff wire.Event, st checkin.Stamp) error {
	if e.Decision == string(checkin.Leave) && e.Person != "" {
		in.t.v.exited(e.Person, storedExit{door: e.Door, mark: checkin.Mark{Kiosk: in.kiosk, Seq: eff.Seq, Cursor: e.Cursor, Stamp: st, HLC: e.HLC}})
	}
	if in.forks+in.newForks > 0 {
		if err := in.db.writeHeld(ctx, in.tx, &in.t.v.held); err != nil {
			return err
		}
		if err := in.db.branchRefs(ctx, in.tx, in.kiosk, &eff); err != nil {
			return err
		}
	}
	if err := in.db.applyRights(ctx, in.tx, in.t, in.ev, in.kiosk, eff, in.rseq); err != nil {
		return err
	}
	return in.db.applyPresence(ctx, in.tx, in.t, in.ev, in.kiosk, eff, in.rseq)
}

// markKiosk records on the kiosk the forks the push found, and that it
// was heard from.
func (in *ingest) markKiosk(ctx context.Context) error {
	if in.newForks > 0 {
		_, err := in.db.exec(ctx, in.tx, `UPDATE kiosks SET forks = forks + ?, forked_at = CASE WHEN forked_at = 0 THEN ? ELSE forked_at END WHERE id = ?`,
			in.newForks, in.now.UnixMilli(), in.kiosk)
		if err != nil {
			return err
		}
	}
	_, err := in.db.exec(ctx, in.tx, `UPDATE kiosks SET last_seen = ? WHERE id = ?`, in.now.UnixMilli(), in.kiosk)
	return err
}

// maxBranches bounds the branches of one kiosk's log: a log restored
// that many times over is a kiosk to retire, not to follow.
const maxBranches = 64

// sameEvent reports whether the event stored at (kiosk, seq) is e: a
// retry of a push, not another history.
func (db *DB) sameEvent(ctx context.Context, tx *sql.Tx, kiosk string, seq int64, e wire.Event) (bool, error) {
	var (
		h, at                int64
		door, code, decision string
		person               sql.NullString
	)
	err := db.queryRow(ctx, tx, `SELECT hlc, at, door, code, person_id, decision FROM events WHERE kiosk_id = ? AND seq = ?`,
		kiosk, seq).Scan(&h, &at, &door, &code, &person, &decision)
	if err != nil {
		return false, fmt.Errorf("event %d: %w", e.Seq, err)
	}
	return uint64(h) == e.HLC && at == e.At && door == e.Door && code == e.Code && person.String == e.Person &&
		decision == e.Decision, nil
}

// branchRefs points the credits of an event of a forked kiosk at the
// admissions they close: the person's on the event's own branch, else
// the latest of theirs under that seq on any branch.
func (db *DB) branchRefs(ctx context.Context, tx *sql.Tx, kiosk string, e *wire.Event) error {
	holder := holderOf(*e)
	e.Rights = slices.Clone(e.Rights)
	for i, c := range e.Rights {
		if c.Kind != checkin.RightCredit {
			continue
		}
		var seq int64
		err := db.queryRow(ctx, tx, `SELECT seq FROM spends WHERE kiosk_id = ? AND counter = ? AND person_id = ? AND seq % ? = ?
			ORDER BY CASE WHEN seq < ? THEN 0 ELSE 1 END, seq DESC LIMIT 1`,
			kiosk, c.Counter, holder, wire.MaxSeq, c.Ref, e.Seq).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return fmt.Errorf("event %d: %w", e.Seq, err)
		}
		e.Rights[i].Ref = seq
	}
	return nil
}

// FlagAhead is how far ahead of the server's clock an event's timestamp
// may be before the server flags it (it never rejects it).
const FlagAhead = 5 * time.Minute

// FlagBehind is how far behind the server's clock an event's timestamp
// may be before the server flags it: a kiosk offline for days is, a
// clock decades off is not.
const FlagBehind = 30 * 24 * time.Hour

// plausible returns e as the center books it, and whether its times are
// implausible: its hybrid clock, wall clock or stamp further than
// FlagAhead ahead of the center's clock or FlagBehind behind it. The
// row keeps what the kiosk sent; the booking drops an implausible stamp
// (it proves no order) and puts an implausible hybrid clock at the
// stamp's time, else at the arrival, so no report stretches to it. A
// kiosk whose wall clock alone is off still books by its stamp, which
// its monotonic clock measured from the center's.
func plausible(e wire.Event, now time.Time) (wire.Event, bool) {
	off := func(t time.Time) bool { return t.Sub(now) > FlagAhead || now.Sub(t) > FlagBehind }
	flagged := false
	if e.Stamp != nil && off(time.UnixMilli(e.Stamp.T)) {
		e.Stamp, flagged = nil, true
	}
	if off(hlc.Timestamp(e.HLC).Time()) {
		e.HLC, flagged = uint64(hlc.Make(now, 0)), true
		if e.Stamp != nil {
			e.HLC = uint64(hlc.Make(time.UnixMilli(e.Stamp.T), 0))
		}
	}
	if off(time.UnixMilli(e.At)) {
		e.At, flagged = now.UnixMilli(), true
	}
	return e, flagged
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// LatestHLC returns the newest timestamp of the events stored from every
// kiosk, leaving out those flagged as far ahead, so that any server
// process answers pushes with a clock past everything the center holds.
func (db *DB) LatestHLC(ctx context.Context) (hlc.Timestamp, error) {
	var latest sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT max(hlc) FROM events WHERE flagged = 0`).Scan(&latest)
	if err != nil {
		return 0, fmt.Errorf("latest timestamp: %w", err)
	}
	return hlc.Timestamp(latest.Int64), nil
}
