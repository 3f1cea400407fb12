package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/internal/benchfix"
	"usher/store"
	"usher/sync/wire"
)

// restartScans is how many rows the restart benchmark's log holds: the
// issue's million, or USHER_BENCH_SCANS for quick runs.
func restartScans() int {
	if s := os.Getenv("USHER_BENCH_SCANS"); s != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || n < 10_000 {
			panic(fmt.Sprintf("USHER_BENCH_SCANS=%q: want a whole number of scans from 10000 up", s))
		}
		return n
	}
	return 1_000_000
}

// restartInside is how many people the restart benchmark's log keeps in
// the venue (benchfix.ScanAt), under the demo venue's capacity.
const restartInside = 1000

// restartPairs is how many starts from the snapshot, each paired with a
// bare start, a BenchmarkRestart op times beside its one whole replay:
// they are cheap, and their medians ride out a shared machine's noise.
const restartPairs = 7

// restartChunk is how many log rows the fixture writes between two
// pulls that put presence on the center's base, as an enrolled kiosk's
// sync does all day.
const restartChunk = 100_000

var (
	restartOnce sync.Once
	restartPath string
	restartErr  error
	// restartStep is the next step of the scan pattern: the database
	// keeps its state between runs.
	restartStep int
)

// MustRestartDB returns the path of an enrolled kiosk's database holding
// the demo event, the benchmark roster (store.Load) and a log of
// restartScans() rows as the kiosk writes them (store's LogSteps: the
// decisions, rows and rights of Scan, Adjust, ApplyGrants and
// ReturnRights, committed in large transactions): admissions and exits
// at door main keeping about 1,000 people inside, each spending or
// crediting a right of the venue, an unknown code now and then, a +1 and
// its −1 every thousand rows, rights returned to the center and granted
// again every five thousand, and a pull that puts presence on the
// center's base every 100,000. It is built once per process, closed with
// a snapshot saved; a restart_floor table, the log's twin, takes the
// bare transactions.
func MustRestartDB(b *testing.B) string {
	b.Helper()
	people := benchfix.Roster()
	dir := MustBenchDir(b)
	restartOnce.Do(func() {
		restartPath = filepath.Join(dir, "restart.db")
		restartErr = buildRestartDB(restartPath, people, restartScans())
	})
	if restartErr != nil {
		b.Fatal(restartErr)
	}
	return restartPath
}

