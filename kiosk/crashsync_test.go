//go:build linux

package kiosk_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCrashAckAfterFsync is the half of "no acknowledged scan lost" that
// killing a process cannot show: a power cut loses what the kernel had
// not yet put on the disk, so a decision may be printed only after its
// log frames are fsynced. It runs `usher scan` under strace, which
// records the process's writes and fsyncs in the order they happen, and
// checks that before every decision written to standard output the
// scan's frames were written to the write-ahead log and that log was
// then fsynced.
func TestCrashAckAfterFsync(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatalf("this test needs strace (Debian package strace; scripts/deps.sh test installs it): %v", err)
	}
	k := MustKiosk(t)
	var codes []string
	for i, p := range k.people[:40] {
		codes = append(codes, p.Code)
		if i%5 == 4 {
			codes = append(codes, fmt.Sprintf("U-STRANGER%02d", i), k.people[i/2].Code)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "codes")
	if err := os.WriteFile(in, []byte(strings.Join(codes, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdin, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	trace := filepath.Join(dir, "trace")
	cmd := exec.Command(strace, "-f", "-y", "-qq", "-e", "trace=write,pwrite64,pwritev,pwritev2,fsync,fdatasync",
		"-o", trace, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join([]string{"scan", "--db", k.db, "--door", "main"}, "\n"))
	cmd.Stdin = stdin
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("usher scan under strace: %v\n%s", err, stderr.String())
	}
	outs := MustDecisions(t, string(out))
	if len(outs) != len(codes) {
		t.Fatalf("%d decisions for %d codes", len(outs), len(codes))
	}

	acked, err := checkAckAfterFsync(trace)
	if err != nil {
		t.Fatal(err)
	}
	if len(acked) != len(outs) {
		t.Fatalf("strace saw %d decisions written, usher scan printed %d", len(acked), len(outs))
	}
	for i, o := range outs {
		if acked[i] != o.Seq {
			t.Errorf("decision %d: strace saw seq %d written, the output has %d", i+1, acked[i], o.Seq)
		}
	}
	t.Logf("%d decisions, each written to standard output after its frames were written to the log and fsynced", len(acked))
}

// traceLine is one line of `strace -f -y`: a finished call, a call left
// unfinished while another thread ran, or one resumed.
var traceLine = regexp.MustCompile(`^(\d+) +(?:(\w+)\((\d+)<([^>]*)>(.*)|<\.\.\. (\w+) resumed>(.*))$`)

// seqOnStdout finds the seq at the start of a decision as strace shows
// the written bytes.
var seqOnStdout = regexp.MustCompile(`^, "\{\\"seq\\":(\d+),`)

// checkAckAfterFsync reads a trace of `usher scan` and returns the seq
// of each decision written to standard output, in order; it fails if one
// was written before the log frames since the previous decision were
// fsynced.
func checkAckAfterFsync(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		acked   []int64
		written bool                  // log frames written since the last decision
		synced  bool                  // and fsynced after the last of them
		pending = map[string]string{} // pid -> the file of its unfinished fsync
	)
	isSync := func(call string) bool { return call == "fsync" || call == "fdatasync" }
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		m := traceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue // a signal, an exit
		}
		pid := m[1]
		if m[6] != "" { // resumed
			if isSync(m[6]) && strings.HasSuffix(pending[pid], "-wal") && strings.Contains(m[7], "= 0") && written {
				synced = true
			}
			delete(pending, pid)
			continue
		}
		call, fd, file, rest := m[2], m[3], m[4], m[5]
		unfinished := strings.HasSuffix(rest, "<unfinished ...>")
		switch {
		case isSync(call) && unfinished:
			pending[pid] = file
		case isSync(call):
			if strings.HasSuffix(file, "-wal") && strings.HasSuffix(rest, "= 0") && written {
				synced = true
			}
		case strings.HasSuffix(file, "-wal"): // a write of log frames
			written, synced = true, false
		case fd == "1":
			s := seqOnStdout.FindStringSubmatch(rest)
			if s == nil {
				return nil, fmt.Errorf("trace line %d: a write to standard output that is no decision: %s", n, sc.Text())
			}
			seq, _ := strconv.ParseInt(s[1], 10, 64)
			switch {
			case seq == 0:
			case !written:
				return nil, fmt.Errorf("trace line %d: decision seq %d written to standard output with no log frames written since the last one", n, seq)
			case !synced:
				return nil, fmt.Errorf("trace line %d: decision seq %d written to standard output before its log frames were fsynced", n, seq)
			}
			acked = append(acked, seq)
			written, synced = false, false
		}
	}
	return acked, sc.Err()
}
