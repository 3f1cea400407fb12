package kiosk_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
)

// MustBadgeSerial is MustBadge for p's badge printed with serial.
func (k kioskDir) MustBadgeSerial(tb testing.TB, p checkin.Person, serial uint32) string {
	tb.Helper()
	p.Serial = serial
	return k.MustBadge(tb, p)
}

// TestLoadRevokedPerson revokes a person with `*` (or `all`) in the
// serial column: every credential of theirs is denied, their roster code
// in any case and their signed badges of every serial, printed before or
// after; they may still leave; nobody else is touched.
func TestLoadRevokedPerson(t *testing.T) {
	for _, word := range []string{"*", "all", "ALL"} {
		t.Run(word, func(t *testing.T) {
			k := MustKiosk(t)
			ps := k.entitled(t, "venue", 2)
			p, other := ps[0], ps[1]
			outs := k.MustScan(t, "main", []string{p.Code})
			checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &p)

			MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--revoked",
				MustWrite(t, "revoked.csv", fmt.Sprintf("id,serial\n%s,%s\n", p.ID, word)))
			outs = k.MustScan(t, "main", []string{p.Code, strings.ToLower(p.Code), k.MustBadgeSerial(t, p, 1),
				k.MustBadgeSerial(t, p, 7), other.Code})
			if len(outs) != 5 {
				t.Fatalf("%d decisions for 5 codes", len(outs))
			}
			for i, what := range []string{"roster code", "roster code in lower case", "printed badge", "badge serial 7"} {
				if outs[i].Reason != checkin.Revoked {
					t.Errorf("%s of a revoked person: %s, want revoked", what, outs[i].Reason)
				}
				checkDecision(t, outs[i], checkin.Deny, checkin.Revoked, &p)
			}
			checkDecision(t, outs[4], checkin.Admit, checkin.Admitted, &other)

			// Revoked, but inside: the exit is recorded.
			outs = k.MustScan(t, "main", []string{p.Code}, "--exit")
			checkDecision(t, outs[0], checkin.Leave, checkin.ExitRecorded, &p)
		})
	}
}

// TestLoadRevokedSerialRange revokes a serial: that badge and every
// older one are denied; a newer badge and the roster code (not printed
// on a badge) still admit.
func TestLoadRevokedSerialRange(t *testing.T) {
	k := MustKiosk(t)
	p := k.entitled(t, "venue", 1)[0]
	MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--revoked",
		MustWrite(t, "revoked.csv", "id,serial\n"+p.ID+",2\n"))
	outs := k.MustScan(t, "main", []string{k.MustBadgeSerial(t, p, 1), k.MustBadgeSerial(t, p, 2)})
	checkDecision(t, outs[0], checkin.Deny, checkin.Revoked, &p)
	checkDecision(t, outs[1], checkin.Deny, checkin.Revoked, &p)
	outs = k.MustScan(t, "main", []string{k.MustBadgeSerial(t, p, 3)})
	checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &p)
	outs = k.MustScan(t, "main", []string{p.Code}, "--exit")
	checkDecision(t, outs[0], checkin.Leave, checkin.ExitRecorded, &p)
	outs = k.MustScan(t, "main", []string{p.Code})
	checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &p)
}

// TestLoadRevokedSerialZero checks that a serial 0 is refused, not taken
// for a badge no printer makes (printed badges carry serial 1 and up):
// the load exits 1, names the line, says how to revoke the person or a
// badge, and writes nothing, so the printed badge still admits.
func TestLoadRevokedSerialZero(t *testing.T) {
	k := MustKiosk(t)
	p := k.entitled(t, "venue", 1)[0]
	before := MustFile(t, k.db)
	r := run(t, "", "load", "--db", k.db, "--event", k.event, "--revoked",
		MustWrite(t, "revoked.csv", "id,serial\nP999999,3\n"+p.ID+",0\n"))
	if r.code != 1 {
		t.Errorf("exit %d, want 1; stdout %q", r.code, r.stdout)
	}
	for _, s := range []string{"revoked.csv:3, column 2 (serial)", "*"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not say %q:\n%s", s, r.stderr)
		}
	}
	if after := MustFile(t, k.db); string(after) != string(before) {
		t.Error("the database changed after a refused load")
	}
	outs := k.MustScan(t, "main", []string{k.MustBadge(t, p)})
	checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &p)
}

// TestLoadAgainAfterSignedBadges loads the same roster again after
// reprinted badges were scanned: the kiosk learned the higher serials
// from the badges, and the roster's lower ones neither count as a change
// nor bring the replaced badges back.
func TestLoadAgainAfterSignedBadges(t *testing.T) {
	k := MustKiosk(t)
	ps := k.entitled(t, "venue", 2)
	for _, p := range ps {
		outs := k.MustScan(t, "main", []string{k.MustBadgeSerial(t, p, 2)})
		checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &p)
	}
	out := MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--roster", k.roster)
	if want := fmt.Sprintf("0 added, 0 updated, %d unchanged, 0 removed", len(k.people)); !strings.Contains(out, want) {
		t.Errorf("load of the same roster printed %q, want %q", out, want)
	}
	for _, p := range ps {
		outs := k.MustScan(t, "east", []string{k.MustBadgeSerial(t, p, 1)})
		checkDecision(t, outs[0], checkin.Deny, checkin.Revoked, &p)
	}
}

// TestScanBadgeOutOfValidityNamesPerson scans signed badges whose
// signature is good but whose validity has ended or not begun: the
// denial names the person on the roster, so staff see who stands there;
// a badge of someone the kiosk does not know names nobody.
func TestScanBadgeOutOfValidityNamesPerson(t *testing.T) {
	k := MustKiosk(t)
	p := k.entitled(t, "venue", 1)[0]
	key, err := badge.LoadKey(filepath.Join(k.dir, "keys", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sign := func(p checkin.Person, from, until time.Time) string {
		code, err := badge.Code(k.ev, p, key, from, until)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	stranger := checkin.Person{ID: "W000009", Category: "attendee"}
	outs := k.MustScan(t, "main", []string{
		sign(p, now.Add(-30*24*time.Hour), now.Add(-14*24*time.Hour)),
		sign(p, now.Add(14*24*time.Hour), now.Add(16*24*time.Hour)),
		sign(stranger, now.Add(-30*24*time.Hour), now.Add(-14*24*time.Hour)),
	})
	if len(outs) != 3 {
		t.Fatalf("%d decisions for 3 codes", len(outs))
	}
	checkDecision(t, outs[0], checkin.Deny, checkin.ExpiredBadge, &p)
	checkDecision(t, outs[1], checkin.Deny, checkin.NotYetValid, &p)
	checkDecision(t, outs[2], checkin.Deny, checkin.ExpiredBadge, nil)
}
