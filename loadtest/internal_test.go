package loadtest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Log lines that say the same thing count as one message, whatever the
// time, kiosk, address, database or number in them.
func TestLogKind(t *testing.T) {
	a := logKind("2026/11/26 13:52:34 usher-central: record kiosk K-1b670182a7 seen: database is locked (5) (SQLITE_BUSY)")
	b := logKind("2026/11/26 14:01:02 usher-central: record kiosk K-00ff00ff00 seen: database is locked (5) (SQLITE_BUSY)")
	if a != b || a != "usher-central: record kiosk … seen: database is locked (N) (SQLITE_BUSY)" {
		t.Errorf("%q\n%q", a, b)
	}
	c := logKind("2026/11/26 14:01:02 usher-central: server sequence: context canceled")
	if c == a {
		t.Errorf("two messages count as one: %q", c)
	}
}

// Nearest-rank percentiles of 1..100 ms.
func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := summarize(d)
	want := Latency{Count: 100, P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := summarize(nil); got != (Latency{}) {
		t.Errorf("empty: %+v", got)
	}
}

// This process's CPU time grows with work, and its memory is read.
func TestProcReadings(t *testing.T) {
	before, err := cpuTime("self")
	if err != nil {
		t.Fatal(err)
	}
	// Work until the reading moves (it counts in ticks of 10 ms); a
	// reading that never moves fails after 10 s.
	var after time.Duration
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		x := 0
		for range 1_000_000 {
			x++
		}
		if after, err = cpuTime("self"); err != nil {
			t.Fatal(err)
		}
		if after > before {
			break
		}
	}
	if after <= before {
		t.Errorf("CPU time %s then %s", before, after)
	}
	tree, err := treeCPU("self")
	if err != nil || tree < after {
		t.Errorf("tree CPU %s (%v) below the process's own %s", tree, err, after)
	}
	rss, peak, err := memory("self")
	if err != nil || rss <= 0 || peak < rss {
		t.Errorf("RSS %d, peak %d, %v", rss, peak, err)
	}
}

// The bench line carries every figure, each followed by its unit, as
// `go test -bench` writes them.
func TestBenchLine(t *testing.T) {
	r := &Report{Elapsed: 30, RoundLatency: Latency{P50: 12.5, P99: 480}, TicksMissed: 3, RoundsFailed: 1,
		RoundsPerSec: 249.5, EventsAccepted: 3000, ServerCPUPercent: 71.2, Mismatches: []Mismatch{{}},
		Kiosks: 500, Every: "2s", Rounds: 4000, ServerCPUSeconds: 20, ClientCPUSeconds: 30, DatabaseCPUSeconds: 10}
	f := strings.Fields(r.BenchLine("SQLite"))
	if len(f)%2 != 0 || f[0] != "BenchmarkLoad/SQLite" || f[1] != "1" {
		t.Fatalf("bench line %q", f)
	}
	got := map[string]string{}
	for i := 2; i < len(f); i += 2 {
		got[f[i+1]] = f[i]
	}
	want := map[string]string{"ns/op": "30000000000", "round-p50-ms": "12.5", "round-p99-ms": "480.0", "ticks-missed": "3",
		"rounds-failed": "1", "rounds/s": "249.5", "events/s": "100.0", "mismatches": "1", "server-cpu-%": "71.2",
		// 20 s, 30 s and 10 s over 4,000 rounds: 5, 7.5 and 2.5 ms a round;
		// 250 rounds a second of 15 ms each keep 3.75 cores busy.
		"server-cpu-ms/round": "5.00", "kiosk-cpu-ms/round": "7.50", "db-cpu-ms/round": "2.50", "cores-needed": "3.75"}
	for unit, v := range want {
		if got[unit] != v {
			t.Errorf("%s: %q, want %q (line %q)", unit, got[unit], v, f)
		}
	}
}

// A run that completed no round, or whose schedule does not parse,
// claims no cost and no cores rather than dividing by zero.
func TestCoresNeededWithoutRounds(t *testing.T) {
	for _, r := range []*Report{
		{Kiosks: 500, Every: "2s", ServerCPUSeconds: 20},
		{Kiosks: 500, Every: "often", Rounds: 10, ServerCPUSeconds: 20},
	} {
		if n := r.CoresNeeded(); n != 0 {
			t.Errorf("%+v: %v cores needed, want 0", r, n)
		}
	}
}

// The server's log in the report names every warning and error, however
// rare, beside the commonest other messages: a push answered 500 once in
// thousands of requests must not hide among "other messages".
func TestServerLogShowsEveryError(t *testing.T) {
	r := &Report{ServerLogLines: 100_000, ServerLogKinds: map[string]int{
		`level=ERROR msg="request failed" path=/vN/push err="deadlock detected"`: 1,
		`level=WARN msg="clock ahead" kiosk=…`:                                   2,
	}}
	for i := range 12 {
		r.ServerLogKinds[fmt.Sprintf("level=INFO msg=request path=/vN/p%d", i)] = 1000 + i
	}
	var b strings.Builder
	r.writeServerLog(&b)
	out := b.String()
	for _, want := range []string{"deadlock detected", "clock ahead", "/vN/p11", "/vN/p4", "… and 4 other messages"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "/vN/p3 ") || strings.Contains(out, "/vN/p3\n") {
		t.Errorf("the report lists more than the %d commonest quiet messages:\n%s", commonKinds, out)
	}
}
