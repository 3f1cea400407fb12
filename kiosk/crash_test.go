package kiosk_test

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"usher/checkin"
	"usher/kiosk"
	"usher/store"
)

// crashSeedEnv, when set, is TestCrash's seed, to replay a run;
// otherwise the seed comes from the clock.
const crashSeedEnv = "USHER_CRASH_SEED"

// TestCrash parameters: each round runs two scanners on one database,
// one scanning in at a door and one scanning out at another, as a kiosk
// screen and a turnstile beside it would, and kills each with SIGKILL at
// a random moment.
const (
	crashRounds = 20
	crashPeople = 240 // enough to fill Workshop Room A (40)
	// maxLines is the most decisions a scanner prints before its kill;
	// one kill in startupKill lands at a random time after the start
	// instead, which may be while the database is being opened.
	maxLines    = 200
	startupKill = 6
)

// TestCrash is the promise that no acknowledged scan is lost: `usher
// scan` processes are fed badge codes as fast as they take them (people
// of a demo roster, strangers, misreads), killed with SIGKILL at random
// moments and started again on the same database. After each round the
// database is reopened and checked: it is intact; every decision that
// was printed is in the log under its seq, exactly as printed (code,
// decision, reason, person, door, direction); the log holds no decision
// that was not printed except, per killed scanner, the one it was
// printing when it died; every printed occupancy is the one the log
// gives up to that decision; nothing logged in an earlier round changed;
// and the occupancy the reopened store rebuilds is the log's, under
// every capacity.
func TestCrash(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, s, err)
		}
	}
	t.Logf("seed %d (again: %s=%d go test ./kiosk -run '^TestCrash$', or make crash CRASH_SEED=%d)", seed, crashSeedEnv, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	k := MustKioskOf(t, crashPeople)

	var (
		logged  []logRow // the log as of the last check
		kills   int
		scans   int // decisions printed
		extra   int // decisions logged but not printed (in flight at a kill)
		early   int // kills before a first decision was printed
		failed  int // log_failed decisions printed
		reasons = map[checkin.Reason]int{}
	)
	start := time.Now()
	for round := range crashRounds {
		in := k.ev.Doors[rng.IntN(len(k.ev.Doors))].ID
		out := k.ev.Doors[rng.IntN(len(k.ev.Doors))].ID
		scanners := []*scanner{
			startScanner(t, k, in, checkin.Entry, rng.Uint64()),
			startScanner(t, k, out, checkin.Exit, rng.Uint64()),
		}
		var wg sync.WaitGroup
		for _, s := range scanners {
			var (
				after = time.Duration(rng.Int64N(int64(80 * time.Millisecond)))
				lines = 0
				delay = time.Duration(rng.Int64N(int64(2 * time.Millisecond)))
			)
			if rng.IntN(startupKill) != 0 {
				after, lines = 0, 1+rng.IntN(maxLines)
			}
			wg.Go(func() { s.killAt(t, after, lines, delay) })
		}
		wg.Wait()

		db, err := store.Open(k.db)
		if err != nil {
			t.Fatalf("round %d: reopen after the kills: %v", round+1, err)
		}
		now := MustLog(t, db.SQL())
		checkIntegrity(t, db.SQL(), round)
		// The earlier rounds' log is still there, unchanged.
		if len(now) < len(logged) {
			t.Fatalf("round %d: the log has %d rows, it had %d", round+1, len(now), len(logged))
		}
		for i, r := range logged {
			if now[i] != r {
				t.Fatalf("round %d: row %d changed from %+v to %+v", round+1, i+1, r, now[i])
			}
		}
		bySeq := map[int64]int{}
		for i, r := range now {
			bySeq[r.seq] = i
		}
		printed := map[int64]bool{}
		occupancy := map[int64]printedOccupancy{}
		for _, s := range scanners {
			kills++
			if len(s.outs) == 0 {
				early++
			}
			last := int64(0)
			for i, o := range s.outs {
				scans++
				reasons[o.Reason]++
				what := fmt.Sprintf("round %d, %s scanner at %s, decision %d (%q %s/%s seq %d)",
					round+1, s.dir, s.door, i+1, o.Code, o.Decision, o.Reason, o.Seq)
				if o.Reason == checkin.LogFailed {
					failed++
					if o.Decision != checkin.Deny || o.Seq != 0 {
						t.Errorf("%s: log_failed must be a deny without a seq", what)
					}
					continue
				}
				at, ok := bySeq[o.Seq]
				if !ok {
					t.Errorf("%s: printed, but not in the log", what)
					continue
				}
				if o.Seq <= last {
					t.Errorf("%s: seq after %d", what, last)
				}
				last = o.Seq
				printed[o.Seq] = true
				r := now[at]
				if got, want := r.String(), rowOf(s, o).String(); got != want {
					t.Errorf("%s: logged %s, printed %s", what, got, want)
				}
				occupancy[o.Seq] = printedOccupancy{what, o.Occupancy}
			}
			// A decision that was committed but not printed is the one
			// in flight when the scanner died: after its last printed
			// one, and at most one.
			var unprinted []logRow
			for _, r := range now[len(logged):] {
				if !printed[r.seq] && r.door == s.door && r.direction == string(s.dir) {
					unprinted = append(unprinted, r)
				}
			}
			if len(unprinted) > 1 || len(unprinted) == 1 && unprinted[0].seq < last {
				t.Errorf("round %d, %s scanner at %s: %d decisions logged that it never printed (last printed seq %d): %v",
					round+1, s.dir, s.door, len(unprinted), last, unprinted)
			}
			extra += len(unprinted)
		}
		for _, r := range now[len(logged):] {
			if !printed[r.seq] && !fromScanners(scanners, r) {
				t.Errorf("round %d: row %+v belongs to neither scanner", round+1, r)
			}
		}
		// Every printed occupancy is the log's up to that decision, and
		// presence rebuilt from the log by the reopened store is the
		// log's; no step of the log goes over a capacity.
		final := walkLog(k.ev, now, func(r logRow, occ map[string]int) {
			if p, ok := occupancy[r.seq]; ok && !maps.Equal(p.occ, occ) {
				t.Errorf("%s: printed occupancy %v, the log up to it gives %v", p.what, p.occ, occ)
			}
			for id, n := range occ {
				if c := k.ev.Space(id).Capacity; n > c {
					t.Errorf("round %d: seq %d puts %d people in %s (capacity %d)", round+1, r.seq, n, id, c)
				}
			}
		})
		if got := db.Occupancy(); !maps.Equal(got, final) {
			t.Errorf("round %d: the reopened store's occupancy %v, the log's %v", round+1, got, final)
		}
		db.Close()
		logged = now
		if t.Failed() {
			t.Fatalf("round %d failed (seed %d)", round+1, seed)
		}
	}
	t.Logf("%d kills (%d before a first decision), %d decisions printed and found in the log as printed, "+
		"%d logged in flight and not printed, %d log_failed; %d rows in the log; %s; %v",
		kills, early, scans, extra, failed, len(logged), time.Since(start).Round(time.Millisecond), reasons)
	// The run must have exercised what it claims to.
	for _, r := range []checkin.Reason{checkin.Admitted, checkin.ExitRecorded, checkin.UnknownBadge, checkin.InvalidCode} {
		if reasons[r] == 0 {
			t.Errorf("no %s among the %d decisions: %v (seed %d)", r, scans, reasons, seed)
		}
	}
	if kills < 20 || scans < kills*maxLines/8 {
		t.Errorf("%d kills and %d decisions: too few to judge (seed %d)", kills, scans, seed)
	}
}

