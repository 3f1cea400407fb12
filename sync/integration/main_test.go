// Package integration_test runs the kiosk ↔ central sync end to end
// (sync/PROTOCOL.md): real central databases on SQLite and PostgreSQL,
// real servers on loopback (in this process, or `usher-central serve`
// child processes that can be killed), real kiosk databases enrolled with
// real enrollment codes, and the kiosks' own sync loop.
//
// Every test runs on both backends; PostgreSQL comes from
// $USHER_TEST_POSTGRES (internal/pgtest), which `make test` sets.
package integration_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to read the center's tables
	_ "modernc.org/sqlite"             // "sqlite", likewise

	"usher/central"
	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/internal/pgtest"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/server"
	"usher/sync/wire"
)

// childEnv makes the test binary act as usher-central: TestMain runs
// central.Run with the command line instead of the tests, so a test can
// start `usher-central serve` as a process of its own and SIGKILL it.
const childEnv = "USHER_INTEGRATION_CENTRAL"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(central.Run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// eachBackend runs f once on a fresh SQLite file and once on a fresh
// PostgreSQL database, as the subtests SQLite and PostgreSQL.
func eachBackend(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("SQLite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "central.db")) })
	t.Run("PostgreSQL", func(t *testing.T) { f(t, pgtest.FreshDB(t)) })
}

// anotherDSN returns a second fresh central database on dsn's backend.
func anotherDSN(tb testing.TB, dsn string) string {
	tb.Helper()
	if centralstore.IsPostgres(dsn) {
		return pgtest.FreshDB(tb)
	}
	return filepath.Join(tb.TempDir(), "central-2.db")
}

// center is a central database holding the demo event and an n-person
// demo roster, opened in this process.
type center struct {
	dsn    string
	db     *centralstore.DB
	people []checkin.Person
}

// MustCenter opens dsn and imports the demo event and an n-person roster.
func MustCenter(tb testing.TB, dsn string, n int) *center {
	tb.Helper()
	c := &center{dsn: dsn, people: demo.Roster(n)}
	c.open(tb)
	if _, err := c.db.Import(context.Background(), demo.Event(), c.people, nil); err != nil {
		tb.Fatalf("import: %v", err)
	}
	return c
}

func (c *center) open(tb testing.TB) {
	tb.Helper()
	db, err := centralstore.Open(c.dsn)
	if err != nil {
		tb.Fatal(err)
	}
	c.db = db
	tb.Cleanup(func() { db.Close() })
}

// Reopen closes the central database and opens it again, as a restarted
// server process does.
func (c *center) Reopen(tb testing.TB) {
	tb.Helper()
	if err := c.db.Close(); err != nil {
		tb.Fatal(err)
	}
	c.open(tb)
}

// MustCode returns a one-time enrollment code for door that sends the
// kiosk to url.
func (c *center) MustCode(tb testing.TB, url, door string) string {
	tb.Helper()
	token, err := c.db.CreateEnrollment(context.Background(), door)
	if err != nil {
		tb.Fatal(err)
	}
	return wire.EnrollCode{URL: url, Door: door, Token: token}.String()
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

// Attendees returns the roster's people of category attendee without
// tags: admitted at every demo door.
func (c *center) Attendees() []checkin.Person {
	var out []checkin.Person
	for _, p := range c.people {
		if p.Category == "attendee" && len(p.Tags) == 0 {
			out = append(out, p)
		}
	}
	return out
}

// loopback is the kiosk API served in this process on a loopback
// address that stays the same across a restart.
type loopback struct {
	addr, url string
	srv       *http.Server
	log       *syncBuffer
}

// MustServe serves db on addr ("127.0.0.1:0" for a free port). The server
// stops when the test ends; its log is shown if the test failed.
func MustServe(tb testing.TB, db *centralstore.DB, addr string) *loopback {
	tb.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("listen on %s: %v", addr, err)
	}
	s := &loopback{addr: l.Addr().String(), log: &syncBuffer{}}
	s.url = "http://" + s.addr
	s.srv = &http.Server{Handler: server.New(db, log.New(s.log, "", 0))}
	go s.srv.Serve(l)
	tb.Cleanup(func() {
		s.Close()
		if tb.Failed() && s.log.String() != "" {
			tb.Logf("server %s logged:\n%s", s.url, s.log)
		}
	})
	return s
}

// Close stops the server: connections to its address are refused.
func (s *loopback) Close() { s.srv.Close() }

// centralProc is a `usher-central serve` child process.
type centralProc struct {
	cmd    *exec.Cmd
	url    string
	addr   string
	stderr *syncBuffer
	done   bool
}

// MustStartCentral runs `usher-central serve --addr addr --db dsn` as a
// child process and returns once it serves, having read the address from
// its first line. It is stopped when the test ends.
func MustStartCentral(tb testing.TB, dsn, addr string) *centralProc {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	defer pr.Close()
	p := &centralProc{stderr: &syncBuffer{}}
	p.cmd = exec.Command(exe, "serve", "--addr", addr, "--db", dsn)
	p.cmd.Env = append(os.Environ(), childEnv+"=1")
	p.cmd.Stdout, p.cmd.Stderr = pw, p.stderr
	if err := p.cmd.Start(); err != nil {
		pw.Close()
		tb.Fatal(err)
	}
	pw.Close()
	tb.Cleanup(func() {
		p.Stop(tb)
		if tb.Failed() && p.stderr.String() != "" {
			tb.Logf("usher-central serve %s wrote:\n%s", p.url, p.stderr)
		}
	})
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		first <- line
	}()
	var line string
	select {
	case line = <-first:
	case <-time.After(30 * time.Second):
		p.Kill(tb)
		tb.Fatalf("usher-central serve printed nothing in 30 s; stderr:\n%s", p.stderr)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "serving ")
	if !ok {
		p.Stop(tb)
		tb.Fatalf("usher-central serve --addr %s: first line %q, want \"serving http://…\"; stderr:\n%s", addr, line, p.stderr)
	}
	p.url = url
	p.addr = strings.TrimPrefix(url, "http://")
	return p
}

// Kill SIGKILLs the server and waits until it is gone.
func (p *centralProc) Kill(tb testing.TB) {
	tb.Helper()
	if p.done {
		return
	}
	p.done = true
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatalf("kill usher-central serve: %v", err)
	}
	p.cmd.Wait() // "signal: killed"
}

