package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"usher/checkin"
	"usher/sync/hlc"
	"usher/sync/wire"
)

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

// Standing returns how the center regards this kiosk, as far as it
// knows; the zero Standing for a standalone kiosk.
func (db *DB) Standing(ctx context.Context) (checkin.Standing, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT key, value FROM settings WHERE key IN (?, ?, ?, ?, ?)`,
		keyKioskID, keyDoor, keyRevoked, keyForked, keyKeptLocal)
	if err != nil {
		return checkin.Standing{}, fmt.Errorf("read sync standing: %w", err)
	}
	defer rows.Close()
	var s checkin.Standing
	for rows.Next() {
		var key, value string
		if err := rows.Scan(&key, &value); err != nil {
			return checkin.Standing{}, fmt.Errorf("read sync standing: %w", err)
		}
		switch key {
		case keyKioskID:
			s.Enrolled = value != ""
		case keyDoor:
			s.Door = value
		case keyRevoked:
			s.Revoked = value != ""
		case keyForked:
			s.Forked = value != ""
		case keyKeptLocal:
			n, err := strconv.Atoi(value)
			if err != nil {
				return checkin.Standing{}, fmt.Errorf("setting %s: %q is not a number", key, value)
			}
			s.KeptLocal = n
		}
	}
	if err := rows.Err(); err != nil {
		return checkin.Standing{}, fmt.Errorf("read sync standing: %w", err)
	}
	if !s.Enrolled {
		return checkin.Standing{}, nil
	}
	return s, nil
}

// MarkRevoked records that the center refused this kiosk's token. From
// the next decision on, at every handle on the file, each scan and staff
// action is logged as a denial (checkin.KioskRevoked) until the kiosk is
// enrolled again. A standalone kiosk is left as it is.
func (db *DB) MarkRevoked(ctx context.Context) error {
	return db.markStanding(ctx, keyRevoked)
}

// MarkForked records that the center holds other events under this
// kiosk's seqs: its database was restored from a backup or copied. It
// scans on as before, its scans still count, and it must be enrolled
// again. A standalone kiosk is left as it is.
func (db *DB) MarkForked(ctx context.Context) error {
	return db.markStanding(ctx, keyForked)
}

// markStanding sets key, once, with the time, on an enrolled kiosk.
func (db *DB) markStanding(ctx context.Context, key string) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO settings (key, value)
		SELECT ?, ? WHERE EXISTS (SELECT 1 FROM settings WHERE key = ? AND value != '')
		ON CONFLICT (key) DO NOTHING`, key, db.Now().UTC().Format(time.RFC3339), keyKioskID)
	if err != nil {
		return writeError("store setting "+key, "the kiosk's standing was not saved", err)
	}
	return nil
}

// Cursor returns the server sequence this kiosk has pulled through; 0
// before its first pull.
func (db *DB) Cursor(ctx context.Context) (int64, error) {
	return intSetting(ctx, db.db, keyCursor)
}

// pendingQuery selects the log after the pushed mark, oldest first.
const pendingQuery = `
	SELECT seq, hlc, at, door, direction, method, code, coalesce(person_id, ''), decision, reason, space, note,
		coalesce(from_loc, ''), coalesce(location, ''), delta, coalesce(undoes, 0), coalesce(rights, ''), cursor, t, terr
	FROM scans
	WHERE seq > coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '` + keyPushed + `'), 0)
	ORDER BY seq LIMIT ?`

