package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"usher/checkin"
	"usher/sync/wire"
)

// Presence at an enrolled kiosk (checkin/presence.go): the count on the
// screen is the center's at the last pull, with where the people it
// knows of are, plus this kiosk's own moves since. So an exit is
// recognised at any door, anti-passback holds across doors, and the
// gauges show the space's count, not this door's.

// Settings of presence and of the clock.
const (
	keyPresence = "presence"     // JSON presenceBase: the center's counts at the last pull
	keyAnchor   = "clock_anchor" // JSON anchor: the center's clock against this machine's monotonic one
)

// presenceBase is what the last pull said, besides where people are.
type presenceBase struct {
	Version  int64          `json:"version"` // one more at every pull that brought presence
	Through  int64          `json:"through"` // this kiosk's own rows the counts include
	At       int64          `json:"at"`      // the center's clock when it counted, Unix ms
	Counts   map[string]int `json:"counts"`
	Unbadged map[string]int `json:"unbadged,omitempty"`
}

// applyPresence stores what a pull says of who is inside, after checking
// it names only the event's spaces; the state is rebased on it once the
// page commits.
func (db *DB) applyPresence(ctx context.Context, tx *sql.Tx, ev *checkin.Event, p *wire.Presence) error {
	if p == nil || ev == nil || db.st == nil || !db.st.Limited() {
		return nil
	}
	known := func(loc string) bool { return loc == checkin.Outside || ev.Space(loc) != nil }
	for sp, n := range p.Counts {
		if ev.Space(sp) == nil || n < 0 {
			return checkin.Errorf(checkin.EINVALID, "presence: count %d of %q", n, sp)
		}
	}
	for sp, n := range p.Unbadged {
		if ev.Space(sp) == nil || n < 0 {
			return checkin.Errorf(checkin.EINVALID, "presence: %d counted without a badge in %q", n, sp)
		}
	}
	if p.Through < 0 {
		return checkin.Errorf(checkin.EINVALID, "presence: through %d", p.Through)
	}
	if err := storeWhere(ctx, tx, p.People, known); err != nil {
		return err
	}
	var old presenceBase
	if err := jsonSetting(ctx, tx, keyPresence, &old); err != nil {
		return err
	}
	b, _ := json.Marshal(presenceBase{Version: old.Version + 1, Through: p.Through, At: p.At, Counts: p.Counts, Unbadged: p.Unbadged})
	if err := setSetting(ctx, tx, keyPresence, string(b)); err != nil {
		return err
	}
	return bumpNews(ctx, tx)
}

