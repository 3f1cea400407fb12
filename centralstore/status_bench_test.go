package centralstore_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"usher/centralstore"
	"usher/internal/benchfix"
)

var (
	statusOnce sync.Once
	statusDB   string // the center with benchfix.CenterEvents() events
	statusNow  time.Time
	statusErr  error
)

// mustStatusCenter returns the center the status poll is measured on,
// built once per process in a temp folder (benchfix.Center).
func mustStatusCenter(b *testing.B) (string, time.Time) {
	b.Helper()
	statusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "usher-bench-status-")
		if err != nil {
			statusErr = err
			return
		}
		statusDB = filepath.Join(dir, "central.db")
		start := time.Now()
		statusNow, statusErr = benchfix.Center(context.Background(), statusDB, benchfix.CenterEvents())
		b.Logf("center of %d events from %d kiosks built in %v", benchfix.CenterEvents(), benchfix.CenterKiosks, time.Since(start).Round(time.Second))
	})
	if statusErr != nil {
		b.Fatal(statusErr)
	}
	return statusDB, statusNow
}

// BenchmarkStatusPoll is one poll of the center's status (what the
// dashboard's live fragments, GET /status and `usher-central status`
// read) on a center holding a million events from 500 kiosks
// (USHER_BENCH_CENTER_EVENTS for fewer): p50-ms and p99-ms of the polls;
// replay-ms, the time of one replay of every event, which each poll took
// before the live figures; moves-ms, the time of one History with the
// moves, which the dashboard's own fragment still reads for its door
// totals and trend lines.
func BenchmarkStatusPoll(b *testing.B) {
	path, now := mustStatusCenter(b)
	db, err := centralstore.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Now = func() time.Time { return now }
	ctx := context.Background()
	start := time.Now()
	replay, err := centralstore.ReplayStatus(db, ctx)
	if err != nil {
		b.Fatal(err)
	}
	replayed := time.Since(start)
	// What the dashboard's fragment reads besides: every stay's moves
	// for its door totals and trend lines.
	start = time.Now()
	if _, _, err := db.History(ctx, true); err != nil {
		b.Fatal(err)
	}
	moved := time.Since(start)
	var polls []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		st, err := db.Status(ctx)
		polls = append(polls, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if len(st.Conflicts) != len(replay.Conflicts) || len(st.Kiosks) != benchfix.CenterKiosks {
			b.Fatalf("status has %d conflicts and %d kiosks, the replay %d and %d", len(st.Conflicts), len(st.Kiosks),
				len(replay.Conflicts), len(replay.Kiosks))
		}
	}
	b.StopTimer()
	slices.Sort(polls)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(polls[len(polls)/2]), "p50-ms")
	b.ReportMetric(ms(polls[(len(polls)*99)/100]), "p99-ms")
	b.ReportMetric(ms(replayed), "replay-ms")
	b.ReportMetric(ms(moved), "moves-ms")
}
