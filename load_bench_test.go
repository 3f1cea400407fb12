package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"usher/demo"
	"usher/internal/benchfix"
	"usher/store"
)

// BenchmarkLoadPeak measures `usher load` of a roster of
// benchfix.People() people (500,000) as an organizer runs it: the real
// binary, built as `make build` builds it, loading the demo event and
// roster CSV into a new kiosk database. It reports the process's peak
// resident memory (peak-MB, its VmHWM; the goal is ≤ 150), and
// that of a second load of the same roster into the database the first
// made (reload-peak-MB: every person unchanged). Beside it runs the floor
// BenchmarkImport uses, benchfix.BulkInsert of the same people into a
// new database, alternating which goes first; load/floor is the ratio of
// their wall times and load/floor-cpu of their CPU times (the process's
// own against this process's), which a machine shared with other work
// disturbs less.
func BenchmarkLoadPeak(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "usher")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gobin, "build", "-tags", kioskTags, "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	if err := demo.Write(dir, benchfix.People()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	n := 0
	// fresh returns the path of a database file not made yet.
	fresh := func() string {
		n++
		path := filepath.Join(dir, "k"+string(rune('a'+n%26))+".db")
		if err := benchfix.RemoveDB(path); err != nil {
			b.Fatal(err)
		}
		// Start with nothing left to write back, and no garbage here.
		syscall.Sync()
		runtime.GC()
		return path
	}
	// load runs `usher load` into db and returns its peak resident
	// memory in KiB, and its wall and CPU time. The peak is the process's
	// VmHWM, read every 10 ms while it runs: the Maxrss that wait4
	// returns counts this process's own memory too, which the child
	// shared until it ran the binary (os/exec starts it with vfork), and
	// this one holds the floor's 500,000 people.
	load := func(db string) (int64, time.Duration, time.Duration) {
		cmd := exec.Command(bin, "load", "--db", db, "--event", filepath.Join(dir, "event.toml"),
			"--roster", filepath.Join(dir, "roster.csv"))
		cmd.Env = append(os.Environ(), "HOME="+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		peak := make(chan int64)
		go func() {
			var hwm int64
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				if kb, ok := vmHWM(cmd.Process.Pid); ok {
					hwm = max(hwm, kb)
				}
				select {
				case <-done:
					peak <- hwm
					return
				case <-tick.C:
				}
			}
		}()
		err := cmd.Wait()
		wall := time.Since(t0)
		close(done)
		hwm := <-peak
		if err != nil {
			b.Fatalf("usher load: %v\n%s", err, out.Bytes())
		}
		st := cmd.ProcessState
		return hwm, wall, st.UserTime() + st.SystemTime()
	}
	floor := func() (time.Duration, time.Duration) {
		path := fresh()
		db, err := store.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
		sdb, err := sql.Open("sqlite", store.DSN(path))
		if err == nil {
			err = sdb.PingContext(ctx) // the pragmas set untimed, as store.Open did
		}
		if err != nil {
			b.Fatal(err)
		}
		defer sdb.Close()
		cpu0, t0 := cpuSelf(b), time.Now()
		if err := benchfix.BulkInsert(ctx, sdb, benchfix.People()); err != nil {
			b.Fatal(err)
		}
		wall, cpu := time.Since(t0), cpuSelf(b)-cpu0
		if err := benchfix.RemoveDB(path); err != nil {
			b.Fatal(err)
		}
		return wall, cpu
	}
	benchfix.Roster() // made untimed: the floor's people

	var (
		peak, reloadPeak                       int64
		loadWall, loadCPU, floorWall, floorCPU time.Duration
	)
	b.ResetTimer()
	for i := range b.N {
		db := fresh()
		if i%2 == 1 {
			w, c := floor()
			floorWall, floorCPU = floorWall+w, floorCPU+c
		}
		rss, w, c := load(db)
		peak, loadWall, loadCPU = max(peak, rss), loadWall+w, loadCPU+c
		if i%2 == 0 {
			w, c := floor()
			floorWall, floorCPU = floorWall+w, floorCPU+c
		}
		rss, _, _ = load(db)
		reloadPeak = max(reloadPeak, rss)
		if err := benchfix.RemoveDB(db); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(peak)/1024, "peak-MB")
	b.ReportMetric(float64(reloadPeak)/1024, "reload-peak-MB")
	b.ReportMetric(loadWall.Seconds()/float64(b.N), "load-s/op")
	b.ReportMetric(floorWall.Seconds()/float64(b.N), "floor-s/op")
	b.ReportMetric(float64(loadWall)/float64(floorWall), "load/floor")
	b.ReportMetric(float64(loadCPU)/float64(floorCPU), "load/floor-cpu")
}

// vmHWM reads a running process's peak resident memory (VmHWM) in KiB;
// ok is false once the process is gone.
func vmHWM(pid int) (kb int64, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, found := strings.CutPrefix(line, "VmHWM:"); found {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// cpuSelf is this process's CPU time, user and system.
func cpuSelf(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
