package kiosksync_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/store"
	"usher/sync/hlc"
	"usher/sync/kiosksync"
	"usher/sync/server"
	"usher/sync/wire"
)

// center is a real central server on loopback: a SQLite central database
// holding the demo event and a demo roster, served by sync/server on a
// fixed port that can go down (connections refused) and come back.
type center struct {
	db     *centralstore.DB
	path   string // the central database's file
	people []checkin.Person
	addr   string
	url    string
	api    http.Handler
	client *http.Client

	mu      sync.Mutex
	srv     *http.Server
	lose    int            // answers to lose, of the next pushes
	pulls   int            // pull requests received
	pushes  int            // push requests received
	encoded map[string]int // push requests by Content-Encoding
	// onPull, when set, sees each pull request first, with its number
	// since it was set (1 for the first), and answers it itself when it
	// returns true.
	onPull func(n int, w http.ResponseWriter, r *http.Request) bool
	// maxPage, when not 0, caps the people of a pull page, whatever the
	// kiosk asks for, as a center may: a roster of a few hundred then
	// comes in as many pages as one of tens of thousands.
	maxPage int
}

// MustCenter starts a center with an n-person demo roster.
func MustCenter(tb testing.TB, n int) *center {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "central.db")
	db, err := centralstore.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	c := &center{db: db, path: path, people: demo.Roster(n), encoded: map[string]int{},
		api:    server.New(db, log.New(io.Discard, "", 0)),
		client: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}}
	if _, err := db.Import(context.Background(), demo.Event(), c.people, nil); err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c.addr = l.Addr().String()
	c.url = "http://" + c.addr
	c.serve(l)
	tb.Cleanup(func() {
		c.Down(tb)
		c.client.CloseIdleConnections()
	})
	return c
}

func (c *center) serve(l net.Listener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.srv = &http.Server{Handler: c}
	go c.srv.Serve(l)
}

// Down stops the server: connections are refused until Up.
func (c *center) Down(tb testing.TB) {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil {
		c.srv.Close()
		c.srv = nil
	}
	c.client.CloseIdleConnections()
}

// Up starts the server again on the same address.
func (c *center) Up(tb testing.TB) {
	tb.Helper()
	l, err := net.Listen("tcp", c.addr)
	if err != nil {
		tb.Fatalf("listen on %s again: %v", c.addr, err)
	}
	c.serve(l)
}

// LoseAnswers makes the server store the next n pushes but drop the
// connection instead of answering: an answer lost on the way back.
func (c *center) LoseAnswers(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lose = n
}

