// Package centralstore is the central roster server's database: the
// event, the roster with a change sequence kiosks pull from, enrolled
// kiosks, and every kiosk's scan log. The same schema and queries run on
// SQLite (an embedded file, the default) and on PostgreSQL (through pgx),
// so several server processes can share one PostgreSQL database.
package centralstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"usher/checkin"
)

//go:embed migration/*.sql
var migrations embed.FS

// DB is the central database.
type DB struct {
	db *sql.DB
	pg bool
	// stmts holds each query exec, queryRow and query have run, prepared
	// once on the pool (query text → *sql.Stmt): modernc's driver does not
	// cache statements, and parsing one costs more than running a small
	// one, which a push does several times per event.
	stmts sync.Map
	// writer admits one SQLite write at a time, in the order they came,
	// so that writers queue here instead of polling SQLite's lock until
	// its busy timeout gives up (nil on PostgreSQL).
	writer chan struct{}
	// seen is when this process last stored each kiosk's last_seen, and
	// the waiting count it stored (kiosk id → seenMark).
	seen sync.Map
	// wakeups answers kiosks waiting for news (wake.go).
	wakeups wakeups
	// shared is the event as the kiosks' requests read it (sharedEvent).
	shared atomic.Pointer[sharedEvent]
	// dash is the dashboard's last steps as this process last read them
	// (dash.go).
	dash dashCache

	// Now is the server's clock; tests replace it.
	Now func() time.Time
	// Woken, when set, is told of every kiosk woken (wake.go): a
	// simulation without HTTP waits syncs those kiosks itself.
	Woken func(kiosk string)
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLiteDSN returns the connection string the center uses for a SQLite
// database file. WAL lets pulls read while pushes write; FULL makes an
// acknowledged push survive a power cut; the busy timeout rides out
// concurrent writers; _txlock=immediate takes the write lock at BEGIN.
func SQLiteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

// uriPath escapes what a file: URI would read otherwise: a '#' or '?' in
// a folder's name cut the path there, and two databases shared one file.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// Open opens the database at dsn: a postgres:// URL, or else a SQLite
// file path (created if missing). It brings the schema up to date.
func Open(dsn string) (*DB, error) {
	db := &DB{pg: IsPostgres(dsn), Now: time.Now}
	var err error
	if db.pg {
		db.db, err = sql.Open("pgx", dsn)
	} else {
		if err := private(dsn); err != nil {
			return nil, fmt.Errorf("open central database: %w", err)
		}
		db.db, err = sql.Open("sqlite", SQLiteDSN(dsn))
		db.writer = make(chan struct{}, 1)
	}
	if err != nil {
		return nil, fmt.Errorf("open central database: %w", err)
	}
	if db.pg {
		// Each request holds a connection while it waits for the server
		// sequence's row lock: unbounded, 500 kiosks would take every
		// connection the server allows. Requests beyond this wait here.
		db.db.SetMaxOpenConns(maxConns)
		db.db.SetMaxIdleConns(maxConns)
	} else {
		// SQLite's pool stays unbounded (a transaction may prepare a
		// statement on a second connection), but keeps connections: with
		// database/sql's default of two idle ones, hundreds of kiosks
		// made it open a connection for most requests, each reading the
		// schema and preparing its statements again.
		db.db.SetMaxIdleConns(sqliteIdle)
	}
	err = db.migrate()
	// Several processes opening a new SQLite file at once can find it
	// busy while one of them switches it to WAL, before any busy
	// timeout applies: try again a few times.
	for try := 1; busy(err) && try <= 20; try++ {
		time.Sleep(time.Duration(try) * 10 * time.Millisecond)
		err = db.migrate()
	}
	if err == nil {
		err = db.hashStoredPIN()
	}
	if err == nil {
		err = db.liveOpen(context.Background())
	}
	if err != nil {
		db.db.Close()
		return nil, fmt.Errorf("open central database: %w", err)
	}
	return db, nil
}

// hashStoredPIN replaces a staff PIN stored in clear in the event's
// definition (as versions before the slow hash stored it) by its hash,
// once: decoding drops the clear field, and kiosks would then let anyone
// set a PIN.
func (db *DB) hashStoredPIN() error {
	ctx := context.Background()
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
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := db.exec(ctx, tx, `UPDATE event SET definition = ? WHERE id = 1 AND definition = ?`, string(b), def)
		return err
	})
}