// Pending returns up to limit events of the log the server has not
// acknowledged, oldest first.
func (db *DB) Pending(ctx context.Context, limit int) ([]wire.Event, error) {
	rows, err := db.db.QueryContext(ctx, pendingQuery, limit)
	if err != nil {
		return nil, fmt.Errorf("read pending scans: %w", err)
	}
	defer rows.Close()
	var out []wire.Event
	for rows.Next() {
		var (
			e      wire.Event
			rights string
			st     checkin.Stamp
		)
		if err := rows.Scan(&e.Seq, &e.HLC, &e.At, &e.Door, &e.Direction, &e.Method, &e.Code, &e.Person,
			&e.Decision, &e.Reason, &e.Space, &e.Note, &e.From, &e.Location, &e.Delta, &e.Undoes, &rights, &e.Cursor,
			&st.T, &st.Err); err != nil {
			return nil, fmt.Errorf("read pending scans: %w", err)
		}
		if st.Known() && st.Err <= wire.MaxStampErr {
			e.Stamp = &st
		}
		if rights != "" {
			if e.Rights, err = decodeRights(rights); err != nil {
				return nil, fmt.Errorf("scan %d: %w", e.Seq, err)
			}
		}
		e.Code = loggable(e.Code) // rows logged before codes were kept valid
		// The center refuses a NUL byte in text (PostgreSQL cannot store
		// one); a scanner can send one, and the log keeps what it read.
		e.Code, e.Note = strings.ReplaceAll(e.Code, "\x00", "?"), strings.ReplaceAll(e.Note, "\x00", "?")
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pending scans: %w", err)
	}
	return out, nil
}

// Waiting returns how many scans the server has not acknowledged yet.
func (db *DB) Waiting(ctx context.Context) (int, error) {
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM scans WHERE method != '`+methodRights+`' AND seq > coalesce(
		(SELECT CAST(value AS INTEGER) FROM settings WHERE key = '`+keyPushed+`'), 0)`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count waiting scans: %w", err)
	}
	return n, nil
}

// MarkPushed moves the pushed mark to through, the last seq the server
// acknowledged storing. The mark never moves back, so a late answer to
// an older push changes nothing. Returns EINVALID when through is beyond
// the log: the server acknowledged what this kiosk never sent.
func (db *DB) MarkPushed(ctx context.Context, through int64) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark pushed: %w", err)
	}
	defer tx.Rollback()
	pushed, err := intSetting(ctx, tx, keyPushed)
	if err != nil {
		return err
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM scans`).Scan(&last); err != nil {
		return fmt.Errorf("mark pushed: %w", err)
	}
	switch {
	case through > last:
		return checkin.Errorf(checkin.EINVALID, "the server acknowledged scan %d, but the log ends at %d", through, last)
	case through <= pushed:
		return nil
	}
	if err := setSetting(ctx, tx, keyPushed, strconv.FormatInt(through, 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark pushed: %w", err)
	}
	return nil
}

