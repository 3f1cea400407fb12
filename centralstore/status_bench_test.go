package centralstore_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/centralstore"
	"usher/dashboard"
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
// before the live figures. And the dashboard's own live fragment: the
// view its poll builds (dashboard.BuildView: the status, the door totals
// and the trend lines kept by each push), dash-p50-ms and dash-p99-ms;
// the whole fragment, GET /live/dashboard as a signed-in organizer's
// page sends it (that view rendered), frag-p50-ms and frag-p99-ms;
// moves-ms, the time of one History with every stay's moves, which that
// view read for its door totals and trend lines before they were kept.
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
	// A signed-in organizer's page polling its fragment.
	if _, err := db.AddOrganizer(ctx, "bench", "a long bench password"); err != nil {
		b.Fatal(err)
	}
	token, err := db.SignIn(ctx, "bench", "a long bench password")
	if err != nil {
		b.Fatal(err)
	}
	dash := dashboard.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var polls, dashPolls, fragPolls []time.Duration
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
		start = time.Now()
		v, err := dashboard.BuildView(ctx, db, "bench", true)
		dashPolls = append(dashPolls, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if len(v.Doors) == 0 || v.Doors[0].Entries == 0 {
			b.Fatalf("the dashboard's doors: %+v", v.Doors)
		}
		req := httptest.NewRequest(http.MethodGet, dashboard.PathLive+"dashboard", nil)
		req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: token})
		rec := httptest.NewRecorder()
		start = time.Now()
		dash.ServeHTTP(rec, req)
		fragPolls = append(fragPolls, time.Since(start))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-door="main"`) ||
			strings.Contains(rec.Body.String(), "could not be read") {
			b.Fatalf("GET %sdashboard: %d\n%s", dashboard.PathLive, rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	slices.Sort(polls)
	b.ReportMetric(ms(polls[len(polls)/2]), "p50-ms")
	b.ReportMetric(ms(polls[(len(polls)*99)/100]), "p99-ms")
	slices.Sort(dashPolls)
	b.ReportMetric(ms(dashPolls[len(dashPolls)/2]), "dash-p50-ms")
	b.ReportMetric(ms(dashPolls[(len(dashPolls)*99)/100]), "dash-p99-ms")
	slices.Sort(fragPolls)
	b.ReportMetric(ms(fragPolls[len(fragPolls)/2]), "frag-p50-ms")
	b.ReportMetric(ms(fragPolls[(len(fragPolls)*99)/100]), "frag-p99-ms")
	b.ReportMetric(ms(replayed), "replay-ms")
	b.ReportMetric(ms(moved), "moves-ms")
}