func (c *center) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != wire.PathPush {
		if r.URL.Path == wire.PathPull {
			c.mu.Lock()
			c.pulls++
			n, hook, maxPage := c.pulls, c.onPull, c.maxPage
			c.mu.Unlock()
			if q := r.URL.Query(); maxPage > 0 {
				if l, err := strconv.Atoi(q.Get("limit")); err != nil || l > maxPage {
					q.Set("limit", strconv.Itoa(maxPage))
					r.URL.RawQuery = q.Encode()
				}
			}
			if hook != nil && hook(n, w, r) {
				return
			}
		}
		c.api.ServeHTTP(w, r)
		return
	}
	c.mu.Lock()
	c.pushes++
	c.encoded[r.Header.Get("Content-Encoding")]++
	lose := c.lose > 0
	if lose {
		c.lose--
	}
	c.mu.Unlock()
	if !lose {
		c.api.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	c.api.ServeHTTP(rec, r)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// OnPull sets the hook that sees each pull request from now on (nil for
// none), and counts the pull requests from 0 again.
func (c *center) OnPull(hook func(n int, w http.ResponseWriter, r *http.Request) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onPull, c.pulls = hook, 0
}

// MaxPage caps the people of every pull page at n (0: as the kiosk asks).
func (c *center) MaxPage(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxPage = n
}

// Pushes returns how many push requests came, and how many of them were
// gzip-compressed.
func (c *center) Pushes() (all, gzipped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pushes, c.encoded["gzip"]
}

// MustCode returns a new enrollment code for door.
func (c *center) MustCode(tb testing.TB, door string) string {
	tb.Helper()
	token, err := c.db.CreateEnrollment(context.Background(), door)
	if err != nil {
		tb.Fatal(err)
	}
	return wire.EnrollCode{URL: c.url, Door: door, Token: token}.String()
}

// MustKiosk returns a fresh kiosk database, enrolled at door: it holds
// the center's event and roster.
func (c *center) MustKiosk(tb testing.TB, door string) *store.DB {
	tb.Helper()
	db := MustKioskDB(tb)
	if err := kiosksync.Enroll(context.Background(), db, c.MustCode(tb, door), c.client); err != nil {
		tb.Fatalf("Enroll: %v", err)
	}
	return db
}

// MustStatus returns the center's status.
func (c *center) MustStatus(tb testing.TB) centralstore.Status {
	tb.Helper()
	st, err := c.db.Status(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// MustEvents returns how many events the center holds from kiosk.
func (c *center) MustEvents(tb testing.TB, kiosk string) int64 {
	tb.Helper()
	for _, k := range c.MustStatus(tb).Kiosks {
		if k.ID == kiosk {
			return k.Events
		}
	}
	tb.Fatalf("the center does not know kiosk %s", kiosk)
	return 0
}

// MustScansAt returns how many of kiosk's events the center holds that
// are scans: not the rows that only move capacity rights (method
// "rights": a grant applied, rights given back, an exit elsewhere
// credited), which an enrolled kiosk logs and pushes too.
func (c *center) MustScansAt(tb testing.TB, kiosk string) int64 {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+c.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE kiosk_id = ? AND method <> 'rights'`, kiosk).Scan(&n); err != nil {
		tb.Fatalf("count the center's scans of kiosk %s: %v", kiosk, err)
	}
	return n
}

// MustKioskDB opens a new, empty kiosk database.
func MustKioskDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "kiosk.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustID returns a kiosk's sync identity.
func MustID(tb testing.TB, db *store.DB) store.Identity {
	tb.Helper()
	id, err := db.Identity(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// MustCount runs a count query on a kiosk database.
func MustCount(tb testing.TB, db *store.DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.SQL().QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// MustScan scans code at door and returns the decision's reason.
func MustScan(tb testing.TB, db *store.DB, code, door string, dir checkin.Direction) checkin.Reason {
	tb.Helper()
	d, err := db.Scan(context.Background(), checkin.Scan{Code: code, Door: door, Direction: dir})
	if err != nil {
		tb.Fatalf("scan %s: %v", code, err)
	}
	return d.Reason
}

// syncer returns a Syncer for db over the center's client, its clock at
// now.
func (c *center) syncer(db *store.DB, now time.Time) *kiosksync.Syncer {
	s := kiosksync.New(db, c.client)
	s.Now = func() time.Time { return now }
	s.Log = log.New(io.Discard, "", 0)
	return s
}

func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := checkin.ErrorCode(err); got != code {
		tb.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func TestEnroll(t *testing.T) {
	ctx := context.Background()
	t.Run("FullPullInPages", func(t *testing.T) {
		// An enrolling kiosk asks for the largest pages.
		n := 2*wire.MaxPullLimit + 345
		c := MustCenter(t, n)
		db := c.MustKiosk(t, "east")
		id := MustID(t, db)
		if !id.Enrolled() || id.Door != "east" || id.EventID != "demo" || id.URL != c.url {
			t.Errorf("identity %+v", id)
		}
		if got := MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 0`); got != n {
			t.Errorf("%d people after enrolling, want %d", got, n)
		}
		if ev := db.Event(); ev == nil || ev.ID != "demo" {
			t.Fatalf("event after enrolling: %+v", ev)
		}
		cur, err := db.Cursor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rest, err := c.db.Pull(ctx, "", cur, 10); err != nil || rest.More || len(rest.People) > 0 || rest.Event != nil {
			t.Errorf("the center has more after the kiosk's cursor %d: %+v, %v", cur, rest, err)
		}
		c.mu.Lock()
		pulls := c.pulls
		c.mu.Unlock()
		if pulls != 3 {
			t.Errorf("%d pull requests for %d people, want 3 pages of %d", pulls, n, wire.MaxPullLimit)
		}
		if r := MustScan(t, db, c.people[n-1].Code, "east", checkin.Entry); r != checkin.Admitted {
			t.Errorf("the last person of the roster at east: %s, want admitted", r)
		}
	})
	t.Run("ErrCodeUsed", func(t *testing.T) {
		c := MustCenter(t, 10)
		code := c.MustCode(t, "main")
		if err := kiosksync.Enroll(ctx, MustKioskDB(t), code, c.client); err != nil {
			t.Fatal(err)
		}
		db := MustKioskDB(t)
		wantCode(t, "the same code again", kiosksync.Enroll(ctx, db, code, c.client), checkin.EUNAUTHORIZED)
		if MustID(t, db).Enrolled() {
			t.Errorf("enrolled by a used code")
		}
	})
	t.Run("ErrEnrolledAlready", func(t *testing.T) {
		c := MustCenter(t, 10)
		db := c.MustKiosk(t, "main")
		code := c.MustCode(t, "east")
		wantCode(t, "enrolling an enrolled database", kiosksync.Enroll(ctx, db, code, c.client), checkin.ECONFLICT)
		// The code was not spent on it.
		if err := kiosksync.Enroll(ctx, MustKioskDB(t), code, c.client); err != nil {
			t.Errorf("the code after a refused enrollment: %v", err)
		}
	})
	t.Run("ErrNotACode", func(t *testing.T) {
		for _, code := range []string{"", "U-ABCDEFGH", "USHER-ENROLL:!!", wire.EnrollCode{URL: "ftp://x", Door: "main", Token: "t"}.String()} {
			wantCode(t, fmt.Sprintf("code %q", code), kiosksync.Enroll(ctx, MustKioskDB(t), code, nil), checkin.EINVALID)
		}
	})
	t.Run("ErrServerDown", func(t *testing.T) {
		c := MustCenter(t, 10)
		code := c.MustCode(t, "main")
		c.Down(t)
		db := MustKioskDB(t)
		wantCode(t, "server down", kiosksync.Enroll(ctx, db, code, c.client), checkin.EOFFLINE)
		if MustID(t, db).Enrolled() {
			t.Errorf("enrolled with the server down")
		}
	})
}

