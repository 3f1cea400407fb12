package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which is 100 on every Linux architecture Go runs on.
const clockTicks = 100

// cpuTime is the CPU time (user + system) process pid has used, from
// /proc/PID/stat ("self" for this process).
func cpuTime(pid string) (time.Duration, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	ticks, err := sumTicks(pid, f, 11, 13) // utime, stime: fields 14 and 15
	return time.Duration(ticks) * time.Second / clockTicks, err
}

// sumTicks adds up fields f[from:to] of /proc/PID/stat, clock ticks.
func sumTicks(pid string, f []string, from, to int) (int64, error) {
	if len(f) < to {
		return 0, fmt.Errorf("/proc/%s/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, s := range f[from:to] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%s/stat: %v", pid, err)
		}
		ticks += n
	}
	return ticks, nil
}

// memory returns VmRSS and VmHWM (the peak resident set) of process pid,
// in bytes, from /proc/PID/status.
func memory(pid string) (rss, peak int64, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("/proc/%s/status: %s: %q", pid, key, strings.TrimSpace(val))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%s/status: %s: %v", pid, key, err)
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, nil
}

// serverProcess is the server under load, a child process of its own so
// that its CPU time and memory are its own.
type serverProcess struct {
	cmd  *exec.Cmd
	URL  string
	pid  string
	done chan error

	mu     sync.Mutex
	lines  int            // lines the server logged
	recent []string       // the last few of them
	kinds  map[string]int // lines by their message, the variable parts masked
}

// maxRecent lines of the server's log are kept for the report.
const maxRecent = 3

// startServer runs argv (usher-central serve, without --addr and --db)
// on a free port of 127.0.0.1 and database dsn, and waits for the
// address it prints.
func startServer(ctx context.Context, argv []string, dsn string) (*serverProcess, error) {
	if len(argv) == 0 {
		return nil, errors.New("no server command")
	}
	args := append(append([]string{}, argv[1:]...), "--addr", "127.0.0.1:0", "--db", dsn)
	cmd := exec.Command(argv[0], args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", argv[0], err)
	}
	s := &serverProcess{cmd: cmd, pid: strconv.Itoa(cmd.Process.Pid), done: make(chan error, 1)}
	go s.collect(stderr)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			// "serving http://127.0.0.1:PORT"
			if u, ok := strings.CutPrefix(sc.Text(), "serving "); ok {
				addr <- u
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case s.URL = <-addr:
		return s, nil
	case err := <-s.done:
		s.done <- err
		return nil, fmt.Errorf("the server exited before serving (%v): %s", err, strings.Join(s.Recent(), " | "))
	case <-time.After(time.Minute):
		s.Stop()
		return nil, errors.New("the server did not say where it serves within a minute")
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
}

func (s *serverProcess) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		s.mu.Lock()
		s.lines++
		if s.kinds == nil {
			s.kinds = map[string]int{}
		}
		if k := logKind(sc.Text()); len(s.kinds) < 100 || s.kinds[k] > 0 {
			s.kinds[k]++
		}
		s.recent = append(s.recent, sc.Text())
		if len(s.recent) > maxRecent {
			s.recent = s.recent[1:]
		}
		s.mu.Unlock()
	}
}

// Log returns how many lines the server logged and the last few.
func (s *serverProcess) Log() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines, append([]string(nil), s.recent...)
}

// Kinds returns how many lines the server logged of each message.
func (s *serverProcess) Kinds() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.kinds)
}

var (
	logDate  = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
	logIDs   = regexp.MustCompile(`K-[0-9a-f]{10}|usher_load_\w+|127\.0\.0\.1:\d+`)
	logCount = regexp.MustCompile(`\d+`)
)

// logKind is a server log line without its time, and with kiosk ids,
// addresses, database names and numbers masked, so that lines saying the
// same thing count together.
func logKind(line string) string {
	k := logDate.ReplaceAllString(line, "")
	k = logIDs.ReplaceAllString(k, "…")
	k = logCount.ReplaceAllString(k, "N")
	if len(k) > 200 {
		k = k[:200] + "…"
	}
	return k
}

// Recent returns the last lines the server logged.
func (s *serverProcess) Recent() []string {
	_, r := s.Log()
	return r
}

// Exited reports whether the server process has ended.
func (s *serverProcess) Exited() bool {
	select {
	case err := <-s.done:
		s.done <- err
		return true
	default:
		return false
	}
}

// Stop asks the server to shut down (SIGTERM) and waits for it; after
// 15 s it is killed.
func (s *serverProcess) Stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		err := <-s.done
		s.done <- err
		return fmt.Errorf("the server did not stop within 15 s of SIGTERM and was killed")
	}
}

// statFields returns the fields of /proc/PID/stat after the command name:
// index 0 is field 3 (state).
func statFields(pid string) ([]string, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%s/stat: no command name", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// treeCPU is the CPU time of process pid and all its children, live
// (their utime+stime) and ended (its cutime+cstime): a PostgreSQL
// server's postmaster and its backends, including those a connection
// pool has closed meanwhile.
func treeCPU(pid string) (time.Duration, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	ticks, err := sumTicks(pid, f, 11, 15) // utime, stime, cutime, cstime
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cf, err := statFields(e.Name())
		if err != nil || len(cf) < 2 || cf[1] != pid { // field 4: ppid
			continue // gone meanwhile, or another's child
		}
		if n, err := sumTicks(e.Name(), cf, 11, 13); err == nil {
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
