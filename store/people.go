package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"usher/checkin"
)

// entry is a roster person and whether they were removed from it.
type entry struct {
	checkin.Person
	Removed bool
}

func personByID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (entry, error) {
	var (
		e    entry
		tags string
	)
	err := q.QueryRowContext(ctx, `SELECT id, name, company, email, category, tags, serial, removed FROM people WHERE id = ?`, id).
		Scan(&e.ID, &e.Name, &e.Company, &e.Email, &e.Category, &tags, &e.Serial, &e.Removed)
	if errors.Is(err, sql.ErrNoRows) {
		return e, checkin.Errorf(checkin.ENOTFOUND, "person %q is not on the roster", id)
	} else if err != nil {
		return e, fmt.Errorf("read person %s: %w", id, err)
	}
	e.Tags = splitTags(tags)
	return e, nil
}

// Search finds people on the roster whose name or company contains
// query (case-insensitive for ASCII), or whose id is query, for staff
// admitting someone who forgot their badge. At most limit, by name;
// Location tells where each one is.
func (db *DB) Search(ctx context.Context, query string, limit int) ([]checkin.Person, error) {
	query = strings.TrimSpace(query)
	// SQLite's LIKE ends a pattern at a NUL byte, so a query with one
	// (a scanner typing into the search) would find everyone.
	if query == "" || strings.IndexByte(query, 0) >= 0 {
		return nil, nil
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(query) + "%"
	rows, err := db.db.QueryContext(ctx, `
		SELECT id, name, company, email, category, tags FROM people
		WHERE removed = 0 AND (name LIKE ?1 ESCAPE '\' OR company LIKE ?1 ESCAPE '\' OR id = ?2)
		ORDER BY name, id LIMIT ?3`, like, query, limit)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []checkin.Person
	for rows.Next() {
		var (
			p    checkin.Person
			tags string
		)
		if err := rows.Scan(&p.ID, &p.Name, &p.Company, &p.Email, &p.Category, &tags); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		p.Tags = splitTags(tags)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return out, nil
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
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	return nil
}

const pinKey = "staff_pin_sha256"

// HasPIN reports whether staff mode has a PIN: from the event file, or
// set at this kiosk's first start.
func (db *DB) HasPIN(ctx context.Context) (bool, error) {
	if ev := db.Event(); ev != nil && ev.StaffPIN != "" {
		return true, nil
	}
	h, err := db.Setting(ctx, pinKey)
	return h != "", err
}

// SetPIN sets this kiosk's staff PIN, stored as a hash. The event
// file's PIN, when it has one, takes precedence.
func (db *DB) SetPIN(ctx context.Context, pin string) error {
	if !checkin.ValidPIN(pin) {
		return checkin.Errorf(checkin.EINVALID, "a staff PIN is 4 to 12 digits")
	}
	return db.SetSetting(ctx, pinKey, pinHash(pin))
}

// CheckPIN reports whether pin unlocks staff mode. Lockout after wrong
// tries is the screen's job.
func (db *DB) CheckPIN(ctx context.Context, pin string) (bool, error) {
	if ev := db.Event(); ev != nil && ev.StaffPIN != "" {
		return subtle.ConstantTimeCompare([]byte(pin), []byte(ev.StaffPIN)) == 1, nil
	}
	h, err := db.Setting(ctx, pinKey)
	if err != nil || h == "" {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(pinHash(pin)), []byte(h)) == 1, nil
}

func pinHash(pin string) string {
	sum := sha256.Sum256([]byte("usher staff pin\x00" + pin))
	return hex.EncodeToString(sum[:])
}
