//go:build linux

package kiosk_test

import (
	"path/filepath"
	"strings"
	"testing"

	"usher/checkin"
	"usher/internal/fulldisk"
)

// TestDiskFull runs `usher scan` on a kiosk database on a real tmpfs and
// fills it: every scan is then denied with log_failed and no seq, with
// an alarm line on standard error saying the disk is full and what to
// do; the scanner keeps answering, and once space is freed it records
// scans again, says so, and exits 1 at the end for the scans it could
// not record.
func TestDiskFull(t *testing.T) {
	dir, ok := fulldisk.Dir(t, 2<<20)
	if !ok {
		return
	}
	k := MustKiosk(t)
	k.db = filepath.Join(dir, "kiosk.db")
	MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--roster", k.roster)
	ps := k.entitled(t, "venue", 4)

	sc := startScanPipe(t, k.db, "main")
	next, stderr := sc.next, &sc.stderr

	o := next(ps[0].Code)
	checkDecision(t, o, checkin.Admit, checkin.Admitted, &ps[0])
	free := fulldisk.Fill(t, dir)
	const alarm = "usher scan: ALARM: The kiosk's disk is full: scans cannot be recorded. " +
		"Denying everyone until a scan can be recorded again: admit nobody, call staff. (record scan: database or disk is full"
	for i, code := range []string{ps[1].Code, ps[2].Code, "U-STRANGER01", ps[1].Code} {
		o := next(code)
		if o.Decision != checkin.Deny || o.Reason != checkin.LogFailed || o.Seq != 0 {
			t.Errorf("%q on a full disk: %s/%s seq %d, want deny/%s seq 0", code, o.Decision, o.Reason, o.Seq, checkin.LogFailed)
		}
		if o.Occupancy["venue"] != 1 {
			t.Errorf("%q on a full disk: venue occupancy %d, want 1", code, o.Occupancy["venue"])
		}
		if n := strings.Count(stderr.String(), alarm); n != i+1 {
			t.Errorf("after %d scans on a full disk, %d alarm lines, want %d:\n%s", i+1, n, i+1, stderr.String())
		}
	}
	free()
	o = next(ps[1].Code)
	checkDecision(t, o, checkin.Admit, checkin.Admitted, &ps[1])
	if o.Seq == 0 || o.Occupancy["venue"] != 2 {
		t.Errorf("after freeing space: seq %d, venue occupancy %d, want a seq and 2", o.Seq, o.Occupancy["venue"])
	}
	if !strings.Contains(stderr.String(), "usher scan: scans are recorded again; the 4 before were denied and not recorded\n") {
		t.Errorf("no line says scans are recorded again:\n%s", stderr.String())
	}
	if code := sc.close(); code != 1 {
		t.Errorf("exit %d after scans that could not be recorded, want 1", code)
	}
	if !strings.Contains(stderr.String(), "4 scans could not be recorded and were denied") {
		t.Errorf("the last line does not count the unrecorded scans:\n%s", stderr.String())
	}
	t.Logf("standard error:\n%s", stderr.String())
	db := MustOpenDB(t, k.db)
	var admitted, failed int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE decision = 'admit'), count(*) FILTER (WHERE reason = 'log_failed') FROM scans`).
		Scan(&admitted, &failed); err != nil {
		t.Fatal(err)
	}
	if admitted != 2 || failed != 0 {
		t.Errorf("the log holds %d admits and %d log_failed rows, want 2 and 0", admitted, failed)
	}
}