// ObserveHLC takes in the server's clock reading (from a push's answer),
// so that every later scan is stamped after it. A reading ahead of this
// kiosk's wall clock is also stored, so that it holds across a restart;
// one behind it needs no write: a restarted clock starts past it anyway.
func (db *DB) ObserveHLC(ctx context.Context, ts hlc.Timestamp) error {
	if ts > math.MaxInt64 {
		return checkin.Errorf(checkin.EINVALID, "server clock reading %d is out of range", ts)
	}
	db.clock.Observe(ts)
	if ts <= hlc.Make(db.Now(), 0) {
		return nil
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record server clock: %w", err)
	}
	defer tx.Rollback()
	seen, err := intSetting(ctx, tx, keyHLC)
	if err != nil || int64(ts) <= seen {
		return err
	}
	if err := setSetting(ctx, tx, keyHLC, strconv.FormatInt(int64(ts), 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record server clock: %w", err)
	}
	return nil
}

// startClock starts the scan clock after every timestamp already issued
// or seen: the log's highest, and the server's. The log's highest is its
// last row's: every row is stamped after the one before it (stmtInsert,
// migration 003), and reading one row by the key costs nothing where
// max(hlc) read the whole log, a second at a million rows.
func (db *DB) startClock(ctx context.Context) error {
	var last int64
	if err := db.db.QueryRowContext(ctx, `SELECT coalesce((SELECT hlc FROM scans ORDER BY seq DESC LIMIT 1), 0)`).Scan(&last); err != nil {
		return fmt.Errorf("read the scan clock: %w", err)
	}
	seen, err := intSetting(ctx, db.db, keyHLC)
	if err != nil {
		return err
	}
	db.clock = hlc.New(func() time.Time { return db.Now() }, hlc.Timestamp(max(last, seen)))
	return nil
}

// ApplyPull applies one page of a pull, in one transaction together with
// its cursor: a changed event definition, people added, updated or
// removed, and revocations (of a badge serial and the older ones, or of
// a person: see revocations.go). Each person is upserted by the same rules
// as Load: a changed code revokes the old one, a removed person's badges
// are revoked. On any error nothing is written and the cursor stays, so
// the page is pulled again.
//
// A code this kiosk knows as another person's (the center handed a code
// on, which `usher load` refuses) stays theirs: the pulled person is
// stored without a valid code, and staff admit them by name. Refusing
// the page instead would hold back every change after it, revocations
// included.
//
// Returns EINVALID when the event definition is invalid, is another
// event, or drops a space someone is recorded in; when a person lacks an
// id, a name or a code, or has a category the event does not let in;
// when people come before any event; and when the cursor goes back.
func (db *DB) ApplyPull(ctx context.Context, page wire.PullResponse) error {
	patch, err := db.applyPull(ctx, page)
	// The search index is brought up to date after the kiosk's lock is
	// let go: a scan at the door never waits for the name search.
	if patch != nil {
		patch()
	}
	return err
}

// applyPull applies the page under the kiosk's lock; once it has
// committed, it returns what brings the search index up to date.
func (db *DB) applyPull(ctx context.Context, page wire.PullResponse) (patch func(), err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("apply pull: %w", err)
	}
	defer tx.Rollback()
	// Catch up first: a notice credits an admission only if it is still
	// open, which the state must know up to the last row.
	if err := db.sync(ctx, tx); err != nil {
		return nil, fmt.Errorf("apply pull: %w", err)
	}
	cursor, err := intSetting(ctx, tx, keyCursor)
	if err != nil {
		return nil, err
	}
	if page.Cursor < cursor {
		return nil, checkin.Errorf(checkin.EINVALID, "the server's cursor went back from %d to %d", cursor, page.Cursor)
	}
	ev, evChanged, err := db.pullEvent(ctx, tx, page.Event)
	if err != nil {
		return nil, err
	}
	if evChanged {
		if err := db.returnChanged(ctx, tx, db.ev, ev); err != nil {
			return nil, err
		}
	}
	if ev == nil && (len(page.People) > 0 || len(page.Revocations) > 0) {
		return nil, checkin.Errorf(checkin.EINVALID, "the server sent people before the event definition")
	}
	searchBefore, err := setting(ctx, tx, keyRosterVersion)
	if err != nil {
		return nil, err
	}
	if len(page.People) > 0 {
		if err := pullPeople(ctx, tx, ev, page.People); err != nil {
			return nil, err
		}
	}
	for _, r := range page.Revocations {
		if r.Person == "" {
			return nil, checkin.Errorf(checkin.EINVALID, "a revocation names no person")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO revocations (person_id, serial) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			r.Person, r.Serial); err != nil {
			return nil, fmt.Errorf("revocations: %w", err)
		}
	}
	if err := recheckCategories(ctx, tx, ev, evChanged, page.More); err != nil {
		return nil, err
	}
	if len(page.Grants) > 0 && ev == nil {
		return nil, checkin.Errorf(checkin.EINVALID, "the server sent capacity rights before the event definition")
	}
	if err := db.applyGrants(ctx, tx, page.Grants); err != nil {
		return nil, err
	}
	if err := db.applyNotices(ctx, tx, page.Notices); err != nil {
		return nil, err
	}
	if !evChanged {
		// A changed event rebuilds the state from the log; its presence
		// comes with the next pull.
		presence, err := sinceEnrollment(ctx, tx, page.Presence)
		if err != nil {
			return nil, err
		}
		if err := db.applyPresence(ctx, tx, ev, presence); err != nil {
			return nil, err
		}
	}
	if err := setSetting(ctx, tx, keyCursor, strconv.FormatInt(page.Cursor, 10)); err != nil {
		return nil, err
	}
	// The version this page leaves the roster at, read before the commit:
	// a change another process commits after it moves the version on,
	// and the next search reads the whole roster again.
	searchAfter, err := setting(ctx, tx, keyRosterVersion)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("apply pull: %w", err)
	}
	if len(page.People) > 0 {
		ids := make([]string, len(page.People))
		for i, p := range page.People {
			ids[i] = p.ID
		}
		patch = func() { db.patchSearch(ctx, searchBefore, searchAfter, ids) }
	}
	if evChanged {
		return patch, db.reload(ctx, nil)
	}
	return patch, db.sync(ctx, nil)
}