// Stop ends the server as an operator would (SIGTERM: shut down) and
// waits for it.
func (p *centralProc) Stop(tb testing.TB) {
	tb.Helper()
	if p.done {
		return
	}
	p.done = true
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
}

// syncBuffer is a buffer a server's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// newClient returns an HTTP client of the test's own, whose idle
// connections are closed when the test ends.
func newClient(tb testing.TB, rt http.RoundTripper) *http.Client {
	if rt == nil {
		rt = &http.Transport{}
	}
	c := &http.Client{Transport: rt, Timeout: time.Minute}
	tb.Cleanup(c.CloseIdleConnections)
	return c
}

// MustOpenKiosk opens the kiosk database at path, creating it if need be.
func MustOpenKiosk(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustEnroll returns a new kiosk database enrolled with code over hc.
func MustEnroll(tb testing.TB, code string, hc *http.Client) *store.DB {
	tb.Helper()
	return MustEnrollAt(tb, filepath.Join(tb.TempDir(), "kiosk.db"), code, hc)
}

// MustEnrollAt is MustEnroll with a new database at path.
func MustEnrollAt(tb testing.TB, path, code string, hc *http.Client) *store.DB {
	tb.Helper()
	db := MustOpenKiosk(tb, path)
	if err := kiosksync.Enroll(context.Background(), db, code, hc); err != nil {
		tb.Fatalf("enroll: %v", err)
	}
	return db
}

// MustID returns a kiosk's sync identity.
func MustID(tb testing.TB, db *store.DB) store.Identity {
	tb.Helper()
	id, err := db.Identity(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if !id.Enrolled() {
		tb.Fatal("the kiosk is not enrolled")
	}
	return id
}

// newSyncer returns a kiosk's sync loop over hc, logging nowhere.
func newSyncer(db *store.DB, hc *http.Client) *kiosksync.Syncer {
	s := kiosksync.New(db, hc)
	s.Log = log.New(io.Discard, "", 0)
	return s
}

// MustRound runs one sync round, which must succeed.
func MustRound(tb testing.TB, what string, s *kiosksync.Syncer) kiosksync.Result {
	tb.Helper()
	res, err := s.Round(context.Background())
	if err != nil {
		tb.Fatalf("%s: sync: %v", what, err)
	}
	return res
}

// MustScan scans code at door and returns the decision's reason.
func MustScan(tb testing.TB, db *store.DB, code, door string, dir checkin.Direction) checkin.Reason {
	tb.Helper()
	d, err := db.Scan(context.Background(), checkin.Scan{Code: code, Door: door, Direction: dir})
	if err != nil {
		tb.Fatalf("scan %q at %s: %v", code, door, err)
	}
	return d.Reason
}

// MustShareRights runs sync rounds of the kiosks, one after the other,
// until each holds capacity rights of every counter its door increases:
// a kiosk enrolled after another of the same counter gets its share once
// the center has rights to give, which takes the others' rounds. It
// fails when a few passes are not enough.
func MustShareRights(tb testing.TB, kiosks []*store.DB, syncers []*kiosksync.Syncer) {
	tb.Helper()
	const passes = 3
	for pass := 0; ; pass++ {
		var short []string
		for i, k := range kiosks {
			door := MustID(tb, k).Door
			held := k.Balances()
			for _, c := range k.Event().Counters(door) {
				if held[c] < 1 {
					short = append(short, fmt.Sprintf("kiosk %d at %s holds no right of %s (it holds %v)", i, door, c, held))
				}
			}
		}
		// At least one round: rights granted at enrollment are rows of
		// the log, pushed with the kiosk's next round.
		if len(short) == 0 && pass > 0 {
			return
		}
		if pass == passes {
			tb.Fatalf("after %d rounds of every kiosk: %s", passes, strings.Join(short, "; "))
		}
		for i, s := range syncers {
			MustRound(tb, fmt.Sprintf("kiosk %d, sharing rights out", i), s)
		}
	}
}

// MustPending returns how many events of a kiosk's log wait for the
// server: scans and rights rows alike.
func MustPending(tb testing.TB, db *store.DB) int {
	tb.Helper()
	events, err := db.Pending(context.Background(), 1<<30)
	if err != nil {
		tb.Fatal(err)
	}
	return len(events)
}

// isRights reports whether e only moves capacity rights (method
// "rights": a grant applied, rights given back, an exit elsewhere
// credited) rather than being a scan.
func isRights(e wire.Event) bool { return e.Method == "rights" }

// countScans returns how many of events are scans, not rights rows.
func countScans(events []wire.Event) int {
	n := 0
	for _, e := range events {
		if !isRights(e) {
			n++
		}
	}
	return n
}

// wantCode checks err's checkin error code.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := checkin.ErrorCode(err); got != code {
		tb.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// ScanMix scans a door's share of a busy day at a kiosk: each of people
// enters, some leave, some come back, some leave without being inside,
// unknown and unreadable codes, headcount changes and an undo, in an
// order drawn from seed. It returns the reasons of the decisions.
func ScanMix(tb testing.TB, db *store.DB, door string, people []checkin.Person, seed uint64) map[checkin.Reason]int {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 5))
	type action struct {
		code string
		dir  checkin.Direction
	}
	var actions []action
	for i, p := range people {
		actions = append(actions, action{p.Code, checkin.Entry})
		switch i % 6 {
		case 0, 3:
			actions = append(actions, action{p.Code, checkin.Exit})
		case 1:
			actions = append(actions, action{p.Code, checkin.Entry})
		}
	}
	for i := range len(people) / 6 {
		actions = append(actions, action{fmt.Sprintf("U-NOSUCH%06d", seed*1000+uint64(i)), checkin.Entry})
	}
	for range len(people) / 15 {
		actions = append(actions, action{"bad\tcode", checkin.Entry})
	}
	rng.Shuffle(len(actions), func(i, j int) { actions[i], actions[j] = actions[j], actions[i] })
	reasons := map[checkin.Reason]int{}
	undone := false
	for i, a := range actions {
		d, err := db.Scan(ctx, checkin.Scan{Code: a.code, Door: door, Direction: a.dir})
		if err != nil {
			tb.Fatalf("scan %q at %s: %v", a.code, door, err)
		}
		reasons[d.Reason]++
		// Half-way, staff take back an admission.
		if d.Kind == checkin.Admit && d.Moves() && !undone && i >= len(actions)/2 {
			d, err := db.Undo(ctx, door, time.Hour)
			if err != nil {
				tb.Fatalf("undo at %s: %v", door, err)
			}
			reasons[d.Reason]++
			undone = true
		}
		// Now and then staff count someone without a badge in or out.
		if i%40 == 20 {
			delta := 1
			if i%80 == 60 {
				delta = -1
			}
			d, err := db.Adjust(ctx, door, delta, "integration test")
			if err != nil {
				tb.Fatalf("adjust at %s: %v", door, err)
			}
			reasons[d.Reason]++
		}
	}
	return reasons
}

