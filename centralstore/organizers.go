package centralstore

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"usher/checkin"
)

// Organizer passwords and dashboard sessions.
const (
	// PasswordIterations is the PBKDF2-SHA256 work factor for a new
	// password: OWASP's 2023 figure for SHA-256, about a third of a
	// second here, paid once per sign-in.
	PasswordIterations = 600_000
	// MinPassword is the shortest password accepted, in characters.
	MinPassword = 12
	// SessionLifetime is how long a sign-in lasts: one event day.
	SessionLifetime = 12 * time.Hour

	saltBytes = 16
	hashBytes = 32
)

// ErrSignIn is the message for every failed sign-in, so a guess learns
// nothing of which organizer names exist.
const ErrSignIn = "unknown name or wrong password"

// WebSession is a signed-in dashboard browser.
type WebSession struct {
	Organizer string
	Created   time.Time
	Expires   time.Time
}

// checkOrganizerName: a name is typed on a sign-in form and printed in
// logs, so it is short, printable and has no spaces at either end.
func checkOrganizerName(name string) error {
	switch {
	case name == "":
		return checkin.Errorf(checkin.EINVALID, "organizer name is empty")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > 64:
		return checkin.Errorf(checkin.EINVALID, "organizer name %q: at most 64 characters of UTF-8", name)
	case strings.TrimSpace(name) != name:
		return checkin.Errorf(checkin.EINVALID, "organizer name %q starts or ends with a space", name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return checkin.Errorf(checkin.EINVALID, "organizer name %q holds an unprintable character", name)
		}
	}
	return nil
}

func passwordHash(password string, salt []byte, iterations int) ([]byte, error) {
	return pbkdf2.Key(sha256.New, password, salt, iterations, hashBytes)
}

// AddOrganizer sets the password of organizer name, adding them if they
// are new, and reports whether they existed. Replacing a password signs
// out every browser signed in with the old one. Returns EINVALID for a
// bad name or a password shorter than MinPassword characters.
func (db *DB) AddOrganizer(ctx context.Context, name, password string) (replaced bool, err error) {
	if err := checkOrganizerName(name); err != nil {
		return false, err
	}
	if n := utf8.RuneCountInString(password); n < MinPassword {
		return false, checkin.Errorf(checkin.EINVALID, "the password of %s has %d characters; at least %d are needed", name, n, MinPassword)
	}
	salt := make([]byte, saltBytes)
	rand.Read(salt)
	hash, err := passwordHash(password, salt, PasswordIterations)
	if err != nil {
		return false, fmt.Errorf("hash password: %w", err)
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		res, err := db.exec(ctx, tx, `UPDATE organizers SET password_hash = ?, salt = ?, iterations = ? WHERE name = ?`,
			hex.EncodeToString(hash), hex.EncodeToString(salt), PasswordIterations, name)
		if err != nil {
			return fmt.Errorf("organizer %s: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			replaced = true
			_, err = db.exec(ctx, tx, `DELETE FROM web_sessions WHERE organizer = ?`, name)
			return err
		}
		_, err = db.exec(ctx, tx, `INSERT INTO organizers (name, password_hash, salt, iterations, created_at) VALUES (?, ?, ?, ?, ?)`,
			name, hex.EncodeToString(hash), hex.EncodeToString(salt), PasswordIterations, db.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("organizer %s: %w", name, err)
		}
		return nil
	})
	return replaced, err
}

// dummySalt stands in for an unknown organizer's salt, so a sign-in with
// a name that does not exist costs the same work as a wrong password.
var dummySalt = make([]byte, saltBytes)

// SignIn checks an organizer's password and starts a session of
// SessionLifetime. It returns the session's token, to be kept by the
// browser only; the database keeps its hash. Returns EUNAUTHORIZED, with
// the message ErrSignIn whatever was wrong.
func (db *DB) SignIn(ctx context.Context, name, password string) (string, error) {
	var (
		storedHash, storedSalt string
		iterations             int
	)
	err := db.db.QueryRowContext(ctx, db.rebind(`SELECT password_hash, salt, iterations FROM organizers WHERE name = ?`), name).
		Scan(&storedHash, &storedSalt, &iterations)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sign in: %w", err)
	}
	want, _ := hex.DecodeString(storedHash)
	salt, _ := hex.DecodeString(storedSalt)
	if !known || iterations < 1 {
		salt, iterations, want = dummySalt, PasswordIterations, make([]byte, hashBytes)
	}
	got, err := passwordHash(password, salt, iterations)
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	if subtle.ConstantTimeCompare(got, want) != 1 || !known {
		return "", checkin.Errorf(checkin.EUNAUTHORIZED, ErrSignIn)
	}
	token, hash := newToken()
	err = db.write(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		// Sessions that ran out go when a new one starts: the table
		// stays as small as the organizers signed in.
		if _, err := db.exec(ctx, tx, `DELETE FROM web_sessions WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
			return err
		}
		_, err := db.exec(ctx, tx, `INSERT INTO web_sessions (token_hash, organizer, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hash, name, now.UnixMilli(), now.Add(SessionLifetime).UnixMilli())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	return token, nil
}

// Session returns the session a browser's token belongs to. Returns
// EUNAUTHORIZED for an unknown, signed-out or expired token.
func (db *DB) Session(ctx context.Context, token string) (WebSession, error) {
	var (
		s                WebSession
		created, expires int64
	)
	if token == "" {
		return s, checkin.Errorf(checkin.EUNAUTHORIZED, "not signed in")
	}
	err := db.lookup(ctx, `SELECT organizer, created_at, expires_at FROM web_sessions WHERE token_hash = ?`,
		hashToken(token)).Scan(&s.Organizer, &created, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return WebSession{}, checkin.Errorf(checkin.EUNAUTHORIZED, "not signed in")
	case err != nil:
		return WebSession{}, fmt.Errorf("session: %w", err)
	}
	s.Created, s.Expires = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	if !db.Now().Before(s.Expires) {
		return WebSession{}, checkin.Errorf(checkin.EUNAUTHORIZED, "the sign-in ran out; sign in again")
	}
	return s, nil
}

// SignOut ends the session of token; an unknown token is no error.
func (db *DB) SignOut(ctx context.Context, token string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := db.exec(ctx, tx, `DELETE FROM web_sessions WHERE token_hash = ?`, hashToken(token))
		return err
	})
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// PersonNames returns the names of the people with the given ids, for
// the dashboard's list of conflicts; an id not on the roster is left out.
func (db *DB) PersonNames(ctx context.Context, ids []string) (map[string]string, error) {
	names, asked := map[string]string{}, map[string]bool{}
	for _, id := range ids {
		if asked[id] || id == "" {
			continue
		}
		asked[id] = true
		var name string
		err := db.lookup(ctx, `SELECT name FROM people WHERE id = ?`, id).Scan(&name)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return nil, fmt.Errorf("person %s: %w", id, err)
		}
		names[id] = name
	}
	return names, nil
}
