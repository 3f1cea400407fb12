package centralstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"usher/checkin"
	"usher/report"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// FlagAhead is how far ahead of the server's clock an event's timestamp
// may be before the server flags it (it never rejects it).
const FlagAhead = 5 * time.Minute

func newToken() (string, string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, hashToken(t)
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// EnrollValidFor is how long an enrollment code works unless the
// organizer says otherwise: a code photographed off a table is of no use
// the next day.
const EnrollValidFor = 24 * time.Hour

// Enrollment is a one-time enrollment code as the center made it. ID
// names it (to cancel it) without being the secret.
type Enrollment struct {
	ID      string
	Token   string
	Door    string
	Expires time.Time
}

// CreateEnrollment makes a one-time enrollment token for a kiosk at door,
// valid for EnrollValidFor. Returns EINVALID for a door the event does
// not have.
func (db *DB) CreateEnrollment(ctx context.Context, door string) (string, error) {
	e, err := db.NewEnrollment(ctx, door, EnrollValidFor)
	return e.Token, err
}

// NewEnrollment makes a one-time enrollment token for a kiosk at door,
// valid for validFor. Returns EINVALID for a door the event does not
// have or a validity that is not positive.
func (db *DB) NewEnrollment(ctx context.Context, door string, validFor time.Duration) (Enrollment, error) {
	if validFor <= 0 {
		return Enrollment{}, checkin.Errorf(checkin.EINVALID, "an enrollment code must be valid for some time, not %v", validFor)
	}
	token, hash := newToken()
	now := db.Now()
	e := Enrollment{ID: enrollmentID(hash), Token: token, Door: door, Expires: now.Add(validFor).UTC().Truncate(time.Millisecond)}
	err := db.write(ctx, func(tx *sql.Tx) error {
		ev, _, err := db.event(ctx, tx)
		if err != nil {
			return err
		}
		if ev.Door(door) == nil {
			return checkin.Errorf(checkin.EINVALID, "door %q is not in event %s", door, ev.ID)
		}
		_, err = db.exec(ctx, tx, `INSERT INTO enrollments (token_hash, door, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hash, door, now.UnixMilli(), e.Expires.UnixMilli())
		return err
	})
	return e, err
}

func enrollmentID(hash string) string { return "E-" + hash[:10] }

// enrollExpiry is when an enrollment row stops working, in SQL: codes
// made before they had an expiry last EnrollValidFor from their making.
var enrollExpiry = fmt.Sprintf("(CASE WHEN expires_at = 0 THEN created_at + %d ELSE expires_at END)", EnrollValidFor.Milliseconds())

// EnrollmentState is one enrollment code as the organizer lists them.
type EnrollmentState struct {
	ID        string    `json:"id"`
	Door      string    `json:"door"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	Used      bool      `json:"used"`
	Cancelled bool      `json:"cancelled"`
}

// Enrollments lists the enrollment codes, newest first.
func (db *DB) Enrollments(ctx context.Context) ([]EnrollmentState, error) {
	var out []EnrollmentState
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := db.query(ctx, tx, `SELECT token_hash, door, created_at, `+enrollExpiry+`, used_at IS NOT NULL, cancelled_at
			FROM enrollments ORDER BY created_at DESC, token_hash`)
		if err != nil {
			return fmt.Errorf("enrollments: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                           EnrollmentState
				hash                        string
				created, expires, cancelled int64
			)
			if err := rows.Scan(&hash, &e.Door, &created, &expires, &e.Used, &cancelled); err != nil {
				return fmt.Errorf("enrollments: %w", err)
			}
			e.ID, e.Cancelled = enrollmentID(hash), cancelled != 0
			e.Created, e.Expires = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// CancelEnrollment stops an enrollment code that was not used yet.
// ENOTFOUND for an unknown id, ECONFLICT for a code used already.
func (db *DB) CancelEnrollment(ctx context.Context, id string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		rows, err := db.query(ctx, tx, `SELECT token_hash, used_at IS NOT NULL FROM enrollments`)
		if err != nil {
			return fmt.Errorf("enrollments: %w", err)
		}
		var (
			hash string
			used bool
		)
		for rows.Next() {
			var (
				h string
				u bool
			)
			if err := rows.Scan(&h, &u); err != nil {
				rows.Close()
				return fmt.Errorf("enrollments: %w", err)
			}
			if enrollmentID(h) == id {
				hash, used = h, u
			}
		}
		rows.Close()
		switch {
		case hash == "":
			return checkin.Errorf(checkin.ENOTFOUND, "no enrollment code %q (usher-central enroll list shows them)", id)
		case used:
			return checkin.Errorf(checkin.ECONFLICT, "enrollment code %s was used already: revoke the kiosk it enrolled instead", id)
		}
		_, err = db.exec(ctx, tx, `UPDATE enrollments SET cancelled_at = ? WHERE token_hash = ?`, db.Now().UnixMilli(), hash)
		return err
	})
}

// Enroll exchanges a one-time enrollment token for a kiosk identity and
// its bearer token. A token works once, before it expires, unless it was
// cancelled; EUNAUTHORIZED otherwise.
func (db *DB) Enroll(ctx context.Context, token, name string) (wire.EnrollResponse, error) {
	var resp wire.EnrollResponse
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.Now().UnixMilli()
		var door string
		err := db.queryRow(ctx, tx, `UPDATE enrollments SET used_at = ?
			WHERE token_hash = ? AND used_at IS NULL AND cancelled_at = 0 AND `+enrollExpiry+` > ? RETURNING door`,
			now, hashToken(token), now).Scan(&door)
		if errors.Is(err, sql.ErrNoRows) {
			return db.whyNotEnrolled(ctx, tx, token)
		} else if err != nil {
			return err
		}
		ev, _, err := db.event(ctx, tx)
		if err != nil {
			return err
		}
		kioskToken, hash := newToken()
		id := "K-" + hashToken(kioskToken)[:10]
		if len(name) > wire.MaxKioskName {
			// Cut on a character boundary: PostgreSQL refuses text that
			// is not UTF-8.
			cut := wire.MaxKioskName
			for cut > 0 && !utf8.RuneStart(name[cut]) {
				cut--
			}
			name = name[:cut]
		}
		if _, err := db.exec(ctx, tx, `INSERT INTO kiosks (id, token_hash, door, name, enrolled_at, last_seen, revoked) VALUES (?, ?, ?, ?, ?, ?, 0)`,
			id, hash, door, name, now, now); err != nil {
			return err
		}
		resp = wire.EnrollResponse{KioskID: id, Token: kioskToken, Door: door, EventID: ev.ID}
		return nil
	})
	return resp, err
}

// whyNotEnrolled says why an enrollment token was refused, without
// saying more than its holder knows.
func (db *DB) whyNotEnrolled(ctx context.Context, tx *sql.Tx, token string) error {
	var (
		used      bool
		cancelled int64
		expires   int64
	)
	err := db.queryRow(ctx, tx, `SELECT used_at IS NOT NULL, cancelled_at, `+enrollExpiry+` FROM enrollments WHERE token_hash = ?`,
		hashToken(token)).Scan(&used, &cancelled, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return checkin.Errorf(checkin.EUNAUTHORIZED, "this enrollment code is unknown")
	case err != nil:
		return err
	case used:
		return checkin.Errorf(checkin.EUNAUTHORIZED, "this enrollment code was used already")
	case cancelled != 0:
		return checkin.Errorf(checkin.EUNAUTHORIZED, "this enrollment code was cancelled; ask the organizer for a new one")
	}
	return checkin.Errorf(checkin.EUNAUTHORIZED, "this enrollment code expired at %s; ask the organizer for a new one",
		time.UnixMilli(expires).UTC().Format("2006-01-02 15:04 UTC"))
}

// Authenticate returns the kiosk a bearer token belongs to.
// EUNAUTHORIZED for an unknown or revoked kiosk.
func (db *DB) Authenticate(ctx context.Context, token string) (string, error) {
	var (
		id      string
		revoked int
	)
	err := db.lookup(ctx, `SELECT id, revoked FROM kiosks WHERE token_hash = ?`, hashToken(token)).Scan(&id, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", checkin.Errorf(checkin.EUNAUTHORIZED, "unknown kiosk token")
	case err != nil:
		return "", err
	case revoked != 0:
		return "", checkin.Errorf(checkin.EUNAUTHORIZED, "this kiosk was revoked; enroll it again")
	}
	return id, nil
}

// RevokeKiosk stops a lost kiosk: its next request is refused.
func (db *DB) RevokeKiosk(ctx context.Context, id string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := db.exec(ctx, tx, `UPDATE kiosks SET revoked = 1 WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return checkin.Errorf(checkin.ENOTFOUND, "no kiosk %q", id)
		}
		return nil
	})
}

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
			return checkin.Errorf(checkin.EUNAUTHORIZED, "this kiosk was retired; enroll it again")
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

// Seen records that a kiosk was heard from, and how many of its scans
// it had not pushed yet; waiting < 0 (a kiosk that does not say) leaves
// the last count as it was.
//
// A kiosk syncing every few seconds would make that a write per request:
// this process stores it only when the count changed or SeenEvery has
// passed since it last did, which the dashboard's "last heard" and the
// offline window (ActiveWithin) do not notice.
func (db *DB) Seen(ctx context.Context, kiosk string, waiting int64) error {
	now := db.Now()
	if m, ok := db.seen.Load(kiosk); ok {
		last := m.(seenMark)
		if now.Sub(last.at) < SeenEvery && now.Sub(last.at) >= 0 && (waiting < 0 || waiting == last.waiting) {
			return nil
		}
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		if waiting < 0 {
			_, err = db.exec(ctx, tx, `UPDATE kiosks SET last_seen = ? WHERE id = ?`, now.UnixMilli(), kiosk)
		} else {
			_, err = db.exec(ctx, tx, `UPDATE kiosks SET last_seen = ?, waiting = ? WHERE id = ?`, now.UnixMilli(), waiting, kiosk)
		}
		return err
	})
	if err == nil && waiting >= 0 {
		db.seen.Store(kiosk, seenMark{now, waiting})
	}
	return err
}

// SeenEvery is how often at most one server process stores that a
// kiosk whose count of scans waiting has not changed was heard from.
const SeenEvery = 5 * time.Second

type seenMark struct {
	at      time.Time
	waiting int64
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

// KioskState is what the center knows of one kiosk.
type KioskState struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Door     string    `json:"door"`
	LastSeen time.Time `json:"last_seen"`
	Events   int64     `json:"events"`  // events received
	Flagged  int64     `json:"flagged"` // of which stamped implausibly far ahead
	Waiting  int64     `json:"waiting"` // scans not pushed yet, as the kiosk said at its last pull
	Refused  int64     `json:"refused"` // events the center refused to believe (Ingest)
	// Forks is how many events the kiosk sent under seqs that held others
	// (its database was restored or copied); kept, counted, and the
	// kiosk must enroll again.
	Forks   int64 `json:"forks"`
	Revoked bool  `json:"revoked"`
	Retired bool  `json:"retired"`
}

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

// kioskStates reads every kiosk's state, counting its events in the
// events table (the replay's reference: Status reads the counts each
// push keeps, liveKioskStates).
func (db *DB) kioskStates(ctx context.Context, tx *sql.Tx, st *Status) error {
	return db.readKioskStates(ctx, tx, st, `
		SELECT k.id, k.name, k.door, k.last_seen, k.revoked, k.retired, k.waiting, k.forks,
			(SELECT count(*) FROM events e WHERE e.kiosk_id = k.id),
			(SELECT count(*) FROM events e WHERE e.kiosk_id = k.id AND e.flagged = 1),
			(SELECT count(*) FROM events e WHERE e.kiosk_id = k.id AND e.refused <> '')
		FROM kiosks k ORDER BY k.id`)
}

// readKioskStates appends to st the kiosks q reads: id, name, door, last
// seen, revoked, retired, waiting, forks, and the counts of events,
// flagged and refused.
func (db *DB) readKioskStates(ctx context.Context, tx *sql.Tx, st *Status, q string) error {
	ks, err := db.query(ctx, tx, q)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer ks.Close()
	for ks.Next() {
		var (
			k       KioskState
			seen    int64
			revoked int
			retired int
		)
		if err := ks.Scan(&k.ID, &k.Name, &k.Door, &seen, &revoked, &retired, &k.Waiting, &k.Forks, &k.Events, &k.Flagged, &k.Refused); err != nil {
			return fmt.Errorf("status: %w", err)
		}
		k.Revoked, k.Retired = revoked != 0, retired != 0
		k.LastSeen = time.UnixMilli(seen).UTC()
		st.Kiosks = append(st.Kiosks, k)
	}
	return ks.Err()
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