// MustKioskLog returns a kiosk's whole scan log, read from its table, in
// seq order: what the center must end up holding for it.
func MustKioskLog(tb testing.TB, db *store.DB) []wire.Event {
	tb.Helper()
	rows, err := db.SQL().Query(`
		SELECT seq, hlc, at, door, direction, method, code, coalesce(person_id, ''), decision, reason, space, note,
			coalesce(from_loc, ''), coalesce(location, ''), delta, coalesce(undoes, 0), coalesce(rights, ''), cursor, t, terr
		FROM scans ORDER BY seq`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []wire.Event
	for rows.Next() {
		var (
			e      wire.Event
			hlc    int64
			rights string
			st     checkin.Stamp
		)
		if err := rows.Scan(&e.Seq, &hlc, &e.At, &e.Door, &e.Direction, &e.Method, &e.Code, &e.Person, &e.Decision,
			&e.Reason, &e.Space, &e.Note, &e.From, &e.Location, &e.Delta, &e.Undoes, &rights, &e.Cursor, &st.T, &st.Err); err != nil {
			tb.Fatal(err)
		}
		e.HLC = uint64(hlc)
		if st.Known() {
			e.Stamp = &st
		}
		e.Rights = mustRights(tb, rights)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// mustRights decodes a rights column: JSON of []checkin.RightChange, ""
// for a row that moved no rights.
func mustRights(tb testing.TB, text string) []checkin.RightChange {
	tb.Helper()
	if text == "" {
		return nil
	}
	var c []checkin.RightChange
	if err := json.Unmarshal([]byte(text), &c); err != nil {
		tb.Fatalf("rights %q: %v", text, err)
	}
	return c
}

// sameEvent reports whether two events are the same: every field, and
// the same rights changes in the same order (no list and an empty one
// are the same: neither moves a right).
func sameEvent(a, b wire.Event) bool {
	if !slices.Equal(a.Rights, b.Rights) {
		return false
	}
	a.Rights, b.Rights = nil, nil
	return reflect.DeepEqual(a, b)
}

// centralEvent is one row of the center's events table.
type centralEvent struct {
	Kiosk      string
	Event      wire.Event
	ReceivedAt int64
	Flagged    int
}

// sameRow reports whether two rows of the events table are the same.
func sameRow(a, b centralEvent) bool {
	return a.Kiosk == b.Kiosk && a.ReceivedAt == b.ReceivedAt && a.Flagged == b.Flagged && sameEvent(a.Event, b.Event)
}

// MustCentralEvents reads the center's whole events table through a
// connection of its own, ordered by kiosk and seq.
func MustCentralEvents(tb testing.TB, dsn string) []centralEvent {
	tb.Helper()
	driver, source := "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	if centralstore.IsPostgres(dsn) {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`
		SELECT kiosk_id, seq, hlc, at, door, direction, method, code, coalesce(person_id, ''), decision, reason, space,
			note, coalesce(from_loc, ''), coalesce(location, ''), delta, coalesce(undoes, 0), coalesce(rights, ''), cursor,
			received_at, flagged, t, terr
		FROM events ORDER BY kiosk_id, seq`)
	if err != nil {
		tb.Fatalf("read the center's events: %v", err)
	}
	defer rows.Close()
	var out []centralEvent
	for rows.Next() {
		var (
			r      centralEvent
			e      = &r.Event
			hlc    int64
			rights string
			st     checkin.Stamp
		)
		if err := rows.Scan(&r.Kiosk, &e.Seq, &hlc, &e.At, &e.Door, &e.Direction, &e.Method, &e.Code, &e.Person,
			&e.Decision, &e.Reason, &e.Space, &e.Note, &e.From, &e.Location, &e.Delta, &e.Undoes, &rights, &e.Cursor,
			&r.ReceivedAt, &r.Flagged, &st.T, &st.Err); err != nil {
			tb.Fatal(err)
		}
		e.HLC = uint64(hlc)
		if st.Known() {
			e.Stamp = &st
		}
		e.Rights = mustRights(tb, rights)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// byKiosk groups the center's events by kiosk, in seq order.
func byKiosk(rows []centralEvent) map[string][]wire.Event {
	m := map[string][]wire.Event{}
	for _, r := range rows {
		m[r.Kiosk] = append(m[r.Kiosk], r.Event)
	}
	return m
}

// CheckCenterHolds checks that the center's events table holds exactly
// the kiosks' logs: each kiosk's events once, with the same content, and
// nothing else; that its status counts them; and that every kiosk, once
// it has pulled, shows the center's occupancy.
func CheckCenterHolds(tb testing.TB, c *center, kiosks []*store.DB) {
	tb.Helper()
	// One round each first, so every kiosk has pulled after the last
	// push: its count is then the center's.
	for i, k := range kiosks {
		MustRound(tb, fmt.Sprintf("kiosk %d, before the counts are compared", i), kiosksync.New(k, nil))
	}
	got := byKiosk(MustCentralEvents(tb, c.dsn))
	// Honest kiosks: the center believes every event they sent.
	for _, cf := range c.MustStatus(tb).Conflicts {
		if cf.Kind == centralstore.RefusedClaim || cf.Kind == centralstore.ForkedLog {
			tb.Errorf("the center did not believe an honest kiosk: %+v", cf)
		}
	}
	want := map[string]int{}
	for i, k := range kiosks {
		id := MustID(tb, k).KioskID
		kl := MustKioskLog(tb, k)
		want[id] = len(kl)
		diffEvents(tb, fmt.Sprintf("kiosk %d (%s)", i, id), got[id], kl)
	}
	for id, evs := range got {
		if _, ok := want[id]; !ok {
			tb.Errorf("the center holds %d events of kiosk %s, which is none of the test's", len(evs), id)
		}
	}
	st := c.MustStatus(tb)
	for _, k := range st.Kiosks {
		if n, ok := want[k.ID]; ok && k.Events != int64(n) {
			tb.Errorf("status: kiosk %s has %d events, its log %d", k.ID, k.Events, n)
		}
	}
	// Every screen shows the one figure (checkin/presence.go).
	for i, k := range kiosks {
		if occupancy := k.Occupancy(); !mapsEqual(st.Occupancy, occupancy) {
			tb.Errorf("status occupancy %v, kiosk %d shows %v", st.Occupancy, i, occupancy)
		}
	}
}

// diffEvents reports how got differs from want, event by event.
func diffEvents(tb testing.TB, what string, got, want []wire.Event) {
	tb.Helper()
	if slices.EqualFunc(got, want, sameEvent) {
		return
	}
	if len(got) != len(want) {
		tb.Errorf("%s: the center holds %d events, the kiosk logged %d", what, len(got), len(want))
	} else {
		tb.Errorf("%s: the center holds the kiosk's %d events, but not as logged", what, len(want))
	}
	shown := 0
	for i := range max(len(got), len(want)) {
		var g, w *wire.Event
		if i < len(got) {
			g = &got[i]
		}
		if i < len(want) {
			w = &want[i]
		}
		if g == nil || w == nil || !sameEvent(*g, *w) {
			tb.Errorf("%s: event %d: center %+v, kiosk %+v", what, i, g, w)
			if shown++; shown == 5 {
				return
			}
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// apiCall is one request to the kiosk API made by hand.
type apiCall struct {
	method, url string
	auth        string // the Authorization header; "" for none
	body        any    // sent as JSON; nil for none
	gzip        bool   // compress the body
}

// do sends the call and returns the status and the body.
func (a apiCall) do(tb testing.TB, hc *http.Client) (int, []byte) {
	tb.Helper()
	var rd io.Reader
	if a.body != nil {
		b, err := json.Marshal(a.body)
		if err != nil {
			tb.Fatal(err)
		}
		if a.gzip {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(b)
			zw.Close()
			b = z.Bytes()
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(a.method, a.url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if a.body != nil {
		req.Header.Set("Content-Type", "application/json")
		if a.gzip {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	if a.auth != "" {
		req.Header.Set("Authorization", a.auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", a.method, a.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: %v", a.method, a.url, err)
	}
	return resp.StatusCode, body
}

// MustPush pushes events by hand as the kiosk whose bearer token is
// token, and returns the server's answer.
func MustPush(tb testing.TB, hc *http.Client, url, token string, events []wire.Event, compress bool) wire.PushResponse {
	tb.Helper()
	resp, err := push(hc, url, token, events, compress)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// push is MustPush for another goroutine than the test's.
func push(hc *http.Client, url, token string, events []wire.Event, compress bool) (wire.PushResponse, error) {
	var resp wire.PushResponse
	b, err := json.Marshal(wire.PushRequest{Events: events})
	if err != nil {
		return resp, err
	}
	if compress {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		b = z.Bytes()
	}
	req, err := http.NewRequest(http.MethodPost, url+wire.PathPush, bytes.NewReader(b))
	if err != nil {
		return resp, err
	}
	req.Header.Set("Content-Type", "application/json")
	if compress {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := hc.Do(req)
	if err != nil {
		return resp, fmt.Errorf("push of %d events: %w", len(events), err)
	}
	defer r.Body.Close()
	body, err := io.ReadAll(r.Body)
	switch {
	case err != nil:
		return resp, fmt.Errorf("push of %d events: %w", len(events), err)
	case r.StatusCode != http.StatusOK:
		return resp, fmt.Errorf("push of %d events: %d %s", len(events), r.StatusCode, body)
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return resp, fmt.Errorf("push answer %s: %w", body, err)
	}
	return resp, nil
}

// MustEnrollByHand exchanges a one-time enrollment token for a kiosk
// identity through the API, as a kiosk does.
func MustEnrollByHand(tb testing.TB, hc *http.Client, url, token string) wire.EnrollResponse {
	tb.Helper()
	status, body := apiCall{method: http.MethodPost, url: url + wire.PathEnroll,
		body: wire.EnrollRequest{Token: token, Name: "by hand"}}.do(tb, hc)
	if status != http.StatusOK {
		tb.Fatalf("enroll: %d %s", status, body)
	}
	var resp wire.EnrollResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		tb.Fatalf("enroll answer %s: %v", body, err)
	}
	return resp
}

// signedCenter is a center on the demo event written by demo.Write, so
// its badge signing key is at hand, serving on loopback.
type signedCenter struct {
	*center
	dir string
	ev  *checkin.Event
	key ed25519.PrivateKey
	srv *loopback
	hc  *http.Client
}

// MustSignedCenter writes the demo (event, n-person roster, signing key)
// to a temporary folder, imports it into dsn and serves it on loopback.
func MustSignedCenter(t *testing.T, dsn string, n int) *signedCenter {
	t.Helper()
	dir := t.TempDir()
	if err := demo.Write(dir, n); err != nil {
		t.Fatal(err)
	}
	ev, key, err := demo.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := centralstore.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	people := demo.Roster(n)
	if _, err := db.Import(context.Background(), ev, people, nil); err != nil {
		t.Fatal(err)
	}
	c := &center{dsn: dsn, db: db, people: people}
	return &signedCenter{center: c, dir: dir, ev: ev, key: key, srv: MustServe(t, db, "127.0.0.1:0"), hc: newClient(t, nil)}
}