// scanner is one `usher scan` child process being fed codes.
type scanner struct {
	door   string
	dir    checkin.Direction
	cmd    *exec.Cmd
	stderr strings.Builder
	lines  chan struct{}  // a token per decision read
	done   chan struct{}  // closed when the output has been read to its end
	outs   []kiosk.Output // complete lines only: a line cut by the kill was never printed
	cut    string         // the cut line, if any
	fed    chan struct{}
}

// startScanner starts `usher scan` at door in direction dir, fed from a
// roster-and-noise stream of its own seed.
func startScanner(t *testing.T, k kioskDir, door string, dir checkin.Direction, seed uint64) *scanner {
	t.Helper()
	args := []string{"scan", "--db", k.db, "--door", door}
	if dir == checkin.Exit {
		args = append(args, "--exit")
	}
	s := &scanner{door: door, dir: dir, lines: make(chan struct{}, maxLines+1), done: make(chan struct{}), fed: make(chan struct{})}
	s.cmd = exec.Command(os.Args[0], "-test.run=^$")
	s.cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(args, "\n"))
	s.cmd.Stderr = &s.stderr
	stdin, err := s.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Feed codes until the process dies, so input is always waiting.
	go func() {
		defer close(s.fed)
		rng := rand.New(rand.NewPCG(seed, 1))
		w := bufio.NewWriter(stdin)
		for i := 0; ; i++ {
			var code string
			switch n := rng.IntN(20); {
			case n < 17:
				code = k.people[rng.IntN(len(k.people))].Code
			case n < 19:
				code = fmt.Sprintf("U-STRANGER%04d", rng.IntN(10000))
			default:
				code = "misread\x01" + fmt.Sprint(i)
			}
			w.WriteString(code + "\n")
			if i%16 == 15 {
				if err := w.Flush(); err != nil {
					return
				}
			}
		}
	}()
	go func() {
		defer close(s.done)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				s.cut = line
				return
			}
			var o kiosk.Output
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Errorf("%s scanner at %s: decision %d is not JSON: %v: %q", dir, door, len(s.outs)+1, err, line)
			}
			s.outs = append(s.outs, o)
			select {
			case s.lines <- struct{}{}:
			default:
			}
		}
	}()
	return s
}