// TestOfflineKiosks is the loopback test from the kiosk's side:
// three kiosks scan while the server is down, an answer is lost on the
// way back, and in the end every event is at the center exactly once.
func TestOfflineKiosks(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 60)
	doors := []string{"main", "east", "main"}
	var kiosks []*store.DB
	for _, door := range doors {
		kiosks = append(kiosks, c.MustKiosk(t, door))
	}
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.Local)
	syncers := make([]*kiosksync.Syncer, len(kiosks))
	for i, db := range kiosks {
		syncers[i] = c.syncer(db, at)
		if err := syncers[i].Sync(ctx); err != nil {
			t.Fatalf("kiosk %d online: %v", i, err)
		}
	}

	c.Down(t)
	admitted := 0
	for i, db := range kiosks {
		for j := range 5 {
			if r := MustScan(t, db, c.people[10*i+j].Code, doors[i], checkin.Entry); r != checkin.Admitted {
				t.Fatalf("kiosk %d: %s", i, r)
			}
			admitted++
		}
		MustScan(t, db, "U-NOSUCHBADGE", doors[i], checkin.Entry)
		MustScan(t, db, c.people[10*i].Code, doors[i], checkin.Exit)
		admitted--
		err := syncers[i].Sync(ctx)
		wantCode(t, fmt.Sprintf("kiosk %d offline", i), err, checkin.EOFFLINE)
		st := syncers[i].Status()
		if st.Online || st.Waiting != 7 || !st.Since.Equal(at) {
			t.Errorf("kiosk %d offline: status %+v", i, st)
		}
		if got, want := st.String(), "offline since 09:00 — 7 scans waiting"; got != want {
			t.Errorf("kiosk %d offline: %q, want %q", i, got, want)
		}
	}

	c.Up(t)
	c.LoseAnswers(1)
	wantCode(t, "kiosk 0, answer lost", syncers[0].Sync(ctx), checkin.EOFFLINE)
	if n := c.MustScansAt(t, MustID(t, kiosks[0]).KioskID); n != 7 {
		t.Errorf("the center holds %d of kiosk 0's scans after the lost answer, want 7", n)
	}
	res, err := syncers[0].Round(ctx)
	if err != nil {
		t.Fatalf("kiosk 0 after the lost answer: %v", err)
	}
	// The 7 scans again, all already there; and, pushed after the
	// exchange of rights, the rows of rights the round gave back or took
	// in, new.
	if res.Pushed != 7+res.Accepted || res.Accepted > 1 || (res.Accepted == 1) != (res.Returned+res.Granted > 0) {
		t.Errorf("kiosk 0 pushed again: %+v, want 7 sent, all already there, and at most the round's own rights row", res)
	}
	for i, s := range syncers[1:] {
		if err := s.Sync(ctx); err != nil {
			t.Errorf("kiosk %d back online: %v", i+1, err)
		}
	}
	for i, db := range kiosks {
		if st := syncers[i].Status(); !st.Online || st.Waiting != 0 || st.String() != "online" {
			t.Errorf("kiosk %d: status %+v (%s), want online, nothing waiting", i, st, st)
		}
		if got, want := c.MustEvents(t, MustID(t, db).KioskID), int64(MustCount(t, db, `SELECT count(*) FROM scans`)); got != want {
			t.Errorf("kiosk %d: the center holds %d events, the kiosk logged %d", i, got, want)
		}
	}
	if got := c.MustStatus(t).Occupancy["venue"]; got != admitted {
		t.Errorf("the center's venue occupancy %d, want %d", got, admitted)
	}
	// Nothing left: another round pushes nothing.
	if res, err := syncers[1].Round(ctx); err != nil || res.Pushed != 0 {
		t.Errorf("a round with nothing new: %+v, %v", res, err)
	}
}

