package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/internal/pgtest"
	"usher/store"
	"usher/sync/server"
	"usher/sync/wire"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", to look at the center's file
)

// apiCenter is a real central database with the demo event and a small
// roster, one kiosk enrolled at the main entrance, and the API over it.
// The fuzz target drives the handler directly, one request at a time.
type apiCenter struct {
	db      *centralstore.DB
	h       http.Handler
	kiosk   wire.EnrollResponse
	revoked wire.EnrollResponse // a kiosk enrolled at the east entrance, then revoked
	raw     *sql.DB             // a connection of its own, to see what changed
	conn    *sql.Conn           // pinned, so data_version compares one connection's views
	pg      bool
}

// MustAPICenter opens a center at dsn (a SQLite file or a PostgreSQL
// URL) and prepares it.
func MustAPICenter(tb testing.TB, dsn string) *apiCenter {
	tb.Helper()
	ctx := context.Background()
	db, err := centralstore.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Import(ctx, demo.Event(), demo.Roster(20), nil); err != nil {
		tb.Fatal(err)
	}
	enroll := func(door string) wire.EnrollResponse {
		tok, err := db.CreateEnrollment(ctx, door)
		if err != nil {
			tb.Fatal(err)
		}
		k, err := db.Enroll(ctx, tok, "fuzz-"+door)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	c := &apiCenter{db: db, h: server.New(db, discard), kiosk: enroll("main"), revoked: enroll("east"),
		pg: centralstore.IsPostgres(dsn)}
	if err := db.RevokeKiosk(ctx, c.revoked.KioskID); err != nil {
		tb.Fatal(err)
	}
	// The kiosk holds rights, so pushed spends and returns have
	// something to book against.
	if _, err := db.Rights(ctx, c.kiosk.KioskID, wire.RightsRequest{Holdings: []wire.Holding{{Counter: "venue", Demand: 5}}}); err != nil {
		tb.Fatal(err)
	}
	if c.pg {
		c.raw, err = sql.Open("pgx", dsn)
	} else {
		c.raw, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.raw.Close() })
	if c.conn, err = c.raw.Conn(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.conn.Close() })
	return c
}

// discard is the server's log: the fuzz target checks statuses, and
// a 5xx fails it anyway.
var discard = log.New(io.Discard, "", 0)

// dbState is what a rejected request must leave as it was: row counts and
// sums of the tables requests write, and, for SQLite, the file's
// data_version, which moves with any commit by another connection.
type dbState struct {
	Tables  map[string][3]int64
	Version int64
}

// stateQueries count and sum each table a request can write.
var stateQueries = map[string]string{
	"events":      `SELECT count(*), coalesce(max(seq), 0), coalesce(max(rseq), 0) FROM events`,
	"grants":      `SELECT count(*), coalesce(sum(n), 0), 0 FROM grants`,
	"holdings":    `SELECT count(*), coalesce(sum(n), 0), coalesce(sum(demand), 0) FROM holdings`,
	"rights":      `SELECT count(*), coalesce(sum(reserve), 0), coalesce(sum(inside), 0) FROM rights`,
	"spends":      `SELECT count(*), coalesce(sum(closed), 0), 0 FROM spends`,
	"notices":     `SELECT count(*), 0, 0 FROM notices`,
	"kiosks":      `SELECT count(*), coalesce(sum(last_seen), 0), coalesce(sum(length(door)), 0) FROM kiosks`,
	"enrollments": `SELECT count(*), count(used_at), 0 FROM enrollments`,
	"counters":    `SELECT count(*), coalesce(sum(value), 0), 0 FROM counters`,
}

func (c *apiCenter) state(tb testing.TB) dbState {
	tb.Helper()
	ctx := context.Background()
	st := dbState{Tables: map[string][3]int64{}}
	for table, q := range stateQueries {
		var v [3]int64
		if err := c.conn.QueryRowContext(ctx, q).Scan(&v[0], &v[1], &v[2]); err != nil {
			tb.Fatalf("%s: %v", table, err)
		}
		st.Tables[table] = v
	}
	if !c.pg {
		if err := c.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&st.Version); err != nil {
			tb.Fatal(err)
		}
	}
	return st
}