// killAt kills the scanner with SIGKILL after it has printed lines
// decisions and then delay, or, for lines 0, once after has passed; and
// reads what it printed to the end.
func (s *scanner) killAt(t *testing.T, after time.Duration, lines int, delay time.Duration) {
	if lines == 0 {
		time.Sleep(after)
	}
	for range lines {
		select {
		case <-s.lines:
		case <-s.done:
		}
	}
	time.Sleep(delay)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill the %s scanner at %s: %v", s.dir, s.door, err)
	}
	// Read what it printed to the end before Wait closes the pipe.
	<-s.done
	werr := s.cmd.Wait()
	<-s.fed
	var exit *exec.ExitError
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !errors.As(werr, &exit) || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("the %s scanner at %s ended with %v, not by SIGKILL, after %d decisions:\n%s",
			s.dir, s.door, werr, len(s.outs), s.stderr.String())
	}
}

// fromScanners reports whether one of ss could have logged r: its door
// and direction.
func fromScanners(ss []*scanner, r logRow) bool {
	for _, s := range ss {
		if r.door == s.door && r.direction == string(s.dir) {
			return true
		}
	}
	return false
}

// logRow is what the crash test reads of a scan log row.
type logRow struct {
	seq                    int64
	door, direction        string
	code                   string
	decision, reason       string
	person, from, location string
}

// String is the row without its seq, to compare with what was printed.
func (r logRow) String() string {
	return fmt.Sprintf("%s %s %q %s/%s %s", r.door, r.direction, r.code, r.decision, r.reason, r.person)
}

// rowOf is the log row a printed decision of s stands for.
func rowOf(s *scanner, o kiosk.Output) logRow {
	r := logRow{door: s.door, direction: string(s.dir), code: o.Code, decision: string(o.Decision), reason: string(o.Reason)}
	if o.Person != nil {
		r.person = o.Person.ID
	}
	return r
}

// MustLog reads the whole scan log, oldest first.
func MustLog(tb testing.TB, db *sql.DB) []logRow {
	tb.Helper()
	rows, err := db.Query(`SELECT seq, door, direction, code, decision, reason,
		coalesce(person_id, ''), coalesce(from_loc, ''), coalesce(location, '') FROM scans ORDER BY seq`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []logRow
	for rows.Next() {
		var r logRow
		if err := rows.Scan(&r.seq, &r.door, &r.direction, &r.code, &r.decision, &r.reason, &r.person, &r.from, &r.location); err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// printedOccupancy is an occupancy a scanner printed, and which decision
// it printed it with.
type printedOccupancy struct {
	what string
	occ  map[string]int
}

// walkLog works out the occupancy a log gives, here, apart from the
// store: each person is where their last move took them, and counts in
// that space and every space around it. It calls f after each row with
// the occupancy up to it (f must not keep the map), and returns the
// final one.
func walkLog(ev *checkin.Event, log []logRow, f func(logRow, map[string]int)) map[string]int {
	where := map[string]string{}
	occ := map[string]int{}
	for _, s := range ev.Spaces {
		occ[s.ID] = 0
	}
	for _, r := range log {
		if r.location != "" && r.person != "" {
			for _, s := range ev.Chain(where[r.person]) {
				occ[s]--
			}
			where[r.person] = r.location
			for _, s := range ev.Chain(r.location) {
				occ[s]++
			}
		}
		f(r, occ)
	}
	return occ
}

func checkIntegrity(t *testing.T, db *sql.DB, round int) {
	t.Helper()
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("round %d: integrity_check: %q, %v", round+1, integrity, err)
	}
}