// TestPushBatches checks a long offline spell: the log goes up in
// batches of at most wire.MaxPushEvents, gzip-compressed.
func TestPushBatches(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	n := 2*wire.MaxPushEvents + 17
	for i := range n {
		MustScan(t, db, fmt.Sprintf("U-UNKNOWN%05d", i), "main", checkin.Entry)
	}
	// The log holds the scans and, before them, the grant of the kiosk's
	// first rights, applied at enrollment.
	logged := n + 1
	if got := MustCount(t, db, `SELECT count(*) FROM scans`); got != logged {
		t.Fatalf("the kiosk logged %d rows, want %d scans and its first grant", got, n)
	}
	res, err := c.syncer(db, time.Now()).Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pushed != logged || res.Accepted != logged {
		t.Errorf("pushed %+v, want %d new", res, logged)
	}
	if got := c.MustEvents(t, MustID(t, db).KioskID); got != int64(logged) {
		t.Errorf("the center holds %d events, want %d", got, logged)
	}
	if got := c.MustScansAt(t, MustID(t, db).KioskID); got != int64(n) {
		t.Errorf("the center holds %d scans, want %d", got, n)
	}
	if all, gz := c.Pushes(); all != 3 || gz != all {
		t.Errorf("%d push requests, %d gzip-compressed; want 3, all compressed", all, gz)
	}
}