// apiRequest is one request to the API, in the fuzz target's terms.
type apiRequest struct {
	Route    uint8  // 0 enroll, 1 push, 2 rights, 3 pull, 4 reprint (mod 5)
	Auth     uint8  // 0 the kiosk's token, 1 none, 2 unknown, 3 the revoked kiosk's (mod 4)
	Encoding uint8  // 0 plain, 1 gzip, 2 "gzip" header over a plain body (mod 3)
	Query    string // pull's raw query
	Body     []byte // $TOKEN stands for a fresh enrollment token
}

var routes = []struct {
	method, path string
	fields       []string // what an error message may name
}{
	{"POST", wire.PathEnroll, []string{"body", "token", "name", "enrollment code"}},
	{"POST", wire.PathPush, []string{"body", "events"}},
	{"POST", wire.PathRights, []string{"body", "holdings", "door"}},
	{"GET", wire.PathPull, []string{"cursor", "limit"}},
	{"POST", wire.PathReprint, []string{"body", "person"}},
}

// tokenMark in a body stands for a one-time enrollment token made just
// before the request, so enrollments can succeed too.
const tokenMark = "$TOKEN"

// check sends one request and checks the properties every answer has:
// no panic and no 5xx; an error is a JSON wire.Error with a code and a
// message naming the field at fault, and leaves the database exactly as
// it was; a success decodes as the route's response, and leaves a
// database whose status (a replay of every event) can be read and whose
// capacity books add up: inside + held + reserve = capacity + debt.
func (c *apiCenter) check(t *testing.T, in apiRequest) {
	t.Helper()
	ctx := context.Background()
	route := routes[int(in.Route)%len(routes)]
	body := in.Body
	if bytes.Contains(body, []byte(tokenMark)) {
		tok, err := c.db.CreateEnrollment(ctx, "hall-b")
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.ReplaceAll(body, []byte(tokenMark), []byte(tok))
	}
	if in.Encoding%3 == 1 {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(body)
		zw.Close()
		body = zb.Bytes()
	}
	req := &http.Request{
		Method: route.method,
		URL:    &url.URL{Path: route.path, RawQuery: in.Query},
		Header: http.Header{},
		Body:   io.NopCloser(bytes.NewReader(body)),
	}
	req = req.WithContext(ctx)
	if in.Encoding%3 != 0 {
		req.Header.Set("Content-Encoding", "gzip")
	}
	switch in.Auth % 4 {
	case 0:
		req.Header.Set("Authorization", "Bearer "+c.kiosk.Token)
	case 2:
		req.Header.Set("Authorization", "Bearer not-a-kiosk")
	case 3:
		req.Header.Set("Authorization", "Bearer "+c.revoked.Token)
	}
	before := c.state(t)
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	status, out := w.Code, w.Body.Bytes()
	if status >= 500 {
		t.Fatalf("%s %s: status %d, body %s", route.method, route.path, status, out)
	}
	if status >= 300 {
		var e wire.Error
		if err := json.Unmarshal(out, &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%s %s: status %d with body %q, not a wire.Error", route.method, route.path, status, out)
		}
		fields := route.fields
		if status == http.StatusUnauthorized {
			fields = []string{"token", "kiosk", "enrollment code"}
		}
		if !namesOne(e.Message, fields) {
			t.Fatalf("%s %s: status %d, message %q names none of %q", route.method, route.path, status, e.Message, fields)
		}
		if after := c.state(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("%s %s was refused (%d: %s) but changed the database:\nbefore %v\nafter  %v",
				route.method, route.path, status, e.Message, before, after)
		}
		return
	}
	var resp any
	switch int(in.Route) % len(routes) {
	case 0:
		resp = &wire.EnrollResponse{}
	case 1:
		resp = &wire.PushResponse{}
	case 2:
		resp = &wire.RightsResponse{}
	case 3:
		resp = &wire.PullResponse{}
	case 4:
		resp = &wire.ReprintResponse{}
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatalf("%s %s: status %d, body %q: %v", route.method, route.path, status, out, err)
	}
	if r, ok := resp.(*wire.RightsResponse); ok {
		var req wire.RightsRequest
		json.Unmarshal(in.Body, &req)
		held := map[string]int{}
		for _, h := range req.Holdings {
			held[h.Counter] = h.Balance
		}
		for _, g := range r.Grants {
			if g.N <= 0 || g.ID <= 0 {
				t.Fatalf("rights %+v answered grant %+v", req, g)
			}
		}
		for c, n := range r.Return {
			if n <= 0 || n > held[c] {
				t.Fatalf("rights %+v: asked to return %d of %s, holding %d", req, n, c, held[c])
			}
		}
		for c, n := range r.Free {
			if n < 0 {
				t.Fatalf("rights %+v: %d free of %s", req, n, c)
			}
		}
	}
	// The organizers' view replays every stored event: whatever the API
	// took must not break it, and the capacity books must add up.
	st, err := c.db.Status(ctx)
	if err != nil {
		t.Fatalf("%s %s was accepted, and now Status fails: %v", route.method, route.path, err)
	}
	for _, b := range st.Rights {
		if b.Inside+b.Held+b.Reserve != b.Cap+b.Debt {
			t.Fatalf("%s %s was accepted, and now the books of %s do not add up: %+v", route.method, route.path, b.Counter, b)
		}
	}
	if p, ok := resp.(*wire.PushResponse); ok {
		var req wire.PushRequest
		json.Unmarshal(in.Body, &req)
		if p.Accepted < 0 || p.Duplicates < 0 || p.Accepted+p.Duplicates != len(req.Events) {
			t.Fatalf("push of %d events answered %+v", len(req.Events), p)
		}
	}
}

