package loadtest

import (
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
		RoundsPerSec: 249.5, EventsAccepted: 3000, ServerCPUPercent: 71.2, Mismatches: []Mismatch{{}}}
	f := strings.Fields(r.BenchLine("SQLite"))
	if len(f)%2 != 0 || f[0] != "BenchmarkLoad/SQLite" || f[1] != "1" {
		t.Fatalf("bench line %q", f)
	}
	got := map[string]string{}
	for i := 2; i < len(f); i += 2 {
		got[f[i+1]] = f[i]
	}
	want := map[string]string{"ns/op": "30000000000", "round-p50-ms": "12.5", "round-p99-ms": "480.0", "ticks-missed": "3",
		"rounds-failed": "1", "rounds/s": "249.5", "events/s": "100.0", "mismatches": "1", "server-cpu-%": "71.2"}
	for unit, v := range want {
		if got[unit] != v {
			t.Errorf("%s: %q, want %q (line %q)", unit, got[unit], v, f)
		}
	}
}