// sinceEnrollment returns a pulled presence counting, besides the
// kiosk's own rows the center holds, every row the kiosk logged before
// its enrollment: those were never sent, so the center's count is the
// whole truth up to them.
func sinceEnrollment(ctx context.Context, tx *sql.Tx, p *wire.Presence) (*wire.Presence, error) {
	if p == nil || p.Through < 0 {
		return p, nil
	}
	after, err := intSetting(ctx, tx, keyEnrolledAfter)
	if err != nil || p.Through >= after {
		return p, err
	}
	q := *p
	q.Through = after
	return &q, nil
}

// recheckCategories makes sure a changed event still lets in everyone on
// the roster, as Load does. A page holds the current event but only some
// of the people changed with it (a re-categorised person may come on a
// later page), so the whole roster is checked on the run's last page,
// when it is complete again.
func recheckCategories(ctx context.Context, tx *sql.Tx, ev *checkin.Event, evChanged, more bool) error {
	pending, err := setting(ctx, tx, keyRecheck)
	if err != nil {
		return err
	}
	switch {
	case more && evChanged && pending == "":
		return setSetting(ctx, tx, keyRecheck, "1")
	case more || (!evChanged && pending == ""):
		return nil
	}
	if err := checkCategories(ctx, tx, ev); err != nil {
		return err
	}
	if pending != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, keyRecheck); err != nil {
			return fmt.Errorf("store setting %s: %w", keyRecheck, err)
		}
	}
	return nil
}

