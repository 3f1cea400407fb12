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
		now := db.Now()
		rseq, err := db.nextSeq(ctx, tx, 1)
		if err != nil {
			return err
		}
		var (
			retired int
			door    string
			forks   int64
		)
		err = db.queryRow(ctx, tx, `SELECT retired, door, forks FROM kiosks WHERE id = ?`, kiosk).Scan(&retired, &door, &forks)
		if errors.Is(err, sql.ErrNoRows) {
			return checkin.Errorf(checkin.ENOTFOUND, "no kiosk %q", kiosk)
		} else if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		if retired != 0 {
			return checkin.Errorf(EUNAUTHORIZED, "this kiosk was retired; enroll it again")
		}
		shared, _, err := db.sharedEvent(ctx, tx)
		if err != nil {
			return err
		}
		ev := shared.ev
		ins, err := tx.PrepareContext(ctx, db.rebind(`
			INSERT INTO events (kiosk_id, seq, hlc, at, door, direction, method, code, person_id, decision, reason,
				space, note, from_loc, location, delta, undoes, received_at, flagged, rights, cursor, rseq, t, terr, refused)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kiosk_id, seq) DO NOTHING`))
		if err != nil {
			return err
		}
		defer ins.Close()
		t := newTally()
		// Credits of this kiosk's that came before their admissions wait
		// in spends with no holder (creditStay); most pushes have none.
		var early int
		if err := db.queryRow(ctx, tx, `SELECT count(*) FROM spends WHERE kiosk_id = ? AND person_id = ''`, kiosk).Scan(&early); err != nil {
			return fmt.Errorf("push: %w", err)
		}
		t.early = early > 0
		if ev != nil {
			if err := db.preload(ctx, tx, t.v, events); err != nil {
				return fmt.Errorf("push: %w", err)
			}
		}
		// The seqs stored under the kiosk's log, before this push and by
		// it: another event under one is a retry or a fork.
		taken, err := db.storedSeqs(ctx, tx, kiosk, events)
		if err != nil {
			return err
		}
		c := claims{db: db, tx: tx, t: t, ev: ev, kiosk: kiosk, door: door, base: map[string]int64{}}
		newForks := int64(0)
		for _, e := range events {
			eff, flagged := plausible(e, now)
			why, err := c.check(ctx, eff)
			if err != nil {
				return err
			}
			var rights any
			if len(e.Rights) > 0 {
				b, err := json.Marshal(e.Rights)
				if err != nil {
					return fmt.Errorf("event %d: %w", e.Seq, err)
				}
				rights = string(b)
			}
			st := stampOf(eff)
			values := []any{kiosk, e.Seq, int64(e.HLC), e.At, e.Door, e.Direction, e.Method, e.Code,
				null(e.Person), e.Decision, e.Reason, e.Space, e.Note, null(e.From), null(e.Location), e.Delta,
				nullInt(e.Undoes), now.UnixMilli(), boolInt(flagged), rights, e.Cursor, rseq, st.T, st.Err, why, int64(0)}
			stored := false
			if !taken[e.Seq] {
				// A seq the center does not hold, nor this push yet: the
				// row is new, written at the end of the push
				// (pushwrite.go).
				t.v.held.holdEvent(e.Seq, values)
				stored, eff.Seq, taken[e.Seq] = true, e.Seq, true
			} else if err := db.writeHeld(ctx, tx, &t.v.held); err != nil {
				return err
			}
			// The first free seq of the kiosk's log, or of a branch of it
			// when the seq holds another event (a forked log).
			for branch := int64(0); !stored; branch++ {
				seq := e.Seq + branch*wire.MaxSeq
				values[1] = seq
				res, err := ins.ExecContext(ctx, values[:len(values)-1]...)
				if err != nil {
					return fmt.Errorf("event %d: %w", e.Seq, err)
				}
				if n, _ := res.RowsAffected(); n > 0 {
					stored, eff.Seq = true, seq
					if branch > 0 {
						newForks++
					}
					break
				}
				same, err := db.sameEvent(ctx, tx, kiosk, seq, e)
				if err != nil {
					return err
				}
				if same || branch >= maxBranches {
					// A branch beyond the last is a kiosk that forks
					// without end: its events are kept up to there.
					break
				}
			}
			if !stored {
				continue
			}
			res.Accepted++
			if why != "" {
				res.Refused = append(res.Refused, wire.Refusal{Seq: e.Seq, Why: why})
				continue
			}
			if e.Decision == string(checkin.Leave) && e.Person != "" {
				t.v.exited(e.Person, storedExit{door: e.Door, mark: checkin.Mark{Kiosk: kiosk, Seq: eff.Seq, Cursor: e.Cursor, Stamp: st, HLC: e.HLC}})
			}
			if forks+newForks > 0 {
				if err := db.writeHeld(ctx, tx, &t.v.held); err != nil {
					return err
				}
				if err := db.branchRefs(ctx, tx, kiosk, &eff); err != nil {
					return err
				}
			}
			if err := db.applyRights(ctx, tx, t, ev, kiosk, eff, rseq); err != nil {
				return err
			}
			if err := db.applyPresence(ctx, tx, t, ev, kiosk, eff, rseq); err != nil {
				return err
			}
		}
		if err := t.flush(ctx, db, tx); err != nil {
			return err
		}
		if err := db.liveIngest(ctx, tx, ev, kiosk, rseq); err != nil {
			return err
		}
		noticed = t.noticed
		res.Forked = forks+newForks > 0
		if newForks > 0 {
			_, err = db.exec(ctx, tx, `UPDATE kiosks SET forks = forks + ?, forked_at = CASE WHEN forked_at = 0 THEN ? ELSE forked_at END WHERE id = ?`,
				newForks, now.UnixMilli(), kiosk)
			if err != nil {
				return err
			}
		}
		_, err = db.exec(ctx, tx, `UPDATE kiosks SET last_seen = ? WHERE id = ?`, now.UnixMilli(), kiosk)
		return err
	})
	return res, err
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
