package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/internal/benchfix"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/server"
	"usher/sync/wire"
)

var (
	benchOnce sync.Once
	benchTmpl string // the center's database as imported, never opened again
	benchDir  string // the databases the benchmarks time: on the temp folder's disk
	scratch   string // templates, in memory where possible
	benchN    int    // databases made in benchDir
	benchErr  error
)

// MustBenchCenter returns a copy, of its own, of a central database
// (SQLite) holding the demo event and the benchmark roster
// (benchfix.People() people), imported once per process.
func MustBenchCenter(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		if scratch, benchErr = benchfix.ScratchDir(); benchErr != nil {
			return
		}
		if benchDir, benchErr = os.MkdirTemp("", "usher-bench-central-"); benchErr != nil {
			return
		}
		benchTmpl = filepath.Join(scratch, "central.db")
		db, err := centralstore.Open(benchTmpl)
		if err != nil {
			benchErr = err
			return
		}
		defer db.Close()
		_, benchErr = db.Import(context.Background(), demo.Event(), benchfix.Roster(), nil)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	path := benchPath("central")
	if err := benchfix.CopyDB(benchTmpl, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchPath returns a new database path in benchDir.
func benchPath(name string) string {
	benchN++
	return filepath.Join(benchDir, fmt.Sprintf("%s-%d.db", name, benchN))
}

// quiet writes back what earlier steps left dirty in the OS page cache
// and collects garbage, so that a timed step does not pay for them.
func quiet() {
	syscall.Sync()
	runtime.GC()
}

// pullAll pulls every page after cursor, in pages of a kiosk's size,
// through the real HTTP API with gzip, the way a kiosk does, and returns
// the wire bytes, the new cursor and how many people came.
func pullAll(b *testing.B, url, token string, cursor int64) (int64, int64, int) {
	var wireBytes int64
	people := 0
	for {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s?cursor=%d&limit=%d", url, wire.PathPull, cursor, kiosksync.PullLimit), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("pull: %d %v", resp.StatusCode, err)
		}
		wireBytes += int64(len(raw))
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		var page wire.PullResponse
		if err := json.NewDecoder(zr).Decode(&page); err != nil {
			b.Fatal(err)
		}
		people += len(page.People)
		cursor = page.Cursor
		if !page.More {
			return wireBytes, cursor, people
		}
	}
}

// mustEnrollCode makes a one-time enrollment code for door at the center
// served at url.
func mustEnrollCode(b *testing.B, db *centralstore.DB, url, door string) string {
	tok, err := db.CreateEnrollment(context.Background(), door)
	if err != nil {
		b.Fatal(err)
	}
	return wire.EnrollCode{URL: url, Door: door, Token: tok}.String()
}

// changed is the roster the center holds after the incremental pulls'
// changes so far; changeRound counts them, also across -count runs.
var (
	changed     []checkin.Person
	changeRound int
)

// changeRoster makes the next round of incremental changes to the center's
// roster, as an organizer's import of an updated roster file does: 100
// people change, 60 of them edited (name, company or email), 20 given a
// reprinted badge (a new code, which revokes the old one), 10 newly
// registered, 10 taken off the roster. Each round touches other people.
func changeRoster() []checkin.Person {
	if changed == nil {
		changed = slices.Clone(benchfix.Roster())
	}
	changeRound++
	r := changeRound
	n := len(changed)
	at := func(k int) int { return (r*7919 + k*(n/97)) % n } // spread over the roster
	for k := range 60 {
		p := &changed[at(k)]
		switch k % 3 {
		case 0:
			p.Name = fmt.Sprintf("Renamed %d-%d", r, k)
		case 1:
			p.Company = fmt.Sprintf("Company %d-%d", r, k)
		case 2:
			p.Email = fmt.Sprintf("changed-%d-%d@example.org", r, k)
		}
	}
	for k := 60; k < 80; k++ {
		changed[at(k)].Code = fmt.Sprintf("U-REPRINT%04d%02d", r, k)
	}
	gone := map[int]bool{}
	for k := 80; k < 90; k++ {
		gone[at(k)] = true
	}
	kept := changed[:0:0]
	for i, p := range changed {
		if !gone[i] {
			kept = append(kept, p)
		}
	}
	for k := range 10 {
		kept = append(kept, checkin.Person{
			ID: fmt.Sprintf("N%04d%02d", r, k), Name: fmt.Sprintf("Newly Registered %d-%d", r, k),
			Category: "attendee", Code: fmt.Sprintf("U-NEW%04d%02d", r, k),
		})
	}
	changed = kept
	return changed
}

// BenchmarkPull measures pulls from a center holding the benchmark
// roster, over loopback HTTP with gzip, in the kiosk's page size:
//
//   - Full: the bytes of a first, full pull (bytes/pull).
//   - Apply: a new kiosk enrolling and applying the full pull
//     (kiosksync.Enroll: the enrollment, every page in its own
//     transaction, the first capacity rights), into a fresh database.
//   - ApplyFloor: its floor, every person and code bulk-inserted into a
//     fresh kiosk database in one transaction (benchfix.BulkInsert).
//     The goal is Apply ≤ 2 × ApplyFloor.
//   - Incremental100: a pull after 100 people changed (changeRoster), its
//     bytes, and those as a share of the full pull's (%of-full). The
//     issue's goal is ≤ 1 %.
func BenchmarkPull(b *testing.B) {
	dsn := MustBenchCenter(b)
	db, err := centralstore.Open(dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(server.New(db, nil))
	defer srv.Close()
	ctx := context.Background()
	k, err := db.Enroll(ctx, mustEnrollCodeToken(b, db), "bench")
	if err != nil {
		b.Fatal(err)
	}
	total := benchfix.People()

	var fullBytes int64
	var top int64
	b.Run("Full", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n, cursor, people := pullAll(b, srv.URL, k.Token, 0)
			if people < total {
				b.Fatalf("full pull gave %d people, want at least %d", people, total)
			}
			fullBytes, top = n, cursor
		}
		b.ReportMetric(float64(fullBytes), "bytes/pull")
	})

	b.Run("Apply", func(b *testing.B) {
		cpu := benchfix.CPUClock{B: b}
		for range b.N {
			b.StopTimer()
			path := benchPath("kiosk")
			kdb, err := store.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			code := mustEnrollCode(b, db, srv.URL, "main")
			quiet()
			b.StartTimer()
			cpu.Start()
			if err := kiosksync.Enroll(ctx, kdb, code, nil); err != nil {
				b.Fatal(err)
			}
			cpu.Stop()
			b.StopTimer()
			var n int
			if err := kdb.SQL().QueryRowContext(ctx, `SELECT count(*) FROM people`).Scan(&n); err != nil || n < total {
				b.Fatalf("the kiosk holds %d people after its first pull, want at least %d (%v)", n, total, err)
			}
			kdb.Close()
			if err := benchfix.RemoveDB(path); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		cpu.Report()
	})

	b.Run("ApplyFloor", func(b *testing.B) {
		cpu := benchfix.CPUClock{B: b}
		for range b.N {
			b.StopTimer()
			path := benchPath("floor")
			kdb, err := store.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			kdb.Close()
			sdb, err := sql.Open("sqlite", store.DSN(path))
			if err == nil {
				err = sdb.PingContext(ctx) // connect and set the pragmas untimed, as store.Open did
			}
			if err != nil {
				b.Fatal(err)
			}
			quiet()
			b.StartTimer()
			cpu.Start()
			if err := benchfix.BulkInsert(ctx, sdb, total); err != nil {
				b.Fatal(err)
			}
			cpu.Stop()
			b.StopTimer()
			sdb.Close()
			if err := benchfix.RemoveDB(path); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		cpu.Report()
	})

	b.Run("Incremental100", func(b *testing.B) {
		var incBytes int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			if _, err := db.Import(ctx, demo.Event(), changeRoster(), nil); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			n, cursor, people := pullAll(b, srv.URL, k.Token, top)
			if people != 100 {
				b.Fatalf("incremental pull gave %d people, want 100", people)
			}
			incBytes, top = n, cursor
		}
		b.ReportMetric(float64(incBytes), "bytes/pull")
		if fullBytes > 0 {
			b.ReportMetric(100*float64(incBytes)/float64(fullBytes), "%of-full")
		}
	})
}

// mustEnrollCodeToken makes a one-time enrollment token for door main.
func mustEnrollCodeToken(b *testing.B, db *centralstore.DB) string {
	tok, err := db.CreateEnrollment(context.Background(), "main")
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// pushScans is how many offline scans the push benchmark's kiosk holds;
// pushInside how many people its scan pattern keeps inside.
const (
	pushScans  = 100_000
	pushInside = 20
)

var (
	pushOnce   sync.Once
	pushCenter string       // the center after the kiosk enrolled, as template
	pushKiosk  string       // the kiosk with its scans unpushed, as template
	pushEvents []wire.Event // what it will push
	pushErr    error
)

// MustPushFixture builds, once per process, a center holding the
// benchmark roster and a kiosk at door main enrolled with it that then
// scanned pushScans badges offline (admissions and exits), none pushed.
// It returns template copies of both databases, and the kiosk's pending
// events. Both are built in benchfix.ScratchDir, so that 100,000 durable
// scans do not wait for the disk.
func MustPushFixture(b *testing.B) (center, kiosk string, events []wire.Event) {
	b.Helper()
	path := MustBenchCenter(b)
	pushOnce.Do(func() {
		ctx := context.Background()
		pushCenter, pushKiosk = filepath.Join(scratch, "push-central.db"), filepath.Join(scratch, "push-kiosk.db")
		if pushErr = benchfix.CopyDB(path, pushCenter); pushErr != nil {
			return
		}
		db, err := centralstore.Open(pushCenter)
		if err != nil {
			pushErr = err
			return
		}
		defer db.Close()
		srv := httptest.NewServer(server.New(db, nil))
		defer srv.Close()
		kdb, err := store.Open(pushKiosk)
		if err != nil {
			pushErr = err
			return
		}
		defer kdb.Close()
		if pushErr = kiosksync.Enroll(ctx, kdb, mustEnrollCode(b, db, srv.URL, "main"), nil); pushErr != nil {
			return
		}
		srv.Close() // offline from here on
		people := benchfix.Roster()
		for i := range pushScans {
			s := i - pushInside // the first pushInside scans admit, steps -2*pushInside, -2*pushInside+2, …
			if i < pushInside {
				s = 2 * (i - pushInside)
			}
			d, err := kdb.Scan(ctx, benchfix.ScanAt(people, "main", pushInside, 0, s))
			if err == nil && !d.Moves() {
				err = fmt.Errorf("offline scan %d: %s (%s)", s, d.Reason, d.Message)
			}
			if err != nil {
				pushErr = err
				return
			}
		}
		pushEvents, pushErr = kdb.Pending(ctx, 2*pushScans)
		if pushErr == nil && len(pushEvents) < pushScans {
			pushErr = fmt.Errorf("the kiosk has %d events to push, want at least %d", len(pushEvents), pushScans)
		}
	})
	if pushErr != nil {
		b.Fatal(pushErr)
	}
	return pushCenter, pushKiosk, pushEvents
}

// BenchmarkPush measures a kiosk that scanned 100,000 badges offline
// coming back: one sync round (kiosksync.Syncer.Round) pushes them all
// over loopback HTTP, in batches, and the center stores each once and
// merges it (books its capacity rights, matches exits with admissions);
// then the round exchanges rights and pulls what changed. PushFloor is
// its floor: the same events bulk-inserted into a copy of the same
// center's events table in one transaction, with the center's pragmas.
// Both start from copies of the same databases on the temp folder's
// disk. The goal is Push ≤ 2 × PushFloor.
func BenchmarkPush(b *testing.B) {
	centerTmpl, kioskTmpl, events := MustPushFixture(b)
	ctx := context.Background()

	b.Run("Push", func(b *testing.B) {
		cpu := benchfix.CPUClock{B: b}
		for range b.N {
			b.StopTimer()
			center, kiosk := benchPath("push-central"), benchPath("push-kiosk")
			if err := benchfix.CopyDB(centerTmpl, center); err != nil {
				b.Fatal(err)
			}
			if err := benchfix.CopyDB(kioskTmpl, kiosk); err != nil {
				b.Fatal(err)
			}
			db, err := centralstore.Open(center)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(server.New(db, nil))
			kdb, err := store.Open(kiosk)
			if err != nil {
				b.Fatal(err)
			}
			// The kiosk knows the center by the address it had when it
			// enrolled: send its requests to this one's.
			addr := srv.Listener.Addr().String()
			hc := &http.Client{Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, addr)
				},
			}}
			sy := kiosksync.New(kdb, hc)
			quiet()
			b.StartTimer()
			cpu.Start()
			res, err := sy.Round(ctx)
			cpu.Stop()
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if res.Accepted < len(events) {
				b.Fatalf("the center took %d of %d events", res.Accepted, len(events))
			}
			if w, err := kdb.Waiting(ctx); err != nil || w != 0 {
				b.Fatalf("%d scans still waiting after the round (%v)", w, err)
			}
			kdb.Close()
			srv.Close()
			db.Close()
			for _, p := range []string{center, kiosk} {
				if err := benchfix.RemoveDB(p); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		cpu.Report()
		b.ReportMetric(float64(len(events)), "events/op")
		b.ReportMetric(float64(len(events)*b.N)/b.Elapsed().Seconds(), "events/s")
	})

	b.Run("PushWireFloor", func(b *testing.B) {
		cpu := benchfix.CPUClock{B: b}
		for range b.N {
			b.StopTimer()
			center, kiosk := benchPath("wire-central"), benchPath("wire-kiosk")
			if err := benchfix.CopyDB(centerTmpl, center); err != nil {
				b.Fatal(err)
			}
			if err := benchfix.CopyDB(kioskTmpl, kiosk); err != nil {
				b.Fatal(err)
			}
			sdb, err := sql.Open("sqlite", centralstore.SQLiteDSN(center))
			if err == nil {
				err = sdb.PingContext(ctx)
			}
			if err != nil {
				b.Fatal(err)
			}
			kdb, err := store.Open(kiosk)
			if err != nil {
				b.Fatal(err)
			}
			quiet()
			b.StartTimer()
			cpu.Start()
			if err := benchWireFloor(ctx, b, kdb, sdb); err != nil {
				b.Fatal(err)
			}
			cpu.Stop()
			b.StopTimer()
			if w, err := kdb.Waiting(ctx); err != nil || w != 0 {
				b.Fatalf("%d scans still waiting after the wire floor (%v)", w, err)
			}
			kdb.Close()
			sdb.Close()
			for _, p := range []string{center, kiosk} {
				if err := benchfix.RemoveDB(p); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		cpu.Report()
		b.ReportMetric(float64(len(events)), "events/op")
	})

	b.Run("PushFloor", func(b *testing.B) {
		cpu := benchfix.CPUClock{B: b}
		for range b.N {
			b.StopTimer()
			center := benchPath("floor-central")
			if err := benchfix.CopyDB(centerTmpl, center); err != nil {
				b.Fatal(err)
			}
			sdb, err := sql.Open("sqlite", centralstore.SQLiteDSN(center))
			if err == nil {
				err = sdb.PingContext(ctx)
			}
			if err != nil {
				b.Fatal(err)
			}
			quiet()
			b.StartTimer()
			cpu.Start()
			if err := insertEvents(ctx, sdb, "floor-kiosk", events); err != nil {
				b.Fatal(err)
			}
			cpu.Stop()
			b.StopTimer()
			sdb.Close()
			if err := benchfix.RemoveDB(center); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		cpu.Report()
		b.ReportMetric(float64(len(events)), "events/op")
	})
}

// benchWireFloor is the least a push over the wire can do: the kiosk
// reads its log in batches of wire.MaxPushEvents, sends each as
// gzip-compressed JSON over loopback HTTP, and a handler decodes it and
// inserts its events in one transaction before it answers; the kiosk
// moves its mark. No rule runs, nothing is checked or merged.
func benchWireFloor(ctx context.Context, b *testing.B, kdb *store.DB, sdb *sql.DB) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		var req wire.PushRequest
		if err == nil {
			err = json.NewDecoder(zr).Decode(&req)
		}
		if err == nil {
			err = insertEvents(r.Context(), sdb, "floor-kiosk", req.Events)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	for {
		events, err := kdb.Pending(ctx, wire.MaxPushEvents)
		if err != nil || len(events) == 0 {
			return err
		}
		var body bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&body, gzip.BestSpeed)
		if err := json.NewEncoder(zw).Encode(wire.PushRequest{Events: events}); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		resp, err := http.Post(srv.URL, "application/json", &body)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("wire floor: %s", resp.Status)
		}
		if err := kdb.MarkPushed(ctx, events[len(events)-1].Seq); err != nil {
			return err
		}
	}
}

// insertEvents is the least storing pushed events can do: every event
// inserted into the center's events table with one prepared statement in
// one transaction.
func insertEvents(ctx context.Context, sdb *sql.DB, kiosk string, events []wire.Event) error {
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `
		INSERT INTO events (kiosk_id, seq, hlc, at, door, direction, method, code, person_id, decision, reason,
			space, note, from_loc, location, delta, undoes, received_at, flagged, rights, cursor, rseq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	orNil := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for _, e := range events {
		var rights any
		if len(e.Rights) > 0 {
			r, err := json.Marshal(e.Rights)
			if err != nil {
				return err
			}
			rights = string(r)
		}
		var undoes any
		if e.Undoes != 0 {
			undoes = e.Undoes
		}
		if _, err := ins.ExecContext(ctx, kiosk, e.Seq, int64(e.HLC), e.At, e.Door, e.Direction, e.Method, e.Code,
			orNil(e.Person), e.Decision, e.Reason, e.Space, e.Note, orNil(e.From), orNil(e.Location), e.Delta,
			undoes, e.At, 0, rights, e.Cursor, 1); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{benchDir, scratch} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}
