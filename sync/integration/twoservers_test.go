package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"usher/central"
	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/internal/pgtest"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/wire"
)

// TestTwoServersOnePostgres is the test of a server that keeps
// no state of its own: two `usher-central serve` processes on one
// PostgreSQL database serve kiosks interchangeably. Each kiosk reaches
// the center through a front (a reverse proxy, as a load balancer would
// be) that the test points at one process, the other, or both in turn.
// Kiosks enroll through one process and sync through the other, then
// with every request going to the other process than the last; two
// kiosks push concurrently, one to each; and one batch pushed to both at
// once is stored once. The center's counts agree with the kiosks'
// throughout.
func TestTwoServersOnePostgres(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.FreshDB(t)
	const perKiosk = 60
	doors := []string{"main", "east", "ballroom-north"}
	c := MustCenter(t, dsn, perKiosk*len(doors)+10)
	a, b := MustStartCentral(t, dsn, "127.0.0.1:0"), MustStartCentral(t, dsn, "127.0.0.1:0")
	backends := []*centralProc{a, b}

	kiosks := make([]*store.DB, len(doors))
	fronts := make([]*front, len(doors))
	syncers := make([]*kiosksync.Syncer, len(doors))
	for i, door := range doors {
		fronts[i] = newFront(t, a.url, b.url)
		fronts[i].use(0)
		hc := newClient(t, nil)
		kiosks[i] = MustEnroll(t, c.MustCode(t, fronts[i].url(), door), hc)
		syncers[i] = newSyncer(kiosks[i], hc)
		if hits := fronts[i].hits(); hits[0] == 0 || hits[1] != 0 {
			t.Fatalf("kiosk %d enrolled with requests %v to the two servers, want all to the first", i, hits)
		}
	}

	t.Run("EnrolledOnOneSyncedOnOther", func(t *testing.T) {
		for i := range kiosks {
			fronts[i].use(1)
		}
		MustShareRights(t, kiosks, syncers)
		for i, k := range kiosks {
			ScanMix(t, k, doors[i], c.people[perKiosk*i:perKiosk*(i+1)], uint64(10+i))
			before := fronts[i].hits()
			waiting, logged := MustPending(t, k), len(MustKioskLog(t, k))
			res := MustRound(t, fmt.Sprintf("kiosk %d through the second server", i), syncers[i])
			// What waited goes up, and so do the rights rows the round's
			// own exchange logs.
			if n := waiting + len(MustKioskLog(t, k)) - logged; res.Accepted != n {
				t.Errorf("kiosk %d through the second server: %+v, want %d accepted", i, res, n)
			}
			if hits := fronts[i].hits(); hits[0] != before[0] || hits[1] == before[1] {
				t.Errorf("kiosk %d synced with requests %v, from %v: want only the second server's count to grow", i, hits, before)
			}
		}
		CheckCenterHolds(t, c, kiosks)
	})

	t.Run("Alternating", func(t *testing.T) {
		// A registration at the center reaches each kiosk whichever
		// process it pulls from.
		walkIn := checkin.Person{ID: "P900001", Name: "Walk In", Category: "staff", Code: "U-WALKIN00001"}
		if _, err := c.db.Import(ctx, demo.Event(), append(slices.Clone(c.people), walkIn), nil); err != nil {
			t.Fatal(err)
		}
		for i, k := range kiosks {
			fronts[i].alternate()
			before := fronts[i].hits()
			for j, p := range c.people[perKiosk*i : perKiosk*i+10] {
				dir := checkin.Entry
				if j%2 == 1 {
					dir = checkin.Exit
				}
				MustScan(t, k, p.Code, doors[i], dir)
			}
			// Several rounds, each request to the other server than the
			// last: pushes and pulls interleave across the two.
			for r := range 3 {
				MustRound(t, fmt.Sprintf("kiosk %d, alternating round %d", i, r), syncers[i])
				MustScan(t, k, fmt.Sprintf("U-ALT%d%d", i, r), doors[i], checkin.Entry)
			}
			hits := fronts[i].hits()
			if hits[0]-before[0] < 2 || hits[1]-before[1] < 2 {
				t.Errorf("kiosk %d alternating: requests %v from %v, want several to each server", i, hits, before)
			}
			// The walk-in comes in and goes out again at each door, one
			// door after the other, so the kiosks' own counts still add
			// up to the center's.
			if r := MustScan(t, k, walkIn.Code, doors[i], checkin.Entry); r != checkin.Admitted {
				t.Errorf("kiosk %d: the walk-in registered at the center: %s, want admitted", i, r)
			}
			if r := MustScan(t, k, walkIn.Code, doors[i], checkin.Exit); r != checkin.ExitRecorded {
				t.Errorf("kiosk %d: the walk-in leaving: %s, want exit_recorded", i, r)
			}
			MustRound(t, fmt.Sprintf("kiosk %d, after the walk-in", i), syncers[i])
		}
		CheckCenterHolds(t, c, kiosks)
	})

	t.Run("ConcurrentPushes", func(t *testing.T) {
		// Kiosks 0 and 1 each push thousands of events, kiosk 0 to the
		// first server and kiosk 1 to the second, their first pushes held
		// until both have arrived: the two servers write at once.
		n := 2*wire.MaxPushEvents + 123
		gate := newBarrier(2)
		for i := range 2 {
			for j := range n {
				MustScan(t, kiosks[i], fmt.Sprintf("U-BURST%d%06d", i, j), doors[i], checkin.Entry)
			}
			fronts[i].use(i)
			fronts[i].gateFirstPush(gate)
		}
		var wg sync.WaitGroup
		results := make([]kiosksync.Result, 2)
		errs := make([]error, 2)
		logged := make([]int, 2)
		for i := range 2 {
			logged[i] = len(MustKioskLog(t, kiosks[i]))
			wg.Go(func() { results[i], errs[i] = syncers[i].Round(ctx) })
		}
		wg.Wait()
		for i := range 2 {
			// The scans, and the rights row the round's own exchange may
			// have logged and pushed after them.
			own := len(MustKioskLog(t, kiosks[i])) - logged[i]
			if errs[i] != nil || own > 1 || results[i].Accepted != n+own {
				t.Errorf("kiosk %d pushing to server %d: %+v, %v; want %d accepted (and its own rights row, %d)", i, i, results[i], errs[i], n, own)
			}
		}
		if !gate.passed() {
			t.Errorf("the two first pushes did not meet at the barrier")
		}
		CheckCenterHolds(t, c, kiosks)
	})

	t.Run("SameBatchToBoth", func(t *testing.T) {
		// A kiosk whose push timed out may send it again through the
		// other server while the first still works on it: the same batch
		// at both servers at once, twice each, is stored once.
		k := kiosks[2]
		for j := range 500 {
			MustScan(t, k, fmt.Sprintf("U-TWICE%06d", j), doors[2], checkin.Entry)
		}
		events, err := k.Pending(ctx, wire.MaxPushEvents)
		if err != nil || len(events) != 500 {
			t.Fatalf("pending: %d events, %v; want 500", len(events), err)
		}
		token := MustID(t, k).Token
		hc := newClient(t, nil)
		gate := newBarrier(4)
		answers := make([]wire.PushResponse, 4)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				gate.wait()
				answers[i], errs[i] = push(hc, backends[i%2].url, token, events, i < 2)
			})
		}
		wg.Wait()
		accepted := 0
		for i, resp := range answers {
			if errs[i] != nil {
				t.Errorf("push %d: %v", i, errs[i])
			}
			if resp.Accepted+resp.Duplicates != len(events) || resp.Through != events[len(events)-1].Seq {
				t.Errorf("push %d: %+v", i, resp)
			}
			accepted += resp.Accepted
		}
		if accepted != len(events) {
			t.Errorf("the same batch four times at once, two servers: %d accepted in all, want %d", accepted, len(events))
		}
		fronts[2].use(1)
		before := len(MustKioskLog(t, k))
		res := MustRound(t, "kiosk 2 after the concurrent pushes", syncers[2])
		own := len(MustKioskLog(t, k)) - before // the round's own rights row, if any
		if own > 1 || res.Pushed != len(events)+own || res.Accepted != own {
			t.Errorf("kiosk 2 after the concurrent pushes: %+v, want %d sent, all already there (and the round's own rights row, %d)", res, len(events), own)
		}
		CheckCenterHolds(t, c, kiosks)
	})

	t.Run("StatusCommand", func(t *testing.T) {
		// The organizer's view, `usher-central status --json`, counts
		// what the kiosks logged.
		var stdout, stderr bytes.Buffer
		if code := central.Run([]string{"status", "--json", "--db", dsn}, &stdout, &stderr); code != 0 {
			t.Fatalf("usher-central status --json: exit %d: %s", code, stderr.String())
		}
		var st centralstore.Status
		if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
			t.Fatalf("usher-central status --json: %v in %s", err, stdout.String())
		}
		// Every kiosk pulled since the last push (CheckCenterHolds): each
		// shows the center's figure.
		for i, k := range kiosks {
			if occupancy := k.Occupancy(); !mapsEqual(st.Occupancy, occupancy) {
				t.Errorf("status --json occupancy %v, kiosk %d shows %v", st.Occupancy, i, occupancy)
			}
		}
		events := map[string]int64{}
		for _, k := range st.Kiosks {
			events[k.ID] = k.Events
		}
		for i, k := range kiosks {
			if got, want := events[MustID(t, k).KioskID], int64(len(MustKioskLog(t, k))); got != want {
				t.Errorf("status --json: kiosk %d has %d events, its log %d", i, got, want)
			}
		}
	})

	t.Run("RevokedAtBoth", func(t *testing.T) {
		// `usher-central kiosk revoke` while both servers run: neither
		// remembers the kiosk as good, both refuse its next request.
		id := MustID(t, kiosks[1])
		var stdout, stderr bytes.Buffer
		// (--db before the kiosk: TestKioskRevokeCommand has the order
		// the usage line shows.)
		if code := central.Run([]string{"kiosk", "revoke", "--db", dsn, id.KioskID}, &stdout, &stderr); code != 0 {
			t.Fatalf("usher-central kiosk revoke: exit %d: %s", code, stderr.String())
		}
		hc := newClient(t, nil)
		for i, b := range backends {
			status, body := apiCall{method: http.MethodGet, url: b.url + wire.PathPull + "?cursor=0",
				auth: "Bearer " + id.Token}.do(t, hc)
			checkRefused(t, fmt.Sprintf("server %d, the revoked kiosk's pull", i), status, body, c)
		}
		MustScan(t, kiosks[1], c.people[perKiosk].Code, doors[1], checkin.Exit)
		fronts[1].alternate()
		wantCode(t, "the revoked kiosk's sync", syncers[1].Sync(ctx), checkin.EUNAUTHORIZED)
		if st := syncers[1].Status(); !st.Revoked || st.Waiting != 1 {
			t.Errorf("the revoked kiosk's status %+v, want revoked with 1 scan waiting", st)
		}
		// The others go on through either server.
		fronts[0].alternate()
		MustRound(t, "kiosk 0 after kiosk 1 was revoked", syncers[0])
		MustRound(t, "kiosk 0 after kiosk 1 was revoked, again", syncers[0])
	})
}

