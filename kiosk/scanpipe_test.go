package kiosk_test

import (
	"bufio"
	"context"
	"io"
	"testing"

	"usher/internal/syncbuf"
	"usher/kiosk"
)

// scanPipe is `usher scan --db DB --door DOOR` running in this process,
// fed one code at a time like a USB scanner.
type scanPipe struct {
	t      *testing.T
	in     *io.PipeWriter
	lines  *bufio.Scanner
	stderr syncbuf.Buffer
	exit   chan int
}

func startScanPipe(t *testing.T, db, door string) *scanPipe {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &scanPipe{t: t, in: inW, lines: bufio.NewScanner(outR), exit: make(chan int, 1)}
	go func() {
		s.exit <- kiosk.Run(context.Background(), []string{"scan", "--db", db, "--door", door}, inR, outW, &s.stderr)
		outW.Close()
	}()
	return s
}

// next scans code and returns its decision, the one line printed for it.
func (s *scanPipe) next(code string) kiosk.Output {
	s.t.Helper()
	if _, err := io.WriteString(s.in, code+"\n"); err != nil {
		s.t.Fatalf("write %q: %v", code, err)
	}
	if !s.lines.Scan() {
		s.t.Fatalf("no decision for %q: %v\n%s", code, s.lines.Err(), s.stderr.String())
	}
	outs := MustDecisions(s.t, s.lines.Text())
	if len(outs) != 1 {
		s.t.Fatalf("%d decisions in one line", len(outs))
	}
	return outs[0]
}

// close ends the input, as the scanner's unplugging does, and returns
// the exit code.
func (s *scanPipe) close() int {
	s.in.Close()
	return <-s.exit
}
