package kiosk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"usher/checkin"
	"usher/kiosk"
	"usher/store"
)

// childDB, when set, makes the test binary act as `usher scan --db
// $childDB --door main`, so a test can kill a real scanning process.
// childArgs, when set, makes it act as `usher` with those arguments, one
// a line.
const (
	childDB   = "USHER_KIOSK_TEST_SCAN_DB"
	childArgs = "USHER_KIOSK_TEST_ARGS"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childDB); path != "" {
		os.Exit(kiosk.Run(context.Background(), []string{"scan", "--db", path, "--door", "main"}, os.Stdin, os.Stdout, os.Stderr))
	}
	if args := os.Getenv(childArgs); args != "" {
		os.Exit(kiosk.Run(context.Background(), strings.Split(args, "\n"), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// killAfter is how many decisions the parent reads before it kills the
// scanning process.
const killAfter = 50

// TestDurability kills `usher scan` with SIGKILL while it still has input
// and checks that every decision it had printed is in the log of the
// reopened database, and that the database is intact.
func TestDurability(t *testing.T) {
	k := MustKiosk(t)
	// Admits, repeats, unknown and invalid codes: every kind of row.
	var input []string
	for i, p := range k.people {
		input = append(input, p.Code)
		switch i % 7 {
		case 3:
			input = append(input, fmt.Sprintf("U-UNKNOWN%03d", i))
		case 5:
			input = append(input, "bad\x01code")
		case 6:
			input = append(input, k.people[i/2].Code)
		}
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDB+"="+k.db)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Feed codes until the process dies, so input is always pending when
	// it is killed.
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for i := 0; ; i++ {
			if _, err := io.WriteString(stdin, input[i%len(input)]+"\n"); err != nil {
				return
			}
		}
	}()

	var printed []kiosk.Output
	sc := bufio.NewScanner(stdout)
	for len(printed) < killAfter && sc.Scan() {
		var o kiosk.Output
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Errorf("decision %d is not JSON: %v: %q", len(printed)+1, err, sc.Text())
		}
		printed = append(printed, o)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	werr := cmd.Wait()
	<-fed
	if len(printed) < killAfter {
		t.Fatalf("the scanner printed %d decisions before it stopped (%v); want %d\n%s", len(printed), werr, killAfter, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the scanner ended with %v, not by SIGKILL: it was not killed mid-input", cmd.ProcessState)
	}

	db, err := store.Open(k.db)
	if err != nil {
		t.Fatalf("reopen after the kill: %v", err)
	}
	defer db.Close()
	var integrity string
	if err := db.SQL().QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check: %q, %v", integrity, err)
	}
	rows, err := db.SQL().Query(`SELECT code, decision, reason, coalesce(person_id, '') FROM scans ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// The child is the only writer: its i-th decision is the i-th row.
	logged := 0
	for ; rows.Next(); logged++ {
		var code, decision, reason, person string
		if err := rows.Scan(&code, &decision, &reason, &person); err != nil {
			t.Fatal(err)
		}
		if logged >= len(printed) {
			continue
		}
		o := printed[logged]
		var id string
		if o.Person != nil {
			id = o.Person.ID
		}
		got := fmt.Sprintf("%q %s/%s %s", code, decision, reason, person)
		if want := fmt.Sprintf("%q %s/%s %s", o.Code, o.Decision, o.Reason, id); got != want {
			t.Errorf("decision %d: printed %s, logged %s", logged+1, want, got)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed after reading %d decisions; the log holds %d", len(printed), logged)
	if logged < len(printed) {
		t.Errorf("the scanner printed %d decisions, the log holds %d", len(printed), logged)
	}
	reasons := map[checkin.Reason]int{}
	for _, o := range printed {
		reasons[o.Reason]++
	}
	for _, r := range []checkin.Reason{checkin.Admitted, checkin.UnknownBadge, checkin.InvalidCode} {
		if reasons[r] == 0 {
			t.Errorf("no %s among the %d decisions checked: %v", r, len(printed), reasons)
		}
	}
	// Presence rebuilt from the log agrees with the last decision seen.
	last := printed[len(printed)-1].Occupancy["venue"]
	if got := db.Occupancy()["venue"]; got < last {
		t.Errorf("venue occupancy after reopening %d, the scanner had printed %d", got, last)
	}
}

// TestScanLogFailed takes the database's write lock from another
// connection while `usher scan` runs, as a stuck process would, so the
// scanner cannot record its next decision: it must print a deny with
// log_failed, sound the alarm on standard error and exit 1 at the end. It
// waits out the store's real busy timeout.
func TestScanLogFailed(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the store's busy timeout")
	}
	k := MustKiosk(t)
	ps := k.entitled(t, "venue", 2)
	sc := startScanPipe(t, k.db, "main")
	next, stderr := sc.next, &sc.stderr

	// The scanner is running and has the database open.
	checkDecision(t, next(ps[0].Code), checkin.Admit, checkin.Admitted, &ps[0])

	db := MustOpenDB(t, k.db)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN EXCLUSIVE`); err != nil {
		t.Fatalf("BEGIN EXCLUSIVE: %v", err)
	}
	o := next(ps[1].Code)
	if o.Decision != checkin.Deny || o.Reason != checkin.LogFailed {
		t.Errorf("scan with the database locked: %s/%s, want deny/%s", o.Decision, o.Reason, checkin.LogFailed)
	}
	if o.Occupancy["venue"] != 1 {
		t.Errorf("venue occupancy %d after an unrecorded scan, want 1", o.Occupancy["venue"])
	}
	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatalf("ROLLBACK: %v", err)
	}

	// With the lock gone the same badge is admitted: the failed scan
	// moved nobody.
	o = next(ps[1].Code)
	checkDecision(t, o, checkin.Admit, checkin.Admitted, &ps[1])
	if o.Occupancy["venue"] != 2 {
		t.Errorf("venue occupancy %d, want 2", o.Occupancy["venue"])
	}
	if code := sc.close(); code != 1 {
		t.Errorf("exit %d after a scan that could not be recorded, want 1", code)
	}
	if !strings.Contains(stderr.String(), "ALARM") {
		t.Errorf("stderr has no alarm:\n%s", stderr.String())
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM scans WHERE person_id = ?`, ps[1].ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d scans of %s logged, want 1: the one that failed must not be", n, ps[1].ID)
	}
}