// pullEvent stores a pulled event definition when it differs from the
// stored one, and returns the event the page is to be checked against,
// and whether it changed.
func (db *DB) pullEvent(ctx context.Context, tx *sql.Tx, pulled *checkin.Event) (*checkin.Event, bool, error) {
	var (
		def     string
		current *checkin.Event
	)
	switch err := tx.QueryRowContext(ctx, `SELECT definition FROM event WHERE id = 1`).Scan(&def); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, false, fmt.Errorf("read event: %w", err)
	default:
		if current, err = checkin.DecodeEvent([]byte(def)); err != nil {
			return nil, false, err
		}
	}
	if pulled == nil {
		return current, false, nil
	}
	ev := *pulled // Validate fills in defaults and indexes: work on a copy
	if err := ev.Validate(); err != nil {
		return nil, false, checkin.Errorf(checkin.EINVALID, "the server's event definition: %v", err)
	}
	if current != nil && current.ID != ev.ID {
		return nil, false, checkin.Errorf(checkin.EINVALID, "this database holds event %q; the server sent event %q", current.ID, ev.ID)
	}
	if enrolled, err := setting(ctx, tx, keyEventID); err != nil {
		return nil, false, err
	} else if enrolled != "" && enrolled != ev.ID {
		return nil, false, checkin.Errorf(checkin.EINVALID, "this kiosk was enrolled for event %q; the server sent event %q", enrolled, ev.ID)
	}
	b, err := json.Marshal(&ev)
	if err != nil {
		return nil, false, fmt.Errorf("encode event: %w", err)
	}
	if current != nil && string(b) == def {
		return current, false, nil
	}
	if err := checkLocations(ctx, tx, &ev); err != nil {
		return nil, false, err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO event (id, event_id, definition, loaded_at, version) VALUES (1, ?, ?, ?, 1)
		ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, loaded_at = excluded.loaded_at,
			version = version + 1`,
		ev.ID, string(b), db.Now().UTC().Format(time.RFC3339)); err != nil {
		return nil, false, fmt.Errorf("store event: %w", err)
	}
	return &ev, true, nil
}

// pullPeople upserts a page of people, in the server's order: a person
// twice in a page ends as the later record says.
func pullPeople(ctx context.Context, tx *sql.Tx, ev *checkin.Event, people []wire.Person) error {
	u, err := newUpserter(ctx, tx, true)
	if err != nil {
		return err
	}
	defer u.close()
	known, err := pageRoster(ctx, tx, people)
	if err != nil {
		return err
	}
	for _, wp := range people {
		p := checkin.Person{ID: wp.ID, Name: wp.Name, Company: wp.Company, Email: wp.Email,
			Category: wp.Category, Tags: wp.Tags, Code: wp.Code, Serial: wp.Serial, Revoked: wp.Revoked}
		if wp.Removed {
			if err := removePulled(ctx, tx, u, known, p); err != nil {
				return err
			}
			continue
		}
		if err := ev.CheckPersonCategory(&p); err != nil {
			return err
		}
		if _, err := u.upsert(ctx, known, p); err != nil {
			return err
		}
	}
	return nil
}

// removePulled removes a person the server removed. One this kiosk never
// heard of is recorded too, as removed: otherwise their signed badge
// would be admitted as a walk-up's.
func removePulled(ctx context.Context, tx *sql.Tx, u *upserter, known knownRoster, p checkin.Person) error {
	if p.ID == "" {
		return checkin.Errorf(checkin.EINVALID, "a removed person has no id")
	}
	if _, ok, err := known.person(ctx, p.ID); err != nil {
		return err
	} else if !ok {
		name := p.Name
		if name == "" {
			name = p.ID
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO people (id, name, company, email, category, tags, serial, revoked_why, removed, walkup) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 0)`,
			p.ID, name, p.Company, p.Email, p.Category, joinTags(p.Tags), p.Serial, p.Revoked); err != nil {
			return fmt.Errorf("remove %s: %w", p.ID, err)
		}
	}
	if p.Code != "" { // a code issued to someone else stays theirs
		if _, err := tx.ExecContext(ctx, `INSERT INTO codes (code, person_id, revoked) VALUES (?, ?, 1) ON CONFLICT (code) DO NOTHING`,
			p.Code, p.ID); err != nil {
			return fmt.Errorf("remove %s: %w", p.ID, err)
		}
	}
	return u.remove(ctx, p.ID)
}

// pageRoster reads what the upserts of a pull page need to know of the
// stored roster, the page's people and the owners of their codes, in two
// queries instead of two for each person. When no id and no code comes
// twice in the page, as the server sends them, no upsert of the page
// changes what another asks, so this is what asking the database one
// person at a time would answer. Otherwise it does ask one at a time.
func pageRoster(ctx context.Context, tx *sql.Tx, page []wire.Person) (knownRoster, error) {
	ids, codes := make([]string, 0, len(page)), make([]string, 0, len(page))
	seen := make(map[string]bool, 2*len(page))
	for _, p := range page {
		if seen["i"+p.ID] || (p.Code != "" && seen["c"+p.Code]) {
			return newStoredRoster(ctx, tx)
		}
		seen["i"+p.ID] = true
		ids = append(ids, p.ID)
		if p.Code != "" {
			seen["c"+p.Code] = true
			codes = append(codes, p.Code)
		}
	}
	return rosterOf(ctx, tx, ids, codes)
}