// storeWhere writes where each person is, as a pull said. The two
// statements are prepared once for the page: a pull every two seconds
// brings everyone moved at any door meanwhile, and preparing a statement
// for each of them (compiling the snapshot's triggers into it every
// time) was most of what a pull cost the kiosk.
func storeWhere(ctx context.Context, tx *sql.Tx, people []wire.Where, known func(string) bool) error {
	if len(people) == 0 {
		return nil
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM presence WHERE person_id = ?`)
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	defer del.Close()
	put, err := tx.PrepareContext(ctx, `INSERT INTO presence (person_id, location) VALUES (?, ?)
		ON CONFLICT (person_id) DO UPDATE SET location = excluded.location`)
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	defer put.Close()
	for _, w := range people {
		if w.Person == "" || !checkin.Printable(w.Person) || !known(w.Location) {
			return checkin.Errorf(checkin.EINVALID, "presence: %q at %q", w.Person, w.Location)
		}
		if w.Location == checkin.Outside {
			_, err = del.ExecContext(ctx, w.Person)
		} else {
			_, err = put.ExecContext(ctx, w.Person, w.Location)
		}
		if err != nil {
			return fmt.Errorf("presence: %w", err)
		}
	}
	return nil
}

// rebase puts the state on the center's presence at the last pull, if
// there is one it does not reflect yet, and applies this kiosk's own
// moves after it up to those the state reflects (lastSeq); applyNewRows
// applies the later ones.
func (db *DB) rebase(ctx context.Context, q queryRower) error {
	var base presenceBase
	if err := jsonSetting(ctx, q, keyPresence, &base); err != nil {
		return err
	}
	if base.Counts == nil {
		db.presence = presenceBase{}
		return nil
	}
	if db.presence.Counts != nil && base.Version == db.presence.Version {
		return nil // news of rights or the clock, not of presence
	}
	where := map[string]string{}
	rows, err := q.QueryContext(ctx, `SELECT person_id, location FROM presence`)
	if err != nil {
		return fmt.Errorf("read presence: %w", err)
	}
	for rows.Next() {
		var p, l string
		if err := rows.Scan(&p, &l); err != nil {
			rows.Close()
			return fmt.Errorf("read presence: %w", err)
		}
		if db.ev.Space(l) != nil {
			where[p] = l
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read presence: %w", err)
	}
	db.st.ResetPresence(where, base.Counts, base.Unbadged)
	db.presence = base
	moves, err := q.QueryContext(ctx, `SELECT seq, coalesce(person_id, ''), from_loc, location, delta FROM scans
		WHERE seq > ? AND seq <= ? AND location IS NOT NULL ORDER BY seq`, base.Through, db.lastSeq)
	if err != nil {
		return fmt.Errorf("read scan log: %w", err)
	}
	defer moves.Close()
	for moves.Next() {
		var (
			seq, delta       int64
			person, from, to string
		)
		if err := moves.Scan(&seq, &person, &from, &to, &delta); err != nil {
			return fmt.Errorf("read scan log: %w", err)
		}
		db.st.Apply(person, from, to, int(delta))
	}
	return moves.Err()
}

// PresenceAge returns when the center last counted the spaces this kiosk
// shows (the counts are that figure plus this kiosk's moves since); ok
// is false for a kiosk that has no such figure (standalone, or not yet
// pulled), whose counts are its own.
func (db *DB) PresenceAge() (at time.Time, ok bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.presence.Counts == nil {
		return time.Time{}, false
	}
	return time.UnixMilli(db.presence.At), true
}

// anchor ties the center's clock to this machine's monotonic clock at a
// sync: the center's time was Center ± Err ms when the monotonic clock
// read Mono ns, on the boot Boot. A monotonic clock restarts with the
// machine, so another boot's anchor is worthless.
type anchor struct {
	Center int64  `json:"center"`
	Err    int64  `json:"err"`
	Mono   int64  `json:"mono"`
	Boot   string `json:"boot"`
}

// stamp is when a row happens, on the center's clock as this kiosk
// estimates it (checkin.Stamp): the anchor plus the monotonic time
// since, so a change of the wall clock moves nothing. Without a usable
// anchor the wall clock, with no bound.
func (db *DB) stamp() checkin.Stamp {
	a := db.anchor
	if a.Boot != "" {
		mono, boot := db.Mono()
		if boot == a.Boot && mono >= a.Mono {
			return checkin.Estimate(a.Center, a.Err, (mono-a.Mono)/int64(time.Millisecond))
		}
	}
	return checkin.Stamp{T: db.Now().UnixMilli(), Err: -1}
}

// SetAnchor measures this kiosk's clock against the center's from one
// round trip: sent and received are monotonic readings (MonoNow) around
// the request, server the center's clock in its answer (Unix ms). The
// center's clock at received is server + half the round trip, give or
// take that half. A new anchor replaces the old only when it bounds the
// error better than the old one still does.
func (db *DB) SetAnchor(ctx context.Context, server, sent, received int64) error {
	if server <= 0 || received < sent {
		return nil
	}
	_, boot := db.Mono()
	half := (received - sent) / int64(time.Millisecond) / 2
	a := anchor{Center: server + half, Err: half + 1, Mono: received, Boot: boot}
	db.mu.Lock()
	old := db.anchor
	db.mu.Unlock()
	if old.Boot == boot && received >= old.Mono {
		if was := checkin.Estimate(old.Center, old.Err, (received-old.Mono)/int64(time.Millisecond)); was.Err <= a.Err {
			return nil
		}
	}
	return db.setRightsNews(ctx, keyAnchor, a, func() { db.anchor = a })
}

// MonoNow reads the monotonic clock that stamps use.
func (db *DB) MonoNow() int64 {
	mono, _ := db.Mono()
	return mono
}

// nowMono is the default Mono: the machine's monotonic clock while Now
// is the real clock. A clock that carries no monotonic reading (a test's
// or a simulation's settable clock) is the whole world's time there, and
// stands in for the monotonic clock too, so stamps and the center's
// clock move together as they do in life.
func (db *DB) nowMono() (int64, string) {
	if t := db.Now(); t == t.Round(0) {
		return t.UnixNano(), "settable-clock"
	}
	return systemMono()
}

// systemMono reads CLOCK_MONOTONIC, which every process on the machine
// shares (the screen and `usher sync` stamp on one clock), with the
// machine's boot id.
func systemMono() (int64, string) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return int64(time.Since(processStart)), fmt.Sprintf("process-%d-%d", os.Getpid(), processStart.UnixNano())
	}
	return ts.Nano(), bootID
}

var (
	processStart = time.Now()
	bootID       = readBootID()
)

func readBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return fmt.Sprintf("process-%d-%d", os.Getpid(), processStart.UnixNano())
	}
	return strings.TrimSpace(string(b))
}
