// Package store keeps a kiosk's event, roster and scan log in SQLite
// (modernc.org/sqlite, pure Go). Every scan is decided and written in one
// transaction, committed with synchronous=FULL before the decision is
// returned; presence and occupancy are derived from that log in memory.
package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"usher/checkin"
	"usher/sync/hlc"
)

//go:embed migration/*.sql
var migrations embed.FS

// pragmas apply to every pooled connection. WAL lets the screen read
// while a scan writes; synchronous=FULL makes a commit survive power loss,
// which a decision shown at the door must; busy_timeout rides out a
// second process (`usher scan` beside the kiosk screen) holding the write
// lock; _txlock=immediate takes that lock at BEGIN, so a scan never fails
// half-way upgrading a read lock.
var pragmas = []string{
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(1)",
	"busy_timeout(5000)",
}

// DSN returns the connection string Usher uses for a database file.
func DSN(path string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

// uriPath escapes what a file: URI would read otherwise: a '#' or '?' in
// a folder's name cut the path there, and two kiosks shared one file.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// DB is a kiosk database.
type DB struct {
	db *sql.DB

	// Now is the clock stamped on scans; tests replace it.
	Now func() time.Time
	// clock stamps each scan with a hybrid logical clock timestamp for
	// sync; it reads Now.
	clock *hlc.Clock
	// Mono reads the monotonic clock (nanoseconds) and names the boot it
	// counts from; stamps count on it from the last sync (presence.go).
	// Tests replace it.
	Mono func() (int64, string)
	// AskRights, when set, asks the center on the spot for a right of
	// each counter this kiosk holds none of (kiosksync sets it): a scan
	// refused for want of rights asks it and is decided again, so a
	// connected door does not refuse while the room has room.
	AskRights func(context.Context) error

	mu       sync.Mutex // serialises scans and loads within this process
	ev       *checkin.Event
	st       *checkin.State
	lastSeq  int64                        // the last scan seq reflected in st
	version  int64                        // the event definition's version ev reflects; 0 for none
	news     string                       // the rights news st reflects (keyRightsNews)
	revoked  bool                         // the center refused this kiosk's token (keyRevoked): every decision is a denial
	enrolled int64                        // the log's last seq at enrollment (keyEnrolledAfter): rows up to it move no rights
	keys     map[string]ed25519.PublicKey // the event's badge keys by id
	anchor   anchor                       // the center's clock against Mono, as last measured
	presence presenceBase                 // the center's counts st is based on; Counts nil: none

	resumed   int64 // the snapshot's seq the last reload started from; 0: it replayed the whole log
	snapAt    int64 // the seq of the last snapshot this handle saved, resumed from or tried
	snapEvery int64 // rows between snapshots (snapshotEvery; tests lower it)

	// Statements every scan runs, prepared once: modernc's driver does
	// not cache them, and parsing them each time costs more than the
	// lookup they do.
	stmtVersion, stmtCatchUp, stmtLookup, stmtInsert *sql.Stmt

	searchMu sync.Mutex   // guards search
	search   *searchIndex // the name search's roster; nil until a search
	// walkup is the person a scan's transaction added from their signed
	// badge, and the roster versions around it, for the search to patch
	// in once it commits.
	walkup struct{ id, before, after string }

	// watch tells the screen whether the file changed (watch.go).
	watch watch
}

// Open opens (creating if needed) the database at path and brings its
// schema up to date. If an event is loaded, presence is rebuilt from the
// scan log.
//
// The database and its -wal and -shm files are made readable by their
// owner only: they hold the kiosk's bearer token.
func Open(path string) (*DB, error) {
	if err := private(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sdb, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{db: sdb, Now: time.Now, snapEvery: snapshotEvery}
	db.Mono = db.nowMono
	if err := db.migrate(); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.hashEventPIN(context.Background()); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.prepare(); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.reload(context.Background(), nil); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.startClock(context.Background()); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// private creates the database file at path readable and writable by
// its owner only, or makes an existing one and its -wal, -shm and
// -journal files so. SQLite creates those files later with the mode of
// the database file.
func private(path string) error {
	if path == "" || path == ":memory:" {
		return nil // no file
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s readable by its owner only: %w", p, err)
			}
		}
	}
	return nil
}

// scrub runs write in one transaction that overwrites with zeros what
// it deletes or replaces, then moves the write-ahead log into the
// database file and empties it: an old, weaker form of a secret is then
// in neither file. Emptying the log waits for other processes reading
// the file (busy_timeout) and is skipped if they do not let go.
func (db *DB) scrub(ctx context.Context, write func(*sql.Tx) error) error {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = 1`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA secure_delete = 0`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := write(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, _ = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return nil
}

func (db *DB) prepare() error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		// The event's version, how often the center's word on rights was
		// stored (rights.go), and whether the center revoked this kiosk,
		// so that every handle on the file follows.
		{&db.stmtVersion, `SELECT version, coalesce((SELECT value FROM settings WHERE key = '` + keyRightsNews + `'), ''),
			coalesce((SELECT value FROM settings WHERE key = '` + keyRevoked + `'), '')
			FROM event WHERE id = 1`},
		{&db.stmtCatchUp, `SELECT seq, person_id, from_loc, location, delta, rights FROM scans
			WHERE seq > ? AND (location IS NOT NULL OR rights IS NOT NULL) ORDER BY seq`},
		// A code is revoked when it was replaced, or when the revocation
		// list revokes its person.
		{&db.stmtLookup, `SELECT p.id, p.name, p.company, p.category, p.tags, p.serial, p.revoked_why, c.revoked OR ` + listedSQL + `, p.removed
			FROM codes c JOIN people p ON p.id = c.person_id WHERE c.code = ?`},
		// The hlc is the clock's reading, or one more than the last row's
		// when another process sharing the file (usher scan beside the
		// screen) stamped a later one: timestamps grow with seq. (Reading
		// the stored value back with RETURNING costs more than the clock
		// following the other process would gain.)
		// cursor is the pull cursor as committed, so a row never claims a
		// later one than this kiosk had.
		{&db.stmtInsert, `INSERT INTO scans (at, door, direction, method, code, person_id, decision, reason, space, note,
			from_loc, location, delta, undoes, rights, t, terr, cursor, hlc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '` + keyCursor + `'), 0),
			max(?, coalesce((SELECT hlc FROM scans ORDER BY seq DESC LIMIT 1) + 1, 0)))`},
	} {
		s, err := db.db.Prepare(p.query)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = s
	}
	return nil
}

