package integration_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/internal/faultproxy"
	"usher/store"
	"usher/sync/kiosksync"
)

// The budget: `make test` runs a short storm on each backend; `make
// faults` a long one (-faults.rounds=400).
var (
	faultRounds = flag.Int("faults.rounds", 25, "TestSyncUnderFaults: sync rounds of each kiosk under faults")
	faultSeed   = flag.Uint64("faults.seed", 1, "TestSyncUnderFaults: the fault proxy's seed")
)

// faultConfig is the venue Wi-Fi of TestSyncUnderFaults: most exchanges
// go through, and every kind of fault comes up many times a run.
func faultConfig(seed uint64) faultproxy.Config {
	return faultproxy.Config{
		Seed:         seed,
		Refuse:       0.15,
		Partition:    0.02,
		PartitionFor: 40 * time.Millisecond,
		Delay:        0.10,
		MaxDelay:     15 * time.Millisecond,
		CutRequest:   0.08,
		CutResponse:  0.08,
		Duplicate:    0.08,
	}
}

// MustFaultProxy puts a fault proxy in front of the server at addr; it
// is closed when the test ends.
func MustFaultProxy(tb testing.TB, addr string, cfg faultproxy.Config) *faultproxy.Proxy {
	tb.Helper()
	p, err := faultproxy.New(addr, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// TestSyncUnderFaults runs kiosks against a center through a proxy that
// breaks their TCP connections: connections reset at once, bytes held
// back, requests cut part-way through their body, responses cut part-way
// after the center committed (the kiosk never learns), requests sent to
// the center twice, partitions. Four kiosks, at the venue's two
// entrances and the ballroom's two doors, scan their own part of the
// demo roster (entries, exits, re-entries, unknown and unreadable codes,
// headcount changes, an undo) while their sync rounds run; capacities
// below the crowd make each pair trade rights through the center. The
// center meanwhile adds people, removes people, reprints badges and
// changes the two capacities, so pulls carry changes and rights move
// both ways. Then the proxy heals, the kiosks sync until nothing moves,
// and:
//
//   - exactly once: the center holds each kiosk's log, every event once
//     and as logged, and nothing else; nothing waits at a kiosk;
//   - convergence: every kiosk's roster is the center's (people, valid
//     codes, revocations) and its pull cursor is the center's last
//     sequence value; the center's occupancy is the sum of the kiosks';
//   - the rights books balance: per counter, inside + held + reserve =
//     capacity + debt at the center, the center's view of each kiosk's
//     rights is the kiosk's, every grant reached its kiosk, and the
//     center counts inside what the kiosks spent less what they credited.
//
// Each kind of fault must have happened at least once, and a kiosk must
// have sent again events the center had stored (an answer lost after the
// commit), or the run proved nothing.
func TestSyncUnderFaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		start := time.Now()
		ctx := context.Background()
		rounds := *faultRounds
		perKiosk := max(60, 3*rounds)
		doors := []string{"main", "east", "ballroom-north", "ballroom-south"}
		c := MustCenter(t, dsn, perKiosk*len(doors))
		// A venue and a ballroom smaller than the crowd, so the two doors
		// of each run out of rights and trade them through the center.
		for _, sp := range []string{"venue", "ballroom"} {
			if _, err := c.db.SetCapacity(ctx, sp, perKiosk); err != nil {
				t.Fatal(err)
			}
		}
		srv := MustServe(t, c.db, "127.0.0.1:0")
		proxy := MustFaultProxy(t, srv.addr, faultConfig(*faultSeed))

		// Enrollment is a one-time exchange an organizer watches: it goes
		// through a healthy proxy (a lost answer uses the code up; the
		// organizer makes another).
		proxy.SetFaults(false)
		kiosks := make([]*faultKiosk, len(doors))
		dbs := make([]*store.DB, len(doors))
		for i, door := range doors {
			hc := &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
			t.Cleanup(hc.CloseIdleConnections)
			db := MustEnrollAt(t, filepath.Join(t.TempDir(), door+".db"), c.MustCode(t, proxy.URL(), door), hc)
			kiosks[i] = &faultKiosk{i: i, door: door, db: db, syncer: newSyncer(db, hc),
				actions: faultActions(c.people[perKiosk*i:perKiosk*(i+1)], uint64(i)+*faultSeed*10),
				extra:   make(chan string, 4*rounds+16)}
			dbs[i] = db
			kiosks[i].enrolled = len(MustKioskLog(t, db))
		}
		proxy.SetFaults(true)

		// The storm: each kiosk scans while its rounds run; a round done
		// lets the center make one edit, unless it is busy with the last.
		ed := &editor{c: c, rng: rand.New(rand.NewPCG(*faultSeed, 77)), kiosks: kiosks, proxy: proxy,
			capacity: perKiosk, removed: map[string]bool{}}
		for i := range kiosks {
			ed.people = append(ed.people, slices.Clone(c.people[perKiosk*i:perKiosk*(i+1)]))
		}
		ticks := make(chan struct{}, 1)
		edited := make(chan struct{})
		go func() {
			defer close(edited)
			for range ticks {
				if err := ed.edit(ctx); err != nil {
					t.Errorf("roster edit at the center: %v", err)
				}
			}
		}()
		var wg sync.WaitGroup
		for _, k := range kiosks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := k.storm(ctx, rounds, ticks); err != nil {
					t.Errorf("kiosk %d at %s: %v", k.i, k.door, err)
				}
			}()
		}
		wg.Wait()
		close(ticks)
		<-edited
		if t.Failed() {
			return
		}
		stormTime := time.Since(start)

		// Heal, and sync until a whole pass of the kiosks moves nothing.
		proxy.Heal()
		passes := mustSettle(t, c, dbs, kiosks)

		stats := proxy.Stats()
		var scans, events, again, ok, failed, grants, returns int
		for _, k := range kiosks {
			kl := MustKioskLog(t, k.db)
			scans += countScans(kl)
			events += len(kl)
			again += k.again
			ok += k.ok
			failed += k.failed
			for _, e := range kl[k.enrolled:] {
				for _, r := range e.Rights {
					switch r.Kind {
					case checkin.RightGrant:
						grants++
					case checkin.RightReturn:
						returns++
					}
				}
			}
		}
		t.Logf("proxy: %s", stats)
		t.Logf("kiosks: %d rounds under faults (%d failed), %d scans and %d rights rows logged (%d grants applied and %d returns since enrollment), "+
			"%d events sent again that the center held; center: %d people added, %d removed, %d badges reprinted, %d capacities changed; "+
			"settled in %d passes; storm %s, in all %s",
			ok+failed, failed, scans, events-scans, grants, returns, again, ed.adds, ed.removes, ed.reprints, ed.capacities, passes,
			stormTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		for _, f := range []struct {
			what string
			n    int
		}{{"connections refused", stats.Refused}, {"partitions", stats.Partitions},
			{"connections refused in a partition", stats.Partitioned}, {"messages delayed", stats.Delayed},
			{"requests cut part-way", stats.CutRequests}, {"responses cut part-way", stats.CutResponses},
			{"requests duplicated", stats.Duplicates}, {"rounds failed", failed},
			{"events sent again after the center stored them", again},
			{"people added at the center", ed.adds}, {"people removed at the center", ed.removes},
			{"badges reprinted at the center", ed.reprints}, {"capacities changed at the center", ed.capacities},
			{"grants applied after enrollment", grants}, {"rights returned after enrollment", returns}} {
			if f.n == 0 {
				t.Errorf("no %s: the run did not test what it means to", f.what)
			}
		}

		// Exactly once, and occupancy.
		for i, k := range dbs {
			if n := MustPending(t, k); n != 0 {
				t.Errorf("kiosk %d: %d events still wait to be pushed", i, n)
			}
		}
		CheckCenterHolds(t, c, dbs)
		// Convergence of the roster, and the rights books.
		top := mustTopSeq(t, dsn)
		for i, k := range dbs {
			checkSameRoster(t, fmt.Sprintf("kiosk %d", i), dsn, k, top)
		}
		checkRightsBooks(t, c, dbs)
	})
}

