package kiosk_test

import (
	"strings"
	"testing"
)

// `usher enroll` on a database that holds scans says they stay on the
// kiosk, and the sync after it sends none of them.
func TestEnrollUsedDatabase(t *testing.T) {
	k := MustKioskOf(t, 30)
	c := MustCentral(t, 30, nil)
	codes := []string{k.people[0].Code, k.people[1].Code, "U-NOSUCHBADGE"}
	MustRun(t, strings.Join(codes, "\n")+"\n", "scan", "--db", k.db, "--door", "main")
	out := MustRun(t, "", "enroll", "--db", k.db, c.MustCode(t, "main"))
	if want := "3 scans made before this enrollment stay on this kiosk and are not sent."; !strings.Contains(out, want) {
		t.Errorf("usher enroll printed %q, want %q in it", out, want)
	}
	MustRun(t, "", "sync", "--db", k.db)
	if got := c.MustScans(t); got != 0 {
		t.Errorf("the center holds %d scans after the sync, want none of those made before the enrollment", got)
	}
}
