package centralstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"usher/checkin"
	"usher/sync/wire"
)

// Enrollment (docs/design.md "Sync"): the organizer makes a one-time
// code for a door, the kiosk trades it for an identity and a bearer
// token of its own, and every later request of the kiosk is
// authenticated by that token until the organizer revokes it.

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