// TestServersStartTogether opens one fresh central database from
// several processes at once, as two servers (or an import and a server)
// deployed together do: each must come up, the schema made once.
// centralstore's migrate means to allow it ("two servers starting at once
// must not both migrate") with a table lock on PostgreSQL and immediate
// transactions on SQLite, but it creates the migrations table before and
// outside either: PostgreSQL's concurrent CREATE TABLE IF NOT EXISTS can
// fail with a duplicate key in pg_type, and SQLite's can fail at once
// with "database is locked" (the busy timeout does not cover a write
// that starts as a read). A database migrated before is not affected.
// The race is a race: rounds make it near certain to show.
func TestServersStartTogether(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		rounds := 40 // SQLite's window is narrower
		if centralstore.IsPostgres(dsn) {
			rounds = 8
		}
		for round := range rounds {
			if round > 0 {
				dsn = anotherDSN(t, dsn)
			}
			const n = 4
			gate := newBarrier(n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					gate.wait()
					db, err := centralstore.Open(dsn)
					if err == nil {
						db.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("round %d: opener %d of %d starting together: %v", round, i, n, err)
				}
			}
			if t.Failed() {
				return
			}
			c := MustCenter(t, dsn, 10)
			if ev, err := c.db.Event(context.Background()); err != nil || ev.ID != "demo" {
				t.Fatalf("round %d: the schema after starting together: event %v, %v", round, ev, err)
			}
		}
	})
}

