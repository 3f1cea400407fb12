package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"usher/checkin"
)

// entry is a roster person, whether they were removed from it, and
// whether the revocation list revokes them (every credential of theirs).
type entry struct {
	checkin.Person
	Removed bool
	Listed  bool
}

func personByID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (entry, error) {
	var (
		e    entry
		tags string
	)
	err := q.QueryRowContext(ctx, `SELECT id, name, company, email, category, tags, serial, revoked_why, removed, `+listedSQL+`
		FROM people p WHERE id = ?`, id).
		Scan(&e.ID, &e.Name, &e.Company, &e.Email, &e.Category, &tags, &e.Serial, &e.Revoked, &e.Removed, &e.Listed)
	if errors.Is(err, sql.ErrNoRows) {
		return e, checkin.Errorf(checkin.ENOTFOUND, "person %q is not on the roster", id)
	} else if err != nil {
		return e, fmt.Errorf("read person %s: %w", id, err)
	}
	e.Tags = splitTags(tags)
	return e, nil
}

// Setting returns a kiosk setting, or "" when it is not set.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a kiosk setting durably.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	if _, err := db.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return writeError("store setting "+key, "the setting was not saved", err)
	}
	return nil
}

// Settings of the staff PIN set at this kiosk: its slow hash
// (checkin.HashPIN). Kiosks kept it before as a salted SHA-256, which
// is accepted until the PIN is next entered and then replaced.
const (
	pinKey       = "staff_pin_hash"
	legacyPINKey = "staff_pin_sha256"
)

// HasPIN reports whether staff mode has a PIN: from the event file, or
// set at this kiosk's first start.
func (db *DB) HasPIN(ctx context.Context) (bool, error) {
	if ev := db.Event(); ev != nil && ev.StaffPINHash != "" {
		return true, nil
	}
	for _, key := range []string{pinKey, legacyPINKey} {
		if h, err := db.Setting(ctx, key); err != nil || h != "" {
			return h != "", err
		}
	}
	return false, nil
}

// SetPIN sets this kiosk's staff PIN, stored as a slow salted hash. The
// event file's PIN, when it has one, takes precedence.
func (db *DB) SetPIN(ctx context.Context, pin string) error {
	if !checkin.ValidPIN(pin) {
		return checkin.Errorf(checkin.EINVALID, "a staff PIN is 4 to 12 digits")
	}
	h, err := checkin.HashPIN(pin)
	if err != nil {
		return err
	}
	return db.storePIN(ctx, h)
}

// storePIN stores a PIN hash and wipes any older form of the PIN from
// the file.
func (db *DB) storePIN(ctx context.Context, hash string) error {
	err := db.scrub(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, legacyPINKey); err != nil {
			return err
		}
		return setSetting(ctx, tx, pinKey, hash)
	})
	if err != nil {
		return writeError("store setting "+pinKey, "the staff PIN was not saved", err)
	}
	return nil
}

// CheckPIN reports whether pin unlocks staff mode. Lockout after wrong
// tries is the screen's job. A right PIN kept in the older form is
// stored again as a slow hash; if that fails it still unlocks, and the
// next check tries again.
func (db *DB) CheckPIN(ctx context.Context, pin string) (bool, error) {
	if ev := db.Event(); ev != nil && ev.StaffPINHash != "" {
		return checkin.CheckPIN(pin, ev.StaffPINHash)
	}
	if h, err := db.Setting(ctx, pinKey); err != nil || h != "" {
		if err != nil {
			return false, err
		}
		return checkin.CheckPIN(pin, h)
	}
	legacy, err := db.Setting(ctx, legacyPINKey)
	if err != nil || legacy == "" {
		return false, err
	}
	if subtle.ConstantTimeCompare([]byte(pinHash(pin)), []byte(legacy)) != 1 {
		return false, nil
	}
	if h, err := checkin.HashPIN(pin); err == nil {
		_ = db.storePIN(ctx, h)
	}
	return true, nil
}

// pinHash is the older form of a PIN set at the kiosk, kept only to
// recognise it.
func pinHash(pin string) string {
	sum := sha256.Sum256([]byte("usher staff pin\x00" + pin))
	return hex.EncodeToString(sum[:])
}

// hashEventPIN replaces a staff PIN that the stored event definition
// holds in clear, as kiosks stored it before, by its slow hash, and
// wipes the clear one from the file. Other handles reload the event.
func (db *DB) hashEventPIN(ctx context.Context) error {
	var def string
	err := db.db.QueryRowContext(ctx, `SELECT definition FROM event WHERE id = 1`).Scan(&def)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	b, ok, err := checkin.HashClearPIN([]byte(def))
	if err != nil || !ok {
		return err
	}
	err = db.scrub(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE event SET definition = ?, version = version + 1 WHERE id = 1`, string(b))
		return err
	})
	if err != nil {
		return writeError("hash the staff PIN of the stored event", "the staff PIN stays in clear", err)
	}
	return nil
}