// private makes the SQLite file at path, and the WAL and shared-memory
// files beside it, readable by its owner only: it holds the kiosks'
// token hashes, the organizers' password hashes and every attendee's
// email. A missing file is created so; SQLite gives its -wal and -shm
// files the database file's mode.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// maxConns is the most PostgreSQL connections one server process opens;
// several processes on one database share its max_connections.
const maxConns = 32

// sqliteIdle is how many SQLite connections one server process keeps
// open while idle, each with the statements it prepared.
const sqliteIdle = 16

// busy reports whether err is SQLite's "database is locked".
func busy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Close closes the database.
func (db *DB) Close() error {
	db.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return db.db.Close()
}

// rebind turns the ? placeholders every query here is written with into
// PostgreSQL's $1, $2, ….
func (db *DB) rebind(q string) string {
	if !db.pg {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stmt returns q, a query of this package's own (never one built from
// input: each stays prepared until Close), prepared for tx, on SQLite
// (whose pool is not bounded).
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	s, err := db.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, s), nil
}

// prepared is q prepared on the pool, once per process.
func (db *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	s, ok := db.stmts.Load(q)
	if !ok {
		p, err := db.db.PrepareContext(ctx, db.rebind(q))
		if err != nil {
			return nil, err
		}
		if s, ok = db.stmts.LoadOrStore(q, p); ok {
			p.Close() // another goroutine prepared it meanwhile
		}
	}
	return s.(*sql.Stmt), nil
}

// lookup runs q, a read of one row, outside a transaction: on SQLite by
// a statement prepared once, as exec does, since every request of every
// kiosk asks one (its token) and preparing it each time cost the center
// more than answering it.
func (db *DB) lookup(ctx context.Context, q string, args ...any) *sql.Row {
	if !db.pg {
		if s, err := db.prepared(ctx, q); err == nil {
			return s.QueryRowContext(ctx, args...)
		}
	}
	return db.db.QueryRowContext(ctx, db.rebind(q), args...) // on error, fails the same way, in the Row
}

// On PostgreSQL, exec, queryRow and query run q on the transaction's own
// connection, where pgx keeps it prepared: preparing on the pool would
// need a second connection while the transaction holds one, and with
// every connection of the bounded pool held, none would come.

func (db *DB) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if db.pg {
		return tx.ExecContext(ctx, db.rebind(q), args...)
	}
	s, err := db.stmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (db *DB) queryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if db.pg {
		return tx.QueryRowContext(ctx, db.rebind(q), args...)
	}
	s, err := db.stmt(ctx, tx, q)
	if err != nil {
		return tx.QueryRowContext(ctx, db.rebind(q), args...) // fails the same way, in the Row
	}
	return s.QueryRowContext(ctx, args...)
}

func (db *DB) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if db.pg {
		return tx.QueryContext(ctx, db.rebind(q), args...)
	}
	s, err := db.stmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// writeTurn waits for this process's turn to write to a SQLite file and