// TestRosterChanges checks that changes at the center reach the door on
// the next round: a new registration, a reprint, a removal.
func TestRosterChanges(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 20)
	db := c.MustKiosk(t, "main")
	s := c.syncer(db, time.Now())
	roster := append([]checkin.Person(nil), c.people...)
	reprinted, removed := roster[0], roster[1]
	roster[0].Code = "U-REPRINTED01"
	roster = roster[2:]
	roster = append(roster, checkin.Person{ID: "P900001", Name: "Walk In", Category: "attendee", Code: "U-NEWPERSON01"},
		checkin.Person{ID: reprinted.ID, Name: reprinted.Name, Category: reprinted.Category, Code: "U-REPRINTED01"})
	if _, err := c.db.Import(ctx, demo.Event(), roster, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.Round(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.People != 3 || res.EventChanged {
		t.Errorf("pulled %+v, want 3 people changed and the event unchanged", res)
	}
	for _, c := range []struct {
		code string
		want checkin.Reason
	}{
		{reprinted.Code, checkin.Revoked},
		{removed.Code, checkin.Revoked},
		{"U-REPRINTED01", checkin.Admitted},
		{"U-NEWPERSON01", checkin.Admitted},
	} {
		if got := MustScan(t, db, c.code, "main", checkin.Entry); got != c.want {
			t.Errorf("%s: %s, want %s", c.code, got, c.want)
		}
	}
}

// TestRevokedKiosk checks that a kiosk revoked at the center stops
// syncing and says so, and keeps scanning.
func TestRevokedKiosk(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	if err := c.db.RevokeKiosk(ctx, MustID(t, db).KioskID); err != nil {
		t.Fatal(err)
	}
	if r := MustScan(t, db, c.people[0].Code, "main", checkin.Entry); r != checkin.Admitted {
		t.Errorf("a scan at a revoked kiosk: %s, want admitted", r)
	}
	s := c.syncer(db, time.Now())
	wantCode(t, "sync of a revoked kiosk", s.Sync(ctx), checkin.EUNAUTHORIZED)
	st := s.Status()
	if !st.Revoked || st.Online || st.Waiting != 1 {
		t.Errorf("status %+v, want revoked with 1 scan waiting", st)
	}
	if got, want := st.String(), "this kiosk was revoked — 1 scan waiting"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	// The loop stops by itself: Stop returns although nothing cancels
	// the round.
	statuses := make(chan kiosksync.Status, 10)
	s.OnStatus = func(st kiosksync.Status) { statuses <- st }
	s.Start(ctx)
	if st := MustNext(t, statuses, "revoked loop"); !st.Revoked {
		t.Errorf("the loop reported %+v, want revoked", st)
	}
	s.Stop()
}

// MustNext returns the next status the loop reports.
func MustNext(tb testing.TB, statuses <-chan kiosksync.Status, what string) kiosksync.Status {
	tb.Helper()
	select {
	case st := <-statuses:
		return st
	case <-time.After(10 * time.Second):
		tb.Fatalf("%s: no status from the loop", what)
		return kiosksync.Status{}
	}
}

// TestServerClock checks that a kiosk whose clock lags the server's
// stamps its scans after the server's reading once it has pushed.
func TestServerClock(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	at := time.Now()
	c.db.Now = func() time.Time { return at.Add(time.Hour) }
	db := c.MustKiosk(t, "main")
	db.Now = func() time.Time { return at }
	MustScan(t, db, c.people[0].Code, "main", checkin.Entry)
	if err := c.syncer(db, at).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	MustScan(t, db, c.people[1].Code, "main", checkin.Entry)
	var last hlc.Timestamp
	if err := db.SQL().QueryRow(`SELECT hlc FROM scans ORDER BY seq DESC LIMIT 1`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if last.Time().Before(at.Add(time.Hour).Truncate(time.Millisecond)) {
		t.Errorf("scan after the push stamped %s, before the server's clock %s", last.Time(), at.Add(time.Hour))
	}
}

// syncWriter is a log destination the loop's goroutine and the test
// share.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(w.b.Bytes()))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestLoop drives the background loop by its signals, not by time: a
// round on Start, one after a scan, a failure logged once, and a scan
// during the backoff that only updates the count waiting.
func TestLoop(t *testing.T) {
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	s := c.syncer(db, time.Date(2026, 6, 1, 14, 2, 0, 0, time.Local))
	logs := &syncWriter{}
	s.Log = log.New(logs, "", 0)
	s.Interval, s.Delay = time.Hour, time.Millisecond
	statuses := make(chan kiosksync.Status, 10)
	s.OnStatus = func(st kiosksync.Status) { statuses <- st }
	next := func(what string) kiosksync.Status {
		t.Helper()
		return MustNext(t, statuses, what)
	}
	s.Start(context.Background())
	defer s.Stop()
	if st := next("start"); !st.Online {
		t.Errorf("first round: %+v, want online", st)
	}

	MustScan(t, db, c.people[0].Code, "main", checkin.Entry)
	s.Notify()
	if st := next("after a scan"); !st.Online || st.Waiting != 0 {
		t.Errorf("after a scan: %+v, want online, nothing waiting", st)
	}
	if n := c.MustScansAt(t, MustID(t, db).KioskID); n != 1 {
		t.Errorf("the center holds %d scans after the scan's round, want 1", n)
	}

	c.Down(t)
	MustScan(t, db, c.people[1].Code, "main", checkin.Entry)
	s.Notify()
	if st := next("server down"); st.String() != "offline since 14:02 — 1 scan waiting" {
		t.Errorf("server down: %q", st)
	}
	MustScan(t, db, c.people[2].Code, "main", checkin.Entry)
	s.Notify()
	if st := next("a scan while backing off"); st.String() != "offline since 14:02 — 2 scans waiting" {
		t.Errorf("a scan while backing off: %q", st)
	}
	if l := logs.lines(); len(l) != 1 || !strings.Contains(l[0], "cannot reach") {
		t.Errorf("log %q, want one line about the failure", l)
	}
}

// TestStop checks that Stop ends a round under way and the loop, and
// that a cancelled round is not reported as a failure.
func TestStop(t *testing.T) {
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	s := c.syncer(db, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Sync(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Sync with a cancelled context: %v, want context.Canceled", err)
	}
	if st := s.Status(); st.Err != nil || !st.Since.IsZero() {
		t.Errorf("status after a cancelled round: %+v, want untouched", st)
	}
	s.Start(context.Background())
	s.Stop()
	s.Stop() // twice is harmless
}

func TestStatusString(t *testing.T) {
	since := time.Date(2026, 6, 1, 14, 2, 0, 0, time.Local)
	for _, c := range []struct {
		name string
		st   kiosksync.Status
		want string
	}{
		{"Online", kiosksync.Status{Online: true}, "online"},
		{"Offline", kiosksync.Status{Since: since}, "offline since 14:02"},
		{"OfflineOneWaiting", kiosksync.Status{Since: since, Waiting: 1}, "offline since 14:02 — 1 scan waiting"},
		{"OfflineWaiting", kiosksync.Status{Since: since, Waiting: 12}, "offline since 14:02 — 12 scans waiting"},
		{"Revoked", kiosksync.Status{Revoked: true, Waiting: 3}, "this kiosk was revoked — 3 scans waiting"},
		{"OfflineErr", kiosksync.Status{Since: since, Waiting: 2, Err: &checkin.Error{Code: checkin.EOFFLINE}},
			"offline since 14:02 — 2 scans waiting"},
		{"SyncError", kiosksync.Status{Since: since, Waiting: 2, Err: checkin.Errorf(checkin.EINVALID, "refused")},
			"sync error since 14:02 — 2 scans waiting"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.st.String(); got != c.want {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
}

// TestRefused checks rounds that fail with the server up: the kiosk
// refuses a page, or holds an event the server would refuse. Scanning
// goes on, the screen says it is not the network, and what can still
// move does.
func TestRefused(t *testing.T) {
	ctx := context.Background()
	t.Run("PageRefused", func(t *testing.T) {
		c := MustCenter(t, 10)
		// The kiosk serves Hall B's door: the center grants a kiosk
		// rights of the counters its own door increases, and no others.
		db := c.MustKiosk(t, "hall-b")
		at := time.Date(2026, 6, 1, 14, 2, 0, 0, time.Local)
		s := c.syncer(db, at)
		p := c.people[0]
		p.Category = "staff" // may go anywhere
		if _, err := c.db.Import(ctx, demo.Event(), append([]checkin.Person{p}, c.people[1:]...), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if r := MustScan(t, db, p.Code, "hall-b", checkin.Entry); r != checkin.Admitted {
			t.Fatalf("into hall B: %s", r)
		}
		// The center drops Hall B, where this kiosk has someone.
		ev := demo.Event()
		ev.Spaces = slices.DeleteFunc(ev.Spaces, func(sp checkin.Space) bool { return sp.ID == "hall-b" })
		ev.Doors = slices.DeleteFunc(ev.Doors, func(d checkin.Door) bool { return d.ID == "hall-b" })
		ev.Sessions = slices.DeleteFunc(ev.Sessions, func(ss checkin.Session) bool { return ss.Space == "hall-b" })
		for i := range ev.Categories {
			ev.Categories[i].MayEnter = slices.DeleteFunc(ev.Categories[i].MayEnter, func(s string) bool { return s == "hall-b" })
		}
		if err := ev.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.db.Import(ctx, ev, nil, nil); err != nil {
			t.Fatal(err)
		}
		err := s.Sync(ctx)
		wantCode(t, "a page dropping an occupied space", err, checkin.EINVALID)
		// The center may also refuse the scan into Hall B it no longer
		// has: the line then says so after.
		if got, want := s.Status().String(), "sync error since 14:02"; !strings.HasPrefix(got, want) {
			t.Errorf("status %q, want %q", got, want)
		}
		if db.Event().Space("hall-b") == nil {
			t.Errorf("the kiosk dropped Hall B")
		}
		if n := c.MustScansAt(t, MustID(t, db).KioskID); n != 1 {
			t.Errorf("the center holds %d scans, want the 1 pushed before the refused pull", n)
		}
		if r := MustScan(t, db, c.people[1].Code, "hall-b", checkin.Entry); r != checkin.Admitted {
			t.Errorf("scanning after a refused page: %s", r)
		}
	})
	t.Run("PushRefusedPullGoesOn", func(t *testing.T) {
		c := MustCenter(t, 10)
		db := c.MustKiosk(t, "main")
		s := c.syncer(db, time.Now())
		// A log row the server would refuse (no decision): as a bug in
		// an older release might have written it.
		if _, err := db.SQL().Exec(`INSERT INTO scans (at, door, direction, method, code, decision, reason, hlc)
			VALUES (1, 'main', 'entry', 'badge', 'x', '', 'unknown_badge', 1)`); err != nil {
			t.Fatal(err)
		}
		if _, err := c.db.Import(ctx, demo.Event(), c.people[1:], nil); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "a log the server would refuse", s.Sync(ctx), checkin.EINVALID)
		if r := MustScan(t, db, c.people[0].Code, "main", checkin.Entry); r != checkin.Revoked {
			t.Errorf("a person the center removed: %s, want revoked: the pull must go on", r)
		}
	})
}
