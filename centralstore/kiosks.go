package centralstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"usher/checkin"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// EUNAUTHORIZED is the error code for a missing, unknown, used or
// revoked token.
const EUNAUTHORIZED = "unauthorized"

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

// CreateEnrollment makes a one-time enrollment token for a kiosk at door.
// Returns EINVALID for a door the event does not have.
func (db *DB) CreateEnrollment(ctx context.Context, door string) (string, error) {
	token, hash := newToken()
	err := db.write(ctx, func(tx *sql.Tx) error {
		ev, _, err := db.event(ctx, tx)
		if err != nil {
			return err
		}
		if ev.Door(door) == nil {
			return checkin.Errorf(checkin.EINVALID, "door %q is not in event %s", door, ev.ID)
		}
		_, err = db.exec(ctx, tx, `INSERT INTO enrollments (token_hash, door, created_at) VALUES (?, ?, ?)`,
			hash, door, db.Now().UnixMilli())
		return err
	})
	return token, err
}

// Enroll exchanges a one-time enrollment token for a kiosk identity and
// its bearer token. A token works once; EUNAUTHORIZED otherwise.
func (db *DB) Enroll(ctx context.Context, token, name string) (wire.EnrollResponse, error) {
	var resp wire.EnrollResponse
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.Now().UnixMilli()
		var door string
		err := db.queryRow(ctx, tx, `UPDATE enrollments SET used_at = ? WHERE token_hash = ? AND used_at IS NULL RETURNING door`,
			now, hashToken(token)).Scan(&door)
		if errors.Is(err, sql.ErrNoRows) {
			return checkin.Errorf(EUNAUTHORIZED, "this enrollment code is unknown or was used already")
		} else if err != nil {
			return err
		}
		ev, _, err := db.event(ctx, tx)
		if err != nil {
			return err
		}
		kioskToken, hash := newToken()
		id := "K-" + hashToken(kioskToken)[:10]
		if len(name) > 100 {
			name = name[:100]
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

// Authenticate returns the kiosk a bearer token belongs to.
// EUNAUTHORIZED for an unknown or revoked kiosk.
func (db *DB) Authenticate(ctx context.Context, token string) (string, error) {
	var (
		id      string
		revoked int
	)
	err := db.db.QueryRowContext(ctx, db.rebind(`SELECT id, revoked FROM kiosks WHERE token_hash = ?`), hashToken(token)).Scan(&id, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", checkin.Errorf(EUNAUTHORIZED, "unknown kiosk token")
	case err != nil:
		return "", err
	case revoked != 0:
		return "", checkin.Errorf(EUNAUTHORIZED, "this kiosk was revoked; enroll it again")
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

// Push stores a kiosk's events, each once: an event already stored
// (kiosk, seq) is left as it is. It returns how many were new.
func (db *DB) Push(ctx context.Context, kiosk string, events []wire.Event) (accepted int, err error) {
	err = db.write(ctx, func(tx *sql.Tx) error {
		accepted = 0
		now := db.Now()
		ins, err := tx.PrepareContext(ctx, db.rebind(`
			INSERT INTO events (kiosk_id, seq, hlc, at, door, direction, method, code, person_id, decision, reason,
				space, note, from_loc, location, delta, undoes, received_at, flagged)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (kiosk_id, seq) DO NOTHING`))
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, e := range events {
			flagged := 0
			if hlc.Ahead(hlc.Timestamp(e.HLC), now) > FlagAhead {
				flagged = 1
			}
			res, err := ins.ExecContext(ctx, kiosk, e.Seq, int64(e.HLC), e.At, e.Door, e.Direction, e.Method, e.Code,
				null(e.Person), e.Decision, e.Reason, e.Space, e.Note, null(e.From), null(e.Location), e.Delta,
				nullInt(e.Undoes), now.UnixMilli(), flagged)
			if err != nil {
				return fmt.Errorf("event %d: %w", e.Seq, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				accepted++
			}
		}
		_, err = db.exec(ctx, tx, `UPDATE kiosks SET last_seen = ? WHERE id = ?`, now.UnixMilli(), kiosk)
		return err
	})
	return accepted, err
}

// Seen records that a kiosk was heard from.
func (db *DB) Seen(ctx context.Context, kiosk string) error {
	_, err := db.db.ExecContext(ctx, db.rebind(`UPDATE kiosks SET last_seen = ? WHERE id = ?`), db.Now().UnixMilli(), kiosk)
	return err
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
	Revoked  bool      `json:"revoked"`
}

// Status is the center's view: occupancy per space from every kiosk's
// events, and each kiosk's state.
type Status struct {
	Occupancy map[string]int `json:"occupancy"`
	Kiosks    []KioskState   `json:"kiosks"`
}

// Status replays every event that moved someone or changed a count, in
// hybrid-clock order, to the occupancy of each space.
func (db *DB) Status(ctx context.Context) (Status, error) {
	var st Status
	err := db.read(ctx, func(tx *sql.Tx) error {
		st = Status{Kiosks: []KioskState{}}
		ev, _, err := db.event(ctx, tx)
		if err != nil {
			return err
		}
		state := checkin.NewState(ev)
		rows, err := db.query(ctx, tx, `
			SELECT person_id, from_loc, location, delta FROM events
			WHERE location IS NOT NULL ORDER BY hlc, kiosk_id, seq`)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		for rows.Next() {
			var (
				person   sql.NullString
				from, to string
				delta    int
			)
			if err := rows.Scan(&person, &from, &to, &delta); err != nil {
				rows.Close()
				return fmt.Errorf("status: %w", err)
			}
			if (from != checkin.Outside && ev.Space(from) == nil) || (to != checkin.Outside && ev.Space(to) == nil) {
				continue // a space the event no longer has
			}
			if delta != 0 {
				state.Adjust(from, to, delta)
			} else if person.Valid {
				state.Move(person.String, to)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("status: %w", err)
		}
		st.Occupancy = state.Occupancy()
		ks, err := db.query(ctx, tx, `
			SELECT k.id, k.name, k.door, k.last_seen, k.revoked,
				(SELECT count(*) FROM events e WHERE e.kiosk_id = k.id),
				(SELECT count(*) FROM events e WHERE e.kiosk_id = k.id AND e.flagged = 1)
			FROM kiosks k ORDER BY k.id`)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		defer ks.Close()
		for ks.Next() {
			var (
				k       KioskState
				seen    int64
				revoked int
			)
			if err := ks.Scan(&k.ID, &k.Name, &k.Door, &seen, &revoked, &k.Events, &k.Flagged); err != nil {
				return fmt.Errorf("status: %w", err)
			}
			k.Revoked = revoked != 0
			k.LastSeen = time.UnixMilli(seen).UTC()
			st.Kiosks = append(st.Kiosks, k)
		}
		return ks.Err()
	})
	return st, err
}
