package centralstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// What the center knows of each kiosk besides its events: when it was
// last heard from, how many scans it says wait, and the counts the
// status shows of it.

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