func namesOne(msg string, fields []string) bool {
	for _, f := range fields {
		if strings.Contains(msg, f) {
			return true
		}
	}
	return false
}

// apiCases are hand-made requests: good ones, and bad ones of each kind.
// They seed FuzzAPI and run against PostgreSQL in TestAPIBadInput.
func apiCases() []apiRequest {
	ev := func(seq int64, extra string) string {
		return fmt.Sprintf(`{"seq":%d,"hlc":%d,"at":1780300800000,"door":"main","direction":"entry","method":"badge","code":"U-X","decision":"deny","reason":"unknown_badge"%s}`,
			seq, uint64(1780300800000)<<16, extra)
	}
	push := func(events ...string) []byte { return []byte(`{"events":[` + strings.Join(events, ",") + `]}`) }
	return []apiRequest{
		{Route: 4, Body: []byte(`{"person":"P000001"}`)},
		{Route: 4, Body: []byte(`{"person":"NOBODY"}`)},
		{Route: 4, Body: []byte(`{"person":"P\u0000"}`)},
		{Route: 4, Body: []byte(`{"person":""}`)},
		{Route: 4, Auth: 3, Body: []byte(`{"person":"P000001"}`)},
		{Route: 4, Body: []byte(`{"person":"P000001","extra":1}`)},
		{Route: 0, Body: []byte(`{"token":"` + tokenMark + `","name":"kiosk-7"}`)},
		{Route: 0, Body: []byte(`{"token":"` + tokenMark + `","name":"a` + strings.Repeat("é", 60) + `"}`)},
		{Route: 0, Body: []byte(`{"token":"` + tokenMark + `","name":"a\u0000b"}`)},
		{Route: 0, Body: []byte(`{"token":"no-such-token"}`)},
		{Route: 0, Body: []byte(`{"token":""}`)},
		{Route: 0, Body: []byte(`{"token":"` + tokenMark + `","extra":1}`)},
		{Route: 0, Body: []byte(`{"token":"` + tokenMark + `"}{}`)},
		{Route: 0, Encoding: 1, Body: []byte(`{"token":"` + tokenMark + `"}`)},
		{Route: 0, Encoding: 2, Body: []byte(`{"token":"` + tokenMark + `"}`)},
		{Route: 1, Body: push(ev(1, ""))},
		{Route: 1, Body: push(ev(1, ""), ev(2, `,"note":"x"`))},
		{Route: 1, Encoding: 1, Body: push(ev(3, ""))},
		{Route: 1, Body: push(ev(4, `,"code":"a\u0000b"`))},
		{Route: 1, Body: push(ev(5, `,"person":"P000001","space":"venue","from":"outside","location":"venue","rights":[{"c":"venue","k":"spend","n":1}]`))},
		{Route: 1, Body: push(ev(6, `,"rights":[{"c":"nowhere","k":"return","n":1000000}]`))},
		{Route: 1, Body: push(ev(7, `,"rights":[{"c":"venue","k":"credit","n":1,"ref":5}]`))},
		{Route: 1, Body: push(ev(0, ""))},
		{Route: 1, Body: push(ev(8, ""), ev(-1, ""))},
		{Route: 1, Body: push(ev(9, `,"rights":[{"c":"venue","k":"spend","n":2}]`))},
		{Route: 1, Body: push(ev(11, `,"stamp":{"t":1780300800000,"err":40}`))},
		{Route: 1, Body: push(ev(12, `,"stamp":{"t":1780300800000,"err":-1}`))},
		{Route: 1, Body: push(ev(12, `,"stamp":{"t":0,"err":5}`))},
		{Route: 1, Body: push(ev(12, `,"stamp":{"t":1780300800000,"err":86400001}`))},
		{Route: 1, Body: push(ev(12, `,"stamp":{"t":9223372036854775807,"err":0}`))},
		{Route: 1, Body: push(ev(12, `,"stamp":"soon"`))},
		{Route: 1, Body: push(ev(13, `,"person":"P000001","direction":"exit","decision":"exit","reason":"exit_not_inside","rights":[{"c":"venue","k":"credit","n":1,"ref":99}]`))},
		{Route: 1, Body: []byte(`{"events":[{"seq":"1"}]}`)},
		{Route: 1, Body: []byte(`{"events":null}`)},
		{Route: 1, Body: []byte(`{}`)},
		{Route: 1, Body: []byte(`[]`)},
		{Route: 1, Body: []byte(``)},
		{Route: 1, Body: []byte(`{"events":[{"seq":1,"hlc":9223372036854775808}]}`)},
		{Route: 1, Auth: 1, Body: push(ev(10, ""))},
		{Route: 1, Auth: 2, Body: push(ev(10, ""))},
		{Route: 1, Auth: 3, Body: push(ev(10, ""))},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"venue","balance":3,"demand":2}]}`)},
		{Route: 2, Body: []byte(`{"holdings":[],"door":"ballroom-north"}`)},
		{Route: 2, Body: []byte(`{"holdings":[],"door":"nowhere"}`)},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"","balance":0,"demand":0}]}`)},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"venue","balance":9223372036854775807,"demand":9223372036854775807}]}`)},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"nowhere","balance":1,"demand":1}]}`)},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"venue","balance":10,"demand":9223372036854775807}]}`)},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"venue","balance":10,"demand":4611686018427387904}]}`)},
		{Route: 2, Encoding: 1, Body: []byte(`{"holdings":[]}`)},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"venue","balance":0,"demand":1}],"urgent":true}`)},
		{Route: 2, Body: []byte(`{"holdings":[{"counter":"venue","balance":5,"demand":0}],"exits":true}`)},
		{Route: 2, Body: []byte(`{"holdings":[],"urgent":"yes"}`)},
		{Route: 2, Auth: 3, Body: []byte(`{"holdings":[]}`)},
		{Route: 3, Query: "cursor=0"},
		{Route: 3, Query: "cursor=0&limit=1"},
		{Route: 3, Query: "cursor=9223372036854775807"},
		{Route: 3, Query: "cursor=-1"},
		{Route: 3, Query: "cursor=0&limit=0"},
		{Route: 3, Query: "cursor=0&limit=5001"},
		{Route: 3, Query: "cursor=%zz"},
		{Route: 3, Query: ""},
		{Route: 3, Auth: 1, Query: "cursor=0"},
	}
}

// kioskPushes returns the push bodies a real kiosk makes: a kiosk
// database loaded with the demo event, given rights by the center,
// scanning badges in and out, a stranger's code and a staff +1.
func kioskPushes(tb testing.TB, c *apiCenter) [][]byte {
	tb.Helper()
	ctx := context.Background()
	k, err := store.Open(filepath.Join(tb.TempDir(), "kiosk.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer k.Close()
	people := demo.Roster(20)
	if _, err := k.Load(ctx, demo.Event(), people); err != nil {
		tb.Fatal(err)
	}
	if err := k.Enroll(ctx, store.Identity{URL: "http://127.0.0.1:1", KioskID: "K-seed", Token: "t", Door: "main", EventID: "demo"}); err != nil {
		tb.Fatal(err)
	}
	if err := k.ApplyGrants(ctx, []wire.Grant{{ID: 1, Counter: "venue", N: 10}}); err != nil {
		tb.Fatal(err)
	}
	for _, s := range []checkin.Scan{
		{Code: people[0].Code, Door: "main"},
		{Code: people[1].Code, Door: "main"},
		{Code: people[0].Code, Door: "main", Direction: checkin.Exit},
		{Code: people[2].Code, Door: "main", Direction: checkin.Exit},
		{Code: "STRANGER-\xff", Door: "main"},
	} {
		if _, err := k.Scan(ctx, s); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := k.Adjust(ctx, "main", 1, "child without a badge"); err != nil {
		tb.Fatal(err)
	}
	events, err := k.Pending(ctx, 100)
	if err != nil || len(events) < 6 {
		tb.Fatalf("pending: %d events, %v", len(events), err)
	}
	all, _ := json.Marshal(wire.PushRequest{Events: events})
	out := [][]byte{all}
	for _, e := range events {
		one, _ := json.Marshal(wire.PushRequest{Events: []wire.Event{e}})
		out = append(out, one)
	}
	return out
}

// FuzzAPI sends the center's handler arbitrary requests on every route,
// over a real SQLite database: it never panics or answers 5xx, every
// refusal names the field at fault and changes nothing, and what it
// accepts answers in the route's format.
func FuzzAPI(f *testing.F) {
	c := MustAPICenter(f, filepath.Join(f.TempDir(), "central.db"))
	for _, r := range apiCases() {
		f.Add(r.Route, r.Auth, r.Encoding, r.Query, r.Body)
	}
	for _, body := range kioskPushes(f, c) {
		f.Add(uint8(1), uint8(0), uint8(0), "", body)
		f.Add(uint8(1), uint8(0), uint8(1), "", body)
	}
	f.Add(uint8(1), uint8(0), uint8(2), "", gzipBomb(f))
	f.Fuzz(func(t *testing.T, route, auth, encoding uint8, query string, body []byte) {
		c.check(t, apiRequest{route, auth, encoding, query, body})
	})
}

// TestAPIBadInput runs the fuzz target's cases, and what fuzzing found
// (testdata/fuzz/FuzzAPI), against PostgreSQL too: it refuses what
// SQLite stores without a word, such as a NUL byte in text.
func TestAPIBadInput(t *testing.T) {
	c := MustAPICenter(t, pgtest.FreshDB(t))
	cases := apiCases()
	for _, body := range kioskPushes(t, c) {
		cases = append(cases, apiRequest{Route: 1, Body: body})
	}
	cases = append(cases, corpus(t, "FuzzAPI")...)
	for i, r := range cases {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) { c.check(t, r) })
	}
}

// corpus reads the inputs fuzzing saved under testdata/fuzz/name.
func corpus(tb testing.TB, name string) []apiRequest {
	tb.Helper()
	dir := filepath.Join("testdata", "fuzz", name)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		tb.Fatal(err)
	}
	var out []apiRequest
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		r, err := parseCorpusFile(data)
		if err != nil {
			tb.Fatalf("%s: %v", e.Name(), err)
		}
		out = append(out, r)
	}
	return out
}

// parseCorpusFile reads a saved fuzz input ("go test fuzz v1") of
// FuzzAPI's arguments.
func parseCorpusFile(data []byte) (apiRequest, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 6 || lines[0] != "go test fuzz v1" {
		return apiRequest{}, fmt.Errorf("not a FuzzAPI input of 5 values")
	}
	var vals []string
	for _, l := range lines[1:] {
		open, end := strings.IndexByte(l, '('), strings.LastIndexByte(l, ')')
		if open < 0 || end < open {
			return apiRequest{}, fmt.Errorf("line %q", l)
		}
		kind, arg := l[:open], l[open+1:end]
		switch kind {
		case "byte", "uint8":
			if n, err := strconv.ParseUint(arg, 0, 8); err == nil {
				vals = append(vals, string(rune(n)))
				continue
			}
			s, err := strconv.Unquote(arg)
			if err != nil {
				return apiRequest{}, fmt.Errorf("line %q: %v", l, err)
			}
			vals = append(vals, s)
		case "string", "[]byte":
			s, err := strconv.Unquote(arg)
			if err != nil {
				return apiRequest{}, fmt.Errorf("line %q: %v", l, err)
			}
			vals = append(vals, s)
		default:
			return apiRequest{}, fmt.Errorf("line %q: type %s", l, kind)
		}
	}
	b := func(s string) uint8 { return uint8([]rune(s)[0]) }
	return apiRequest{Route: b(vals[0]), Auth: b(vals[1]), Encoding: b(vals[2]), Query: vals[3], Body: []byte(vals[4])}, nil
}

// FuzzPushEvent pushes one event made of arbitrary fields, so the fuzzer
// reaches past the JSON syntax into what the center does with an event:
// its rights changes, exits matched with admissions, the status replay.
// The properties are FuzzAPI's.
func FuzzPushEvent(f *testing.F) {
	c := MustAPICenter(f, filepath.Join(f.TempDir(), "central.db"))
	for _, body := range kioskPushes(f, c)[1:] {
		var req wire.PushRequest
		if err := json.Unmarshal(body, &req); err != nil || len(req.Events) != 1 {
			f.Fatalf("seed %s: %v", body, err)
		}
		e := req.Events[0]
		var r checkin.RightChange
		if len(e.Rights) > 0 {
			r = e.Rights[0]
		}
		f.Add(e.Seq, e.HLC, e.At, e.Door, e.Direction, e.Method, e.Code, e.Person, e.Decision, e.Reason, e.Space, e.Note,
			e.From, e.Location, e.Delta, e.Undoes, string(r.Kind), r.Counter, r.N, r.Ref, e.Cursor, false)
	}
	stamp := uint64(1780300800000) << 16
	f.Add(int64(20), stamp, int64(1780300800000), "main", "exit", "badge", "U-1", "P000001", "leave", "exit_recorded", "", "",
		"venue", "outside", 0, int64(0), "left", "venue", 1, int64(0), int64(1<<40), true)
	f.Add(int64(21), stamp, int64(0), "ballroom-north", "entry", "adjust", "", "", "admit", "headcount_added", "ballroom", "walk-in",
		"venue", "ballroom", 1, int64(0), "spend", "ballroom", 1, int64(0), int64(0), false)
	f.Add(int64(22), stamp, int64(-1), "main", "entry", "undo", "", "P000001", "undo", "undone", "", "oops",
		"venue", "outside", -1, int64(20), "credit", "venue", 1, int64(5), int64(0), false)
	f.Add(int64(23), stamp, int64(0), "main", "entry", "rights", "", "", "rights", "returned", "", "",
		"", "", 0, int64(0), "return", "venue", 1000000, int64(0), int64(0), false)
	f.Add(int64(24), stamp, int64(0), "nowhere", "entry", "badge", "U-2", "nobody", "admit", "admitted", "nowhere", "",
		"outside", "nowhere", 0, int64(0), "grant", "nowhere", 3, int64(7), int64(0), false)
	f.Fuzz(func(t *testing.T, seq int64, hlc uint64, at int64, door, direction, method, code, person, decision, reason, space, note,
		from, location string, delta int, undoes int64, kind, counter string, n int, ref, cursor int64, gz bool) {
		e := wire.Event{Seq: seq, HLC: hlc, At: at, Door: door, Direction: direction, Method: method, Code: code, Person: person,
			Decision: decision, Reason: reason, Space: space, Note: note, From: from, Location: location, Delta: delta,
			Undoes: undoes, Cursor: cursor}
		if kind != "" {
			e.Rights = []checkin.RightChange{{Counter: counter, Kind: checkin.RightKind(kind), N: n, Ref: ref}}
		}
		body, err := json.Marshal(wire.PushRequest{Events: []wire.Event{e}})
		if err != nil {
			t.Fatal(err)
		}
		in := apiRequest{Route: 1, Body: body}
		if gz {
			in.Encoding = 1
		}
		c.check(t, in)
	})
}

// gzipBomb is a gzip stream of a few kilobytes that inflates past
// wire.MaxBody: the center must stop reading and answer 413.
func gzipBomb(tb testing.TB) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	zw.Write([]byte(`{"events":[{"note":"`))
	zw.Write(make([]byte, wire.MaxBody))
	zw.Close()
	return b.Bytes()
}