// faultKiosk is one kiosk of TestSyncUnderFaults.
type faultKiosk struct {
	i       int
	door    string
	db      *store.DB
	syncer  *kiosksync.Syncer
	actions []faultAction
	extra   chan string // codes the center's edits give this door to scan

	enrolled   int // log rows when the storm began
	ok, failed int // rounds
	again      int // events sent that the center already held
}

// faultAction is one scan, or a staff action, at a kiosk.
type faultAction struct {
	code   string
	dir    checkin.Direction
	adjust int  // a headcount change instead of a scan
	undo   bool // take back the last admission
}

// faultActions is a door's day for people, in an order drawn from seed:
// each enters, some leave, some come back, some try twice, with unknown
// and unreadable codes, headcount changes and one undo.
func faultActions(people []checkin.Person, seed uint64) []faultAction {
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []faultAction
	for i, p := range people {
		out = append(out, faultAction{code: p.Code, dir: checkin.Entry})
		switch i % 5 {
		case 0, 3:
			out = append(out, faultAction{code: p.Code, dir: checkin.Exit})
		case 1:
			out = append(out, faultAction{code: p.Code, dir: checkin.Entry})
		}
	}
	for i := range len(people) / 8 {
		out = append(out, faultAction{code: fmt.Sprintf("U-NOSUCH%06d", seed*1000+uint64(i)), dir: checkin.Entry})
	}
	for range len(people) / 20 {
		out = append(out, faultAction{code: "bad\tcode", dir: checkin.Entry})
	}
	for i := range len(people) / 15 {
		out = append(out, faultAction{adjust: 1 - 2*(i%2)})
	}
	out = append(out, faultAction{undo: true})
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// storm runs rounds sync rounds, each while the kiosk scans its next
// share of actions and whatever codes the center's edits sent it. A
// round may fail only as offline.
func (k *faultKiosk) storm(ctx context.Context, rounds int, ticks chan<- struct{}) error {
	per := (len(k.actions) + rounds - 1) / rounds
	type outcome struct {
		res kiosksync.Result
		err error
	}
	for r := range rounds {
		done := make(chan outcome, 1)
		go func() {
			res, err := k.syncer.Round(ctx)
			done <- outcome{res, err}
		}()
		burst := k.actions[min(r*per, len(k.actions)):min((r+1)*per, len(k.actions))]
		var scanErr error
		for _, a := range burst {
			if scanErr = k.do(ctx, a); scanErr != nil {
				break
			}
		}
	drain:
		for scanErr == nil {
			select {
			case code := <-k.extra:
				scanErr = k.do(ctx, faultAction{code: code, dir: checkin.Entry})
			default:
				break drain
			}
		}
		o := <-done
		if scanErr != nil {
			return scanErr
		}
		k.again += o.res.Pushed - o.res.Accepted
		switch code := checkin.ErrorCode(o.err); {
		case o.err == nil:
			k.ok++
		case code == checkin.EOFFLINE:
			k.failed++
		default:
			return fmt.Errorf("round %d: %v (code %q), want success or offline", r, o.err, code)
		}
		select {
		case ticks <- struct{}{}:
		default:
		}
	}
	return nil
}

func (k *faultKiosk) do(ctx context.Context, a faultAction) error {
	var err error
	switch {
	case a.undo:
		_, err = k.db.Undo(ctx, k.door, time.Hour)
	case a.adjust != 0:
		_, err = k.db.Adjust(ctx, k.door, a.adjust, "fault test")
	default:
		_, err = k.db.Scan(ctx, checkin.Scan{Code: a.code, Door: k.door, Direction: a.dir})
	}
	if err != nil {
		return fmt.Errorf("%+v: %v", a, err)
	}
	return nil
}

// editor makes the center's roster edits during the storm: people
// added, removed and given reprinted badges, each person at the door
// that scans them; and now and then a partition.
type editor struct {
	c      *center
	rng    *rand.Rand
	kiosks []*faultKiosk
	people [][]checkin.Person // per kiosk, those the editor may change
	proxy  *faultproxy.Proxy

	capacity                            int // capacities set are drawn from [capacity/4, 5/4 capacity)
	removed                             map[string]bool
	n                                   int
	adds, removes, reprints, capacities int
}

func (e *editor) edit(ctx context.Context) error {
	e.n++
	k := e.rng.IntN(len(e.kiosks))
	send := func(code string) {
		select {
		case e.kiosks[k].extra <- code:
		default:
		}
	}
	if e.n%20 == 1 {
		e.proxy.Partition(30 * time.Millisecond)
	}
	people := e.people[k]
	p := people[e.rng.IntN(len(people))]
	switch r := e.rng.IntN(10); {
	case r < 2:
		// A capacity changed: kiosks pulling it give back all their
		// rights of the space, and a lowering below the people inside
		// leaves the center in debt.
		space := []string{"venue", "ballroom"}[e.rng.IntN(2)]
		n := e.capacity/4 + e.rng.IntN(e.capacity)
		if _, err := e.c.db.SetCapacity(ctx, space, n); err != nil {
			return fmt.Errorf("capacity of %s to %d: %w", space, n, err)
		}
		e.capacities++
	case r < 5:
		np := checkin.Person{ID: fmt.Sprintf("F%06d", e.n), Name: fmt.Sprintf("Walk In %d", e.n),
			Category: "attendee", Code: fmt.Sprintf("U-FAULTADD%04d", e.n)}
		if err := e.c.db.AddPerson(ctx, np); err != nil {
			return fmt.Errorf("add %s: %w", np.ID, err)
		}
		e.adds++
		e.people[k] = append(e.people[k], np)
		send(np.Code)
	case r < 8:
		if e.removed[p.ID] {
			return nil
		}
		if err := e.c.db.RevokePerson(ctx, p.ID); err != nil {
			return fmt.Errorf("remove %s: %w", p.ID, err)
		}
		e.removed[p.ID] = true
		e.removes++
		send(p.Code)
	default:
		if e.removed[p.ID] {
			return nil
		}
		code := fmt.Sprintf("U-FAULTNEW%04d", e.n)
		if _, err := e.c.db.ReprintBadge(ctx, p.ID, code); err != nil {
			return fmt.Errorf("reprint %s: %w", p.ID, err)
		}
		e.reprints++
		for i := range e.people[k] {
			if e.people[k][i].ID == p.ID {
				e.people[k][i].Code = code
			}
		}
		send(p.Code)
		send(code)
	}
	return nil
}

// mustSettle runs rounds of every kiosk, one after the other, until a
// whole pass moves nothing: nothing pushed, granted or returned, and the
// center's sequence where it was. It returns the passes it took.
func mustSettle(t *testing.T, c *center, dbs []*store.DB, kiosks []*faultKiosk) int {
	t.Helper()
	const most = 8
	for pass := 1; ; pass++ {
		before := mustTopSeq(t, c.dsn)
		moved := false
		for _, k := range kiosks {
			res := MustRound(t, fmt.Sprintf("kiosk %d settling, pass %d", k.i, pass), k.syncer)
			if res.Pushed > 0 || res.Granted > 0 || res.Returned > 0 || res.People > 0 || res.Revocations > 0 {
				moved = true
			}
		}
		if !moved && mustTopSeq(t, c.dsn) == before {
			return pass
		}
		if pass == most {
			t.Fatalf("the kiosks still move rights or events after %d passes with the network healed", most)
		}
	}
}

// openCenterSQL opens a connection of the test's own to a center's
// database.
func openCenterSQL(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	driver, source := "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	if centralstore.IsPostgres(dsn) {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// mustTopSeq returns the center's last server sequence value.
func mustTopSeq(tb testing.TB, dsn string) int64 {
	tb.Helper()
	var top int64
	if err := openCenterSQL(tb, dsn).QueryRow(`SELECT value FROM counters WHERE name = 'seq'`).Scan(&top); err != nil {
		tb.Fatal(err)
	}
	return top
}

// rosterPerson is one person as a roster holds them: for the center,
// code is their current code ("" when removed); for a kiosk, the one
// code of theirs it does not deny as revoked ("" for none).
type rosterPerson struct {
	Name, Company, Email, Category, Tags string
	Serial                               int64
	Removed                              bool
	Code                                 string
}

// checkSameRoster checks that a kiosk holds the center's roster: the same
// people with the same fields (no email), each with their current code valid and no
// other, the removed with none; the same revoked badge serials; and its
// pull cursor at top.
func checkSameRoster(t *testing.T, what, dsn string, k *store.DB, top int64) {
	t.Helper()
	center, kiosk := map[string]rosterPerson{}, map[string]rosterPerson{}
	cdb := openCenterSQL(t, dsn)
	// The kiosk holds every field but the email: kiosks get only what
	// they show or decide with.
	rows, err := cdb.Query(`SELECT id, name, company, '', category, tags, code, serial, removed FROM people`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			id      string
			p       rosterPerson
			removed int
		)
		if err := rows.Scan(&id, &p.Name, &p.Company, &p.Email, &p.Category, &p.Tags, &p.Code, &p.Serial, &removed); err != nil {
			t.Fatal(err)
		}
		if p.Removed = removed != 0; p.Removed {
			p.Code = ""
		}
		center[id] = p
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err = k.SQL().Query(`
		SELECT p.id, p.name, p.company, p.email, p.category, p.tags, p.serial, p.removed,
			coalesce((SELECT group_concat(c.code, ' ') FROM codes c WHERE c.person_id = p.id AND c.revoked = 0), '')
		FROM people p`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			id      string
			p       rosterPerson
			removed int
		)
		if err := rows.Scan(&id, &p.Name, &p.Company, &p.Email, &p.Category, &p.Tags, &p.Serial, &removed, &p.Code); err != nil {
			t.Fatal(err)
		}
		p.Removed = removed != 0
		kiosk[id] = p
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(center) != len(kiosk) {
		t.Errorf("%s holds %d people, the center %d", what, len(kiosk), len(center))
	}
	shown := 0
	for id, cp := range center {
		kp, ok := kiosk[id]
		if cp.Removed && kp.Removed {
			// A kiosk keeps what it knew of a person when they are
			// removed (a reprint's serial that came with the removal is
			// not taken in): a removed person is denied whatever their
			// fields, so only having no valid code matters.
			cp, kp = rosterPerson{Removed: true, Code: cp.Code}, rosterPerson{Removed: true, Code: kp.Code}
		}
		if !ok || kp != cp {
			t.Errorf("%s: person %s is %+v there, %+v at the center", what, id, kp, cp)
			if shown++; shown == 5 {
				break
			}
		}
	}
	revoked := func(db *sql.DB) []string {
		rows, err := db.Query(`SELECT person_id, serial FROM revocations ORDER BY person_id, serial`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var (
				id     string
				serial int64
			)
			if err := rows.Scan(&id, &serial); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s#%d", id, serial))
		}
		return out
	}
	if c, kr := revoked(cdb), revoked(k.SQL()); !slices.Equal(c, kr) {
		t.Errorf("%s: revoked badges %v, at the center %v", what, kr, c)
	}
	if cursor, err := k.Cursor(context.Background()); err != nil || cursor != top {
		t.Errorf("%s: pull cursor %d (%v), the center's sequence is at %d", what, cursor, err, top)
	}
}

// checkRightsBooks checks the capacity rights after settling, when
// nothing is in transit: per counter, the center's inside + held +
// reserve = capacity + debt; the center's view of each kiosk's rights is
// what the kiosk's log adds up to and what it holds; every grant reached
// its kiosk; and the center counts inside what the kiosks spent less
// what they credited.
func checkRightsBooks(t *testing.T, c *center, dbs []*store.DB) {
	t.Helper()
	cdb := openCenterSQL(t, c.dsn)
	perKiosk := func(q string) map[string]map[string]int {
		rows, err := cdb.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]map[string]int{}
		for rows.Next() {
			var (
				k, counter string
				n          int
			)
			if err := rows.Scan(&k, &counter, &n); err != nil {
				t.Fatal(err)
			}
			if out[k] == nil {
				out[k] = map[string]int{}
			}
			out[k][counter] = n
		}
		return out
	}
	holdings := perKiosk(`SELECT kiosk_id, counter, n FROM holdings`)
	granted := perKiosk(`SELECT kiosk_id, counter, sum(n) FROM grants GROUP BY kiosk_id, counter`)
	inside, held := map[string]int{}, map[string]int{}
	for i, k := range dbs {
		id := MustID(t, k).KioskID
		balance, applied := map[string]int{}, map[string]int{}
		for _, e := range MustKioskLog(t, k) {
			for _, r := range e.Rights {
				balance[r.Counter] += r.Delta()
				switch r.Kind {
				case checkin.RightGrant:
					applied[r.Counter] += r.N
				case checkin.RightSpend:
					inside[r.Counter] += r.N
				case checkin.RightCredit:
					inside[r.Counter] -= r.N
				}
			}
		}
		mine := k.Balances()
		for _, sp := range k.Event().Spaces {
			ctr := sp.ID
			held[ctr] += balance[ctr]
			switch {
			case mine[ctr] != balance[ctr]:
				t.Errorf("kiosk %d holds %d rights of %s; its log adds up to %d", i, mine[ctr], ctr, balance[ctr])
			case holdings[id][ctr] != balance[ctr]:
				t.Errorf("the center counts kiosk %d holding %d rights of %s; it holds %d", i, holdings[id][ctr], ctr, balance[ctr])
			}
			if granted[id][ctr] != applied[ctr] {
				t.Errorf("the center granted kiosk %d %d rights of %s; it applied %d", i, granted[id][ctr], ctr, applied[ctr])
			}
		}
	}
	st := c.MustStatus(t)
	if len(st.Rights) == 0 {
		t.Fatal("the center's status has no rights books")
	}
	for _, r := range st.Rights {
		if r.Inside+r.Held+r.Reserve != r.Cap+r.Debt || r.Inside < 0 || r.Held < 0 || r.Reserve < 0 || r.Debt < 0 {
			t.Errorf("%s: inside %d + held %d + reserve %d ≠ capacity %d + debt %d (or one is negative)",
				r.Counter, r.Inside, r.Held, r.Reserve, r.Cap, r.Debt)
		}
		if int(r.Inside) != inside[r.Counter] || int(r.Held) != held[r.Counter] {
			t.Errorf("%s: the center counts %d inside and %d held; the kiosks' logs say %d and %d",
				r.Counter, r.Inside, r.Held, inside[r.Counter], held[r.Counter])
		}
	}
	var books []string
	for _, r := range st.Rights {
		books = append(books, fmt.Sprintf("%s %d inside + %d held + %d reserve = %d", r.Counter, r.Inside, r.Held, r.Reserve, r.Cap+r.Debt))
	}
	t.Logf("rights: %s; occupancy %v", strings.Join(books, "; "), st.Occupancy)
}
