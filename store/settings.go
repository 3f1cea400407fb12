package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// The settings table holds what the kiosk keeps besides its log and
// roster, one text value per key: above all the sync's state.

// Settings keys of the sync with the central server (sync/PROTOCOL.md).
const (
	keyURL     = "sync_url"      // the server's base URL
	keyKioskID = "sync_kiosk_id" // this kiosk's id at the server; set means enrolled
	keyToken   = "sync_token"    // this kiosk's bearer token
	keyDoor    = "sync_door"     // the door the enrollment code named
	keyEventID = "sync_event_id" // the server's event
	keyCursor  = "sync_cursor"   // the server sequence pulled through
	keyPushed  = "sync_pushed"   // the last scan seq the server acknowledged
	keyHLC     = "sync_hlc"      // the highest server clock reading seen
	keyRecheck = "sync_recheck"  // "1": a page changed the event and more pages follow
	keyRevoked = "sync_revoked"  // set (when, RFC 3339): the center refused this kiosk's token
	keyForked  = "sync_forked"   // set (when, RFC 3339): the center holds other events under this kiosk's seqs
	// keyEnrolledAfter is the last seq of the log when this kiosk was
	// enrolled: the rows up to it are never sent, and move none of the
	// rights it holds under this enrollment.
	keyEnrolledAfter = "sync_enrolled_after"
	keyKeptLocal     = "sync_kept_local" // how many of those rows were scans never sent
)

type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func setting(ctx context.Context, q queryRower, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

func intSetting(ctx context.Context, q queryRower, key string) (int64, error) {
	v, err := setting(ctx, q, key)
	if err != nil || v == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("setting %s: %q is not a number", key, v)
	}
	return n, nil
}

func setSetting(ctx context.Context, tx *sql.Tx, key, value string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	return nil
}