// front is a kiosk's way to the center: a reverse proxy on loopback
// that sends each request to one of the servers, as the test says.
type front struct {
	srv      *httptest.Server
	backends []*url.URL

	mu    sync.Mutex
	to    int  // the server requests go to
	alt   bool // alternate between the servers, request by request
	count []int
	gate  *barrier // holds the next push
}

func newFront(tb testing.TB, urls ...string) *front {
	tb.Helper()
	f := &front{count: make([]int, len(urls))}
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil {
			tb.Fatal(err)
		}
		f.backends = append(f.backends, p)
	}
	transport := &http.Transport{}
	proxy := &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			f.mu.Lock()
			i := f.to
			if f.alt {
				f.to = (f.to + 1) % len(f.backends)
			}
			f.count[i]++
			f.mu.Unlock()
			r.SetURL(f.backends[i])
		},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var gate *barrier
		f.mu.Lock()
		if r.URL.Path == wire.PathPush {
			gate, f.gate = f.gate, nil
		}
		f.mu.Unlock()
		if gate != nil {
			gate.wait()
		}
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(func() {
		f.srv.Close()
		transport.CloseIdleConnections()
	})
	return f
}

func (f *front) url() string { return f.srv.URL }

// use sends every request to server i.
func (f *front) use(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.to, f.alt = i, false
}

// alternate sends each request to the other server than the last.
func (f *front) alternate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alt = true
}

// gateFirstPush holds the next push at g until g lets it pass.
func (f *front) gateFirstPush(g *barrier) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate = g
}

// hits returns how many requests went to each server.
func (f *front) hits() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.count...)
}

// barrier lets its waiters go once n have arrived, or after a minute
// (then passed reports false).
type barrier struct {
	mu      sync.Mutex
	n       int
	all     chan struct{}
	timeout bool
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

func (b *barrier) wait() {
	b.mu.Lock()
	if b.n--; b.n == 0 {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-time.After(time.Minute):
		b.mu.Lock()
		b.timeout = true
		b.mu.Unlock()
	}
}

func (b *barrier) passed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.all:
		return !b.timeout
	default:
		return false
	}
}
