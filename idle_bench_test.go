package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/internal/benchfix"
	"usher/store"
)

// BenchmarkIdleCPU measures what the open kiosk screen costs: the real
// binary, built as `make build` builds it, on a kiosk database of
// benchfix.People() people loaded by `usher load`, in a 1024×600 Xvfb
// screen (software GL, as on a kiosk without a GPU). After 5 s to settle
// it reads the process's CPU time over USHER_IDLE_SECONDS (default 60)
// while nobody scans, and reports it as a share of one core (cpu-%),
// with the process's peak resident memory then (idle-rss-MB). Then it
// works the door through the X server, as a scanner and staff do
// (xdotool): 1,000 badges scanned (each code typed and Enter), and
// every 20 scans a search by name (F3, a name typed a letter every
// 40 ms, each letter from the second searching, Esc); rss-MB is the
// peak resident memory (VmHWM) after all of it, whose goal is ≤ 200 MB.
// It fails unless the log holds the 1,000 scans.
func BenchmarkIdleCPU(b *testing.B) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s not found: install xvfb (make test does, through scripts/deps.sh)", tool)
		}
	}
	secs := 60
	if s := os.Getenv("USHER_IDLE_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 5 {
			b.Fatalf("USHER_IDLE_SECONDS=%q: want a whole number of seconds from 5 up", s)
		}
		secs = n
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "usher")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gobin, "build", "-tags", kioskTags, "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	if err := demo.Write(dir, benchfix.People()); err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(dir, "kiosk.db")
	if out, err := exec.Command(bin, "load", "--db", db, "--event", filepath.Join(dir, "event.toml"),
		"--roster", filepath.Join(dir, "roster.csv")).CombinedOutput(); err != nil {
		b.Fatalf("usher load: %v\n%s", err, out)
	}
	display := startXvfb(b)

	for b.Loop() {
		cmd := exec.Command(bin, "--db", db, "--door", "main")
		cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8", "HOME="+dir)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		start, t0 := cpuTicks(b, cmd.Process.Pid), time.Now()
		time.Sleep(time.Duration(secs) * time.Second)
		used, wall := cpuTicks(b, cmd.Process.Pid)-start, time.Since(t0)
		idle := peakRSS(b, cmd.Process.Pid)
		work(b, display, db, benchfix.Roster())
		rss := peakRSS(b, cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		b.ReportMetric(100*float64(used)/clockTicks/wall.Seconds(), "cpu-%")
		b.ReportMetric(float64(idle)/1024, "idle-rss-MB")
		b.ReportMetric(float64(rss)/1024, "rss-MB")
	}
}

// Work at the door while the memory is measured.
const (
	workScans    = 1000
	workSearches = 50
)

// work scans workScans badges of people into the kiosk on display, with
// a search by name after every workScans/workSearches of them, and
// checks that the kiosk's log at db holds the scans.
func work(b *testing.B, display, db string, people []checkin.Person) {
	b.Helper()
	xdo := func(args ...string) {
		cmd := exec.Command("xdotool", args...)
		// A UTF-8 locale, or xdotool refuses to type a name such as Corbató.
		cmd.Env = append(os.Environ(), "DISPLAY="+display, "LC_ALL=C.UTF-8")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("xdotool %v: %v\n%s", args, err, out)
		}
	}
	before := scanCount(b, db)
	// Without a window manager the keyboard follows the pointer.
	xdo("mousemove", "--sync", "512", "300")
	every := workScans / workSearches
	for i := range workScans {
		// A scanner types a key every few milliseconds.
		xdo("type", "--delay", "2", people[i].Code)
		xdo("key", "Return")
		if (i+1)%every == 0 {
			p := people[(i*7919)%len(people)]
			xdo("key", "F3")
			xdo("type", "--delay", "40", p.Name)
			xdo("key", "Escape")
		}
	}
	// The last scan's Enter may still be in the kiosk's queue.
	for deadline := time.Now().Add(30 * time.Second); scanCount(b, db)-before < workScans; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("the kiosk logged %d scans of the %d typed", scanCount(b, db)-before, workScans)
		}
	}
}

// scanCount returns how many scans the kiosk database at path has logged.
func scanCount(b *testing.B, path string) int {
	b.Helper()
	sdb, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		b.Fatal(err)
	}
	defer sdb.Close()
	var n int
	if err := sdb.QueryRow(`SELECT count(*) FROM scans`).Scan(&n); err != nil {
		b.Fatalf("count the scans of %s: %v", path, err)
	}
	return n
}

// kioskTags are the build tags `make build` builds the kiosk with: no
// animations, whose text cursor would repaint the whole window 60 times
// a second (see main's warning).
const kioskTags = "no_animations"

// clockTicks is the kernel's clock tick rate (USER_HZ), 100 on Linux.
const clockTicks = 100

// cpuTicks reads a process's user and system CPU time in clock ticks.
func cpuTicks(b *testing.B, pid int) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("the kiosk is gone: %v", err)
	}
	// Fields after the command's name, which is in parentheses.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

// peakRSS reads a process's peak resident memory (VmHWM) in KiB.
func peakRSS(b *testing.B, pid int) int64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}

// startXvfb starts an X server at 1024×600 for the benchmark and returns
// its display.
func startXvfb(b *testing.B) string {
	b.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x600x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		b.Fatal(err)
	}
	w.Close()
	b.Cleanup(func() { x.Process.Kill(); x.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		b.Fatalf("Xvfb gave no display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}
