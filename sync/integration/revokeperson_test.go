package integration_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/central"
	"usher/centralstore"
	"usher/checkin"
	"usher/store"
	"usher/sync/kiosksync"
)

// TestRevokePersonAtCenter revokes, with `usher-central import
// --revoked`, one person (`*`) and one lost badge (its serial): after a
// pull every kiosk denies each of the person's credentials (roster code
// in any case, printed badge, a later reprint) and the lost badge with
// the older ones, and still admits the newer badge and the roster code
// of the person who lost it. A kiosk that had not pulled admits the
// revoked person, and the center lists that admission. A list with
// serial 0 is refused whole.
func TestRevokePersonAtCenter(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		sc := MustSignedCenter(t, dsn, 60)
		attendees := sc.Attendees()
		whole, lost := attendees[0], attendees[1]
		now := time.Now()
		sign := func(p checkin.Person, serial uint32) string {
			p.Serial = serial
			code, err := badge.Code(sc.ev, p, sc.key, now.Add(-time.Hour), now.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
		doors := []string{"main", "east"}
		kiosks := make([]*store.DB, len(doors))
		syncers := make([]*kiosksync.Syncer, len(doors))
		for i, door := range doors {
			kiosks[i] = MustEnroll(t, sc.MustCode(t, sc.srv.url, door), sc.hc)
			syncers[i] = newSyncer(kiosks[i], sc.hc)
		}
		MustShareRights(t, kiosks, syncers)
		importRevoked := func(list string) (int, string, string) {
			path := filepath.Join(t.TempDir(), "revoked.csv")
			if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := central.Run([]string{"import", "--event", filepath.Join(sc.dir, "event.toml"), "--revoked", path, "--db", dsn}, &stdout, &stderr)
			return code, stdout.String(), stderr.String()
		}

		if code, _, stderr := importRevoked(fmt.Sprintf("id,serial\n%s,0\n", whole.ID)); code == 0 || !strings.Contains(stderr, "serial 0") {
			t.Errorf("import of a list with serial 0: exit %d, %q; want it refused", code, stderr)
		}
		if code, _, stderr := importRevoked(fmt.Sprintf("id,serial\n%s,*\n%s,2\n", whole.ID, lost.ID)); code != 0 {
			t.Fatalf("import --revoked: exit %d: %s", code, stderr)
		}

		// The kiosk at main pulls the list; the one at east does not yet.
		if res := MustRound(t, "kiosk at main", newSyncer(kiosks[0], sc.hc)); res.Revocations != 2 {
			t.Errorf("kiosk at main pulled %d revocations, want 2", res.Revocations)
		}
		for _, c := range []struct {
			what, code string
			want       checkin.Reason
		}{
			{"the revoked person's code", whole.Code, checkin.Revoked},
			{"the revoked person's code in lower case", strings.ToLower(whole.Code), checkin.Revoked},
			{"the revoked person's printed badge", sign(whole, 1), checkin.Revoked},
			{"the revoked person's next badge", sign(whole, 2), checkin.Revoked},
			{"the lost badge", sign(lost, 2), checkin.Revoked},
			{"the badge the lost one replaced", sign(lost, 1), checkin.Revoked},
			{"the lost badge's reprint", sign(lost, 3), checkin.Admitted},
		} {
			if got := MustScan(t, kiosks[0], c.code, "main", checkin.Entry); got != c.want {
				t.Errorf("kiosk at main: %s: %s, want %s", c.what, got, c.want)
			}
		}
		if got := MustScan(t, kiosks[0], lost.Code, "main", checkin.Exit); got != checkin.ExitRecorded {
			t.Errorf("kiosk at main: exit of the person who lost a badge: %s", got)
		}
		if got := MustScan(t, kiosks[0], lost.Code, "main", checkin.Entry); got != checkin.Admitted {
			t.Errorf("kiosk at main: roster code of the person who lost a badge: %s, want admitted", got)
		}

		// East has not pulled: it admits the revoked person, and the center
		// says so once it hears of it.
		if got := MustScan(t, kiosks[1], whole.Code, "east", checkin.Entry); got != checkin.Admitted {
			t.Fatalf("kiosk at east before its pull: %s, want admitted", got)
		}
		MustRound(t, "kiosk at east", newSyncer(kiosks[1], sc.hc))
		found := false
		for _, c := range sc.MustStatus(t).Conflicts {
			if c.Kind == centralstore.RevokedAdmitted && c.Person == whole.ID {
				found = true
			} else if c.Kind == centralstore.RevokedAdmitted {
				t.Errorf("conflict %+v: only %s was admitted after a revocation", c, whole.ID)
			}
		}
		if !found {
			t.Errorf("the center lists no admission of %s after their revocation", whole.ID)
		}
		if got := MustScan(t, kiosks[1], whole.Code, "east", checkin.Exit); got != checkin.ExitRecorded {
			t.Errorf("kiosk at east after its pull: the revoked person leaving: %s, want exit_recorded", got)
		}
		if got := MustScan(t, kiosks[1], sign(whole, 1), "east", checkin.Entry); got != checkin.Revoked {
			t.Errorf("kiosk at east after its pull: the revoked person's badge: %s, want revoked", got)
		}
	})
}