// on returns s to run inside tx, or outside any transaction for nil.
func on(ctx context.Context, tx *sql.Tx, s *sql.Stmt) *sql.Stmt {
	if tx == nil {
		return s
	}
	return tx.StmtContext(ctx, s)
}

// Close closes the database, after saving a snapshot of the state when
// the log has grown by snapshotEvery rows since the last one, so that
// the next start need not replay them.
func (db *DB) Close() error {
	db.mu.Lock()
	db.keepSnapshot(context.Background())
	db.mu.Unlock()
	db.watch.close()
	return db.db.Close()
}

// SQL returns the underlying handle, for benchmarks and reports that
// read the log directly.
func (db *DB) SQL() *sql.DB { return db.db }

func (db *DB) migrate() error {
	if _, err := db.db.Exec(`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(name string) error {
	tx, err := db.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(string(body)); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// reload reads the event and rebuilds presence from the log, inside tx,
// or outside any transaction for nil: from a snapshot that holds
// (snapshot.go) and the rows after it, else from the whole log.
func (db *DB) reload(ctx context.Context, tx *sql.Tx) error {
	q := queryer(tx, db.db)
	var (
		def     string
		version int64
	)
	err := q.QueryRowContext(ctx, `SELECT definition, version FROM event WHERE id = 1`).Scan(&def, &version)
	if errors.Is(err, sql.ErrNoRows) {
		db.ev, db.st, db.lastSeq, db.version = nil, nil, 0, 0
		return nil
	} else if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	ev, err := checkin.DecodeEvent([]byte(def))
	if err != nil {
		return err
	}
	db.ev, db.st, db.lastSeq, db.version = ev, checkin.NewState(ev), 0, version
	db.presence, db.resumed, db.snapAt = presenceBase{}, 0, 0
	if db.enrolled, err = intSetting(ctx, q, keyEnrolledAfter); err != nil {
		return err
	}
	db.keys = make(map[string]ed25519.PublicKey, len(ev.Keys))
	for _, k := range ev.Keys {
		db.keys[k.ID] = ed25519.PublicKey(k.Public)
	}
	db.resume(ctx, q, def)
	if err := db.limitByRights(ctx, q); err != nil {
		return err
	}
	return db.applyNewRows(ctx, tx)
}

// catchUp brings this handle up to date with what other handles or
// processes committed: a new event definition (reloaded whole), or scans
// logged since lastSeq.
func (db *DB) catchUp(ctx context.Context, tx *sql.Tx) error {
	var (
		version       int64
		news, revoked string
	)
	err := on(ctx, tx, db.stmtVersion).QueryRowContext(ctx).Scan(&version, &news, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		version = 0
	case err != nil:
		return fmt.Errorf("read event version: %w", err)
	}
	db.revoked = revoked != ""
	if version != db.version {
		return db.reload(ctx, tx)
	}
	if db.ev == nil {
		return nil
	}
	if news != db.news {
		if err := db.limitByRights(ctx, queryer(tx, db.db)); err != nil {
			return err
		}
	}
	return db.applyNewRows(ctx, tx)
}

// queryer is tx, or db outside any transaction.
func queryer(tx *sql.Tx, db *sql.DB) queryRower {
	if tx != nil {
		return tx
	}
	return db
}

// Refresh catches up with what other processes wrote to the database
// (another kiosk command, a new `usher load`). The screen calls it on its
// clock tick; scans do it themselves inside their transaction. Every
// snapshotEvery rows it also saves a snapshot of the state, there rather
// than in a scan: the tick is a moment no one waits for.
func (db *DB) Refresh(ctx context.Context) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.catchUp(ctx, nil); err != nil {
		return err
	}
	db.keepSnapshot(ctx)
	return nil
}

// applyNewRows applies to the in-memory state every move logged after lastSeq,
// by this process or another one sharing the file.
func (db *DB) applyNewRows(ctx context.Context, tx *sql.Tx) error {
	rows, err := on(ctx, tx, db.stmtCatchUp).QueryContext(ctx, db.lastSeq)
	if err != nil {
		return fmt.Errorf("read scan log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq, delta      int64
			person          sql.NullString
			from, loc, text sql.NullString
		)
		if err := rows.Scan(&seq, &person, &from, &loc, &delta, &text); err != nil {
			return fmt.Errorf("read scan log: %w", err)
		}
		if loc.Valid {
			for _, l := range []string{from.String, loc.String} {
				if l != checkin.Outside && db.ev.Space(l) == nil {
					return fmt.Errorf("scan %d refers to space %q, which the event does not define", seq, l)
				}
			}
			// Moves the center's presence already counts are in its base.
			if db.presence.Counts == nil || seq > db.presence.Through {
				db.st.Apply(person.String, from.String, loc.String, int(delta))
			}
		}
		// Rights moved before this enrollment were an earlier identity's:
		// the center granted this one none of them.
		if text.Valid && seq > db.enrolled {
			changes, err := decodeRights(text.String)
			if err != nil {
				return fmt.Errorf("scan %d: %w", seq, err)
			}
			db.st.ApplyRights(seq, checkin.Holder(person.String, int(delta), loc.String), changes)
		}
		db.lastSeq = seq
	}
	return rows.Err()
}

// Event returns the loaded event, or nil before the first load.
func (db *DB) Event() *checkin.Event {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.ev
}

// Occupancy returns the number of people inside each space, rooms
// included in the venue's count. Nil before an event is loaded.
func (db *DB) Occupancy() map[string]int {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.st == nil {
		return nil
	}
	return db.st.Occupancy()
}

// Location returns the innermost space the person is recorded in, or
// checkin.Outside.
func (db *DB) Location(personID string) string {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.st == nil {
		return checkin.Outside
	}
	return db.st.Location(personID)
}

func joinTags(tags []string) string { return strings.Join(tags, ";") }

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}