// returns the function that ends it; on PostgreSQL it returns at once.
func (db *DB) writeTurn(ctx context.Context) (func(), error) {
	if db.writer == nil {
		return func() {}, nil
	}
	select {
	case db.writer <- struct{}{}:
		return func() { <-db.writer }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// write runs f in a write transaction and commits it.
func (db *DB) write(ctx context.Context, f func(*sql.Tx) error) error {
	done, err := db.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer done()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// read runs f in a read-only transaction that sees one snapshot.
func (db *DB) read(ctx context.Context, f func(*sql.Tx) error) error {
	// On SQLite a read-only transaction begins deferred, not immediate:
	// it reads one snapshot of the WAL without taking the write lock, so
	// reads never wait for writers.
	opts := &sql.TxOptions{ReadOnly: true}
	if db.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return f(tx)
}

// migrationLock is the PostgreSQL advisory lock key that serialises
// servers starting at once on one database.
const migrationLock = 0x757368657231 // "usher1"

// migrate applies the migrations not applied yet, in name order, each
// in a transaction of its own on one connection that holds the lock.
// Over 60 lines: the lock, the table of applied migrations and the loop
// share that connection.
func (db *DB) migrate() error {
	ctx := context.Background()
	// One connection holds the lock for the whole migration, so two
	// servers starting together do not both create or fill the tables.
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if db.pg {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLock)
	}
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	run := func(f func(tx *sql.Tx) error) error {
		// On SQLite the DSN makes BEGIN immediate: the write lock is
		// taken first, and the busy timeout waits for another process.
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := f(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	if err := run(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, name := range names {
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		err = run(func(tx *sql.Tx) error {
			var n int
			if err := db.queryRow(ctx, tx, `SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
				return err
			}
			for _, stmt := range statements(string(body)) {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%w in: %s", err, stmt)
				}
			}
			_, err := db.exec(ctx, tx, `INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// statements splits a migration into its statements, dropping comments.
func statements(body string) []string {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if i := strings.Index(l, "--"); i >= 0 {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	var out []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// nextSeq reserves n values of the server sequence and returns the
// first. The counter row stays locked until tx ends.
func (db *DB) nextSeq(ctx context.Context, tx *sql.Tx, n int64) (int64, error) {
	var last int64
	err := db.queryRow(ctx, tx, `UPDATE counters SET value = value + ? WHERE name = 'seq' RETURNING value`, n).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("server sequence: %w", err)
	}
	return last - n + 1, nil
}

// Event returns the loaded event, or ENOTFOUND before the first import.
func (db *DB) Event(ctx context.Context) (*checkin.Event, error) {
	var ev *checkin.Event
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		ev, _, err = db.event(ctx, tx)
		return err
	})
	return ev, err
}

// sharedEvent is the event decoded once for every kiosk request that
// reads it while its definition stays the same, and whether this
// process brought the rights rows to its capacities (ensureRights).
type sharedEvent struct {
	def     string
	ev      *checkin.Event
	ensured atomic.Bool
}

// sharedEvent is event for the kiosks' pushes, pulls and rights
// requests, hundreds a second at a large venue: the definition is read
// each time, and decoded only when it changed. The event returned is
// shared by concurrent requests: nothing may change it.
func (db *DB) sharedEvent(ctx context.Context, tx *sql.Tx) (*sharedEvent, int64, error) {
	def, seq, err := db.eventDef(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	if c := db.shared.Load(); c != nil && c.def == def {
		return c, seq, nil
	}
	ev, err := checkin.DecodeEvent([]byte(def))
	if err != nil {
		return nil, 0, err
	}
	c := &sharedEvent{def: def, ev: ev}
	db.shared.Store(c)
	return c, seq, nil
}

// event reads and decodes the event, a copy of its own for the caller.
func (db *DB) event(ctx context.Context, tx *sql.Tx) (*checkin.Event, int64, error) {
	def, seq, err := db.eventDef(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	ev, err := checkin.DecodeEvent([]byte(def))
	return ev, seq, err
}

// eventDef reads the event's definition and the server sequence value it
// was stored under.
func (db *DB) eventDef(ctx context.Context, tx *sql.Tx) (def string, seq int64, err error) {
	err = db.queryRow(ctx, tx, `SELECT definition, seq FROM event WHERE id = 1`).Scan(&def, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, checkin.Errorf(checkin.ENOTFOUND, "no event is imported; run usher-central import first")
	} else if err != nil {
		return "", 0, fmt.Errorf("read event: %w", err)
	}
	return def, seq, nil
}