// rosterOf reads the stored people of ids, with their current code, and
// the owners of codes, in two queries.
func rosterOf(ctx context.Context, tx *sql.Tx, ids, codes []string) (loadedRoster, error) {
	r := loadedRoster{people: make(map[string]existing, len(ids)), codes: make(map[string]string, len(codes))}
	idList, _ := json.Marshal(ids)
	codeList, _ := json.Marshal(codes)
	rows, err := tx.QueryContext(ctx, `
		SELECT id, name, company, email, category, tags, serial, revoked_why, removed, walkup,
			coalesce((SELECT code FROM codes WHERE person_id = people.id AND revoked = 0 ORDER BY code DESC LIMIT 1), '')
		FROM people WHERE id IN (SELECT value FROM json_each(?))`, string(idList))
	if err != nil {
		return r, fmt.Errorf("read people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e    existing
			tags string
		)
		if err := rows.Scan(&e.p.ID, &e.p.Name, &e.p.Company, &e.p.Email, &e.p.Category, &tags,
			&e.p.Serial, &e.p.Revoked, &e.removed, &e.walkup, &e.p.Code); err != nil {
			return r, fmt.Errorf("read people: %w", err)
		}
		e.p.Tags = splitTags(tags)
		r.people[e.p.ID] = e
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("read people: %w", err)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT code, person_id FROM codes WHERE code IN (SELECT value FROM json_each(?))`, string(codeList))
	if err != nil {
		return r, fmt.Errorf("read code owners: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, owner string
		if err := rows.Scan(&code, &owner); err != nil {
			return r, fmt.Errorf("read code owners: %w", err)
		}
		r.codes[code] = owner
	}
	return r, rows.Err()
}

// storedRoster answers an upsert's questions from the database, one
// person or code at a time.
type storedRoster struct {
	personStmt, ownerStmt *sql.Stmt
}

func newStoredRoster(ctx context.Context, tx *sql.Tx) (*storedRoster, error) {
	var (
		r   storedRoster
		err error
	)
	// A person's current code is their one code not revoked; were there
	// several, the greatest, as readRoster would find.
	if r.personStmt, err = tx.PrepareContext(ctx, `
		SELECT id, name, company, email, category, tags, serial, revoked_why, removed, walkup,
			coalesce((SELECT code FROM codes WHERE person_id = people.id AND revoked = 0 ORDER BY code DESC LIMIT 1), '')
		FROM people WHERE id = ?`); err != nil {
		return nil, fmt.Errorf("prepare roster lookup: %w", err)
	}
	if r.ownerStmt, err = tx.PrepareContext(ctx, `SELECT person_id FROM codes WHERE code = ?`); err != nil {
		r.personStmt.Close()
		return nil, fmt.Errorf("prepare roster lookup: %w", err)
	}
	return &r, nil
}

func (r *storedRoster) person(ctx context.Context, id string) (existing, bool, error) {
	var (
		e    existing
		tags string
	)
	err := r.personStmt.QueryRowContext(ctx, id).Scan(&e.p.ID, &e.p.Name, &e.p.Company, &e.p.Email, &e.p.Category, &tags,
		&e.p.Serial, &e.p.Revoked, &e.removed, &e.walkup, &e.p.Code)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	} else if err != nil {
		return e, false, fmt.Errorf("read person %s: %w", id, err)
	}
	e.p.Tags = splitTags(tags)
	return e, true, nil
}

func (r *storedRoster) owner(ctx context.Context, code string) (string, bool, error) {
	var id string
	err := r.ownerStmt.QueryRowContext(ctx, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("read code owner: %w", err)
	}
	return id, true, nil
}

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
