package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"usher/checkin"
)

// A kiosk's identity at the center, which enrollment gives it
// (docs/design.md "Sync"): a kiosk without one is standalone.

// Identity is what enrollment gives a kiosk: its server and who it is
// there.
type Identity struct {
	URL     string // the server's base URL, e.g. https://central.example.org
	KioskID string
	Token   string // the kiosk's bearer token
	Door    string // the door the organizer enrolled it for
	EventID string
}

// Enrolled reports whether id is a kiosk's identity rather than none.
func (id Identity) Enrolled() bool { return id.KioskID != "" }

// Identity returns the kiosk's sync identity; the zero Identity when it
// is not enrolled (a standalone kiosk).
func (db *DB) Identity(ctx context.Context) (Identity, error) {
	// One query, so the fields are read together.
	rows, err := db.db.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?, ?)`,
		keyURL, keyKioskID, keyToken, keyDoor, keyEventID)
	if err != nil {
		return Identity{}, fmt.Errorf("read sync identity: %w", err)
	}
	defer rows.Close()
	var id Identity
	field := map[string]*string{keyURL: &id.URL, keyKioskID: &id.KioskID, keyToken: &id.Token, keyDoor: &id.Door, keyEventID: &id.EventID}
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return Identity{}, fmt.Errorf("read sync identity: %w", err)
		}
		*field[key] = value
	}
	if err := rows.Err(); err != nil {
		return Identity{}, fmt.Errorf("read sync identity: %w", err)
	}
	return id, nil
}

// Enroll stores the identity enrollment gave this kiosk. The log it
// holds already (scans made standalone, or under an earlier enrollment)
// stays in the database but is never sent under the new identity: the
// push starts after it, and its moves of capacity rights count for
// nothing now. Standing().KeptLocal says how many of those scans were
// never sent anywhere.
//
// Returns EINVALID when a field is missing or the database holds another
// event than the server's, and ECONFLICT when the database is enrolled
// already and the center still trusts it: its log belongs to that
// kiosk. A kiosk the center revoked, or whose log forked, may be
// enrolled again.
func (db *DB) Enroll(ctx context.Context, id Identity) error {
	if id.URL == "" || id.KioskID == "" || id.Token == "" || id.EventID == "" {
		return checkin.Errorf(checkin.EINVALID, "an enrollment needs the server URL, a kiosk id, a token and an event id")
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	defer tx.Rollback()
	if err := checkNotEnrolled(ctx, tx); err != nil {
		return err
	}
	if current, err := storedEventID(ctx, tx); err != nil {
		return err
	} else if current != "" && current != id.EventID {
		return checkin.Errorf(checkin.EINVALID, "this database holds event %q but the server runs event %q; enroll a new database", current, id.EventID)
	}
	// The push starts after the log as it is: under an earlier
	// enrollment the rows after its pushed mark were never sent.
	pushed, err := intSetting(ctx, tx, keyPushed)
	if err != nil {
		return err
	}
	var last, kept int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0), count(*) FILTER (WHERE method != ? AND seq > ?) FROM scans`,
		methodRights, pushed).Scan(&last, &kept); err != nil {
		return fmt.Errorf("enroll: read the log: %w", err)
	}
	for key, v := range map[string]string{keyURL: id.URL, keyKioskID: id.KioskID, keyToken: id.Token, keyDoor: id.Door, keyEventID: id.EventID,
		keyPushed: strconv.FormatInt(last, 10), keyEnrolledAfter: strconv.FormatInt(last, 10), keyKeptLocal: strconv.FormatInt(kept, 10)} {
		if err := setSetting(ctx, tx, key, v); err != nil {
			return err
		}
	}
	// What an earlier enrollment learnt belongs to that identity, and
	// maybe to another center: the new one pulls everything again.
	if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key IN (?, ?, ?, ?)`, keyRevoked, keyForked, keyCursor, keyPresence); err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	for _, table := range []string{"grants_applied", "notices_applied"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
	}
	// From now on this kiosk is one door among several: it admits only
	// with capacity rights the center grants it. A new event version
	// makes every handle on the file (a screen already open) reload so.
	if _, err := tx.ExecContext(ctx, `UPDATE event SET version = version + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	return db.reload(ctx, nil)
}

// CheckNotEnrolled returns ECONFLICT when the database is enrolled
// already and the center still trusts it: enrollment checks it before
// it spends a one-time code.
func (db *DB) CheckNotEnrolled(ctx context.Context) error {
	return checkNotEnrolled(ctx, db.db)
}

func alreadyEnrolled(kiosk, url string) error {
	return checkin.Errorf(checkin.ECONFLICT, "this database is enrolled already, as kiosk %s of %s: enroll a new database, or, to move this "+
		"kiosk to another door, have the organizer retire it (usher-central kiosk retire %s) and enroll it once it has synced", kiosk, url, kiosk)
}

// checkNotEnrolled returns ECONFLICT when the database is enrolled and
// the center has not revoked it nor found its log forked.
func checkNotEnrolled(ctx context.Context, q queryRower) error {
	kiosk, err := setting(ctx, q, keyKioskID)
	if err != nil || kiosk == "" {
		return err
	}
	for _, key := range []string{keyRevoked, keyForked} {
		if v, err := setting(ctx, q, key); err != nil || v != "" {
			return err
		}
	}
	url, err := setting(ctx, q, keyURL)
	if err != nil {
		return err
	}
	return alreadyEnrolled(kiosk, url)
}

func storedEventID(ctx context.Context, tx *sql.Tx) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT event_id FROM event WHERE id = 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("read event: %w", err)
	}
	return id, nil
}