func buildRestartDB(path string, people []checkin.Person, scans int) error {
	ctx := context.Background()
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Load(ctx, demo.Event(), people); err != nil {
		return err
	}
	if err := db.Enroll(ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-bench", Token: "t", Door: "main", EventID: "demo"}); err != nil {
		return err
	}
	if err := db.ApplyGrants(ctx, []wire.Grant{{ID: 1, Counter: "venue", N: 1400}}); err != nil {
		return err
	}
	// The first people come in.
	err = db.LogSteps(ctx, restartInside, 1, func(i int) store.BulkStep {
		return store.BulkStep{Scan: benchfix.ScanAt(people, "main", restartInside, 0, 2*i-2*restartInside)}
	})
	if err != nil {
		return err
	}
	grants := int64(1_000)
	cursor := int64(0)
	for done := restartInside; done < scans; {
		n := min(restartChunk, scans-done)
		err := db.LogSteps(ctx, n, grants, func(i int) store.BulkStep {
			switch g := done + i; {
			case g%1000 == 500:
				return store.BulkStep{Adjust: 1}
			case g%1000 == 501:
				return store.BulkStep{Adjust: -1}
			case g%5000 == 2500:
				return store.BulkStep{Return: 20}
			case g%5000 == 2501:
				grants++
				return store.BulkStep{Grant: 20}
			case g%997 == 0:
				return store.BulkStep{Scan: checkin.Scan{Code: fmt.Sprintf("U-NOBODY%06d", g), Door: "main"}}
			}
			s := benchfix.ScanAt(people, "main", restartInside, 0, restartStep)
			restartStep++
			return store.BulkStep{Scan: s}
		})
		if err != nil {
			return err
		}
		done += n
		grants += int64(n)
		// The center counted every row so far, and says who is restartInside.
		cursor++
		var through int64
		if err := db.SQL().QueryRowContext(ctx, `SELECT max(seq) FROM scans`).Scan(&through); err != nil {
			return err
		}
		c, _ := db.StateContents()
		p := &wire.Presence{Through: through, At: time.Now().UnixMilli(), Counts: db.Occupancy(), Unbadged: c.Unbadged}
		for id, loc := range c.Where {
			p.People = append(p.People, wire.Where{Person: id, Location: loc})
		}
		if err := db.ApplyPull(ctx, wire.PullResponse{Cursor: cursor, Presence: p}); err != nil {
			return err
		}
	}
	var ddl string
	if err := db.SQL().QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'scans'`).Scan(&ddl); err != nil {
		return err
	}
	if _, err := db.SQL().ExecContext(ctx, strings.Replace(ddl, "CREATE TABLE scans", "CREATE TABLE restart_floor", 1)); err != nil {
		return err
	}
	if err := db.Close(); err != nil { // saves the snapshot
		return err
	}
	syscall.Sync()
	return nil
}

// BenchmarkRestart measures a kiosk's restart with a long log: from
// store.Open of an enrolled kiosk's database holding the 500,000-person
// roster and a million log rows (MustRestartDB) to the decision of its
// first scan, an admission or an exit at door main. Each op times one
// start that replays the whole log and restartPairs starts from the
// snapshot, each paired with a bare start, in alternating order:
//
//   - restart-ms: the start as it is, from the snapshot the last Close
//     saved, replaying only the rows after it (median; restart-max-ms
//     the slowest);
//   - replay-ms: the same start with the snapshot removed first, so the
//     whole log is replayed, as every start did before snapshots;
//   - bare-ms: the floor, what any start to a durable decision must do:
//     sql.Open of the file with store.DSN and one transaction of an
//     indexed code lookup and one log row inserted, committed (median).
//
// Beside them, maxhlc-ms is what a start spent before on reading the
// scan clock's start as max(hlc) over the whole log: a start before
// snapshots cost about replay-ms + maxhlc-ms. replay/restart is the
// gain, restart/bare (the median of the pairs' ratios) what the start
// costs beyond the floor. restart-cpu-ms and replay-cpu-ms are the CPU
// time the two starts burn (user and system, the whole process): on a
// shared machine the wall clock waits for other programs' work, the CPU
// time does not. The goal is restart-ms ≤ 1,000 at a million
// rows.
func BenchmarkRestart(b *testing.B) {
	path := MustRestartDB(b)
	people := benchfix.Roster()
	ctx := context.Background()
	var replay, restartCPU, replayCPU, maxHLC time.Duration
	var snapshotBytes, logRows int64

	// start opens the database and decides the next scan of the
	// pattern, timed; resumed says whether it started from a snapshot.
	start := func(wantResumed bool, cpu *time.Duration) time.Duration {
		runtime.GC()
		sc := benchfix.ScanAt(people, "main", restartInside, 0, restartStep)
		c0, t0 := restartCPUTime(b), time.Now()
		db, err := store.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d, err := db.Scan(ctx, sc)
		took := time.Since(t0)
		*cpu += restartCPUTime(b) - c0
		if err != nil {
			b.Fatal(err)
		}
		restartStep++
		if !d.Moves() {
			b.Fatalf("the first scan after the start: %s (%s), want a move", d.Reason, d.Message)
		}
		if got := db.Resumed() > 0; got != wantResumed {
			b.Fatalf("resumed from a snapshot: %v, want %v", got, wantResumed)
		}
		if err := db.Close(); err != nil { // after a replay, saves the snapshot
			b.Fatal(err)
		}
		return took
	}
	dropSnapshot := func() {
		sdb := mustSQL(b, path)
		defer sdb.Close()
		if err := sdb.QueryRowContext(ctx, `SELECT length(state), seq FROM snapshot`).Scan(&snapshotBytes, &logRows); err != nil {
			b.Fatalf("no snapshot to start from: %v", err)
		}
		if _, err := sdb.ExecContext(ctx, `DELETE FROM snapshot`); err != nil {
			b.Fatal(err)
		}
	}
	floor := func() time.Duration {
		runtime.GC()
		sc := benchfix.ScanAt(people, "main", restartInside, len(people)/2, restartStep)
		t0 := time.Now()
		if err := bareStart(ctx, path, sc); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}

	b.ResetTimer()
	var restarts, bares, ratios []time.Duration
	for range b.N {
		dropSnapshot()
		replay += start(false, &replayCPU) // its Close saves the snapshot again
		maxHLC += oldClockStart(b, path)
		for j := range restartPairs {
			var r, f time.Duration
			if j%2 == 0 {
				r = start(true, &restartCPU)
				f = floor()
			} else {
				f = floor()
				r = start(true, &restartCPU)
			}
			restarts, bares = append(restarts, r), append(bares, f)
			ratios = append(ratios, r*1000/f) // in thousandths
		}
	}
	b.StopTimer()
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(median(restarts)), "restart-ms")
	b.ReportMetric(ms(slices.Max(restarts)), "restart-max-ms")
	b.ReportMetric(ms(replay)/n, "replay-ms")
	b.ReportMetric(ms(median(bares)), "bare-ms")
	b.ReportMetric(ms(restartCPU)/float64(len(restarts)), "restart-cpu-ms")
	b.ReportMetric(ms(replayCPU)/n, "replay-cpu-ms")
	b.ReportMetric(ms(replay)/n/ms(median(restarts)), "replay/restart")
	b.ReportMetric(float64(median(ratios))/1000, "restart/bare")
	b.ReportMetric(ms(maxHLC)/n, "maxhlc-ms")
	b.ReportMetric(float64(logRows), "log-rows")
	b.ReportMetric(float64(snapshotBytes), "snapshot-bytes")
}

// bareStart is the least a start to a durable decision does: open the
// file, look the code up by its key and log one row, in one transaction.
func bareStart(ctx context.Context, path string, sc checkin.Scan) error {
	sdb, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		return err
	}
	defer sdb.Close()
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var person string
	if err := tx.QueryRowContext(ctx, `SELECT person_id FROM codes WHERE code = ?`, sc.Code).Scan(&person); err != nil {
		return fmt.Errorf("bare lookup %s: %w", sc.Code, err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO restart_floor (at, door, direction, method, code, person_id, decision, reason, from_loc, location)
		VALUES (?, ?, ?, 'badge', ?, ?, 'admit', 'admitted', 'outside', 'venue')`,
		time.Now().UnixMilli(), sc.Door, string(sc.Direction), sc.Code, person); err != nil {
		return err
	}
	return tx.Commit()
}

// restartCPUTime is the process's CPU time so far, user and system.
func restartCPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// oldClockStart times the query a start used to begin the scan clock
// with, max(hlc) over the whole log.
func oldClockStart(b *testing.B, path string) time.Duration {
	sdb := mustSQL(b, path)
	defer sdb.Close()
	if err := sdb.Ping(); err != nil {
		b.Fatal(err)
	}
	var last int64
	t0 := time.Now()
	if err := sdb.QueryRow(`SELECT coalesce(max(hlc), 0) FROM scans`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// median returns the middle of ds (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
