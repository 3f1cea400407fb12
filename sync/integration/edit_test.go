package integration_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/central"
	"usher/checkin"
	"usher/store"
)

// TestRosterEditsAtCenter is Build item 7: roster edits made at the
// center with `usher-central person add`, `person revoke` and `badge
// reprint` reach a synced kiosk on its next pull.
func TestRosterEditsAtCenter(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		sc := MustSignedCenter(t, dsn, 60)
		ev, key, c, srv, hc := sc.ev, sc.key, sc.center, sc.srv, sc.hc
		attendees := c.Attendees()
		if len(attendees) < 3 {
			t.Fatalf("%d attendees in the demo roster, want 3", len(attendees))
		}
		revoked, recoded, resigned := attendees[0], attendees[1], attendees[2]
		now := time.Now()
		sign := func(p checkin.Person) string {
			t.Helper()
			code, err := badge.Code(ev, p, key, now.Add(-time.Hour), now.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
		oldSigned := sign(resigned)

		const door = "main"
		k := MustEnroll(t, c.MustCode(t, srv.url, door), hc)
		MustRound(t, "kiosk before the edits", newSyncer(k, hc))
		const newcomer, newcomerCode, newCode = "P900001", "U-WALKIN00001", "U-REPRINT0001"
		if r := MustScan(t, k, newcomerCode, door, checkin.Entry); r == checkin.Admitted {
			t.Fatalf("the newcomer's code before person add: %s", r)
		}
		scan := func(what, code string, dir checkin.Direction, want checkin.Reason) {
			t.Helper()
			if got := MustScan(t, k, code, door, dir); got != want {
				t.Errorf("%s: %s, want %s", what, got, want)
			}
		}
		scan("the revoked person's code before", revoked.Code, checkin.Entry, checkin.Admitted)
		scan("the signed badge before its reprint", oldSigned, checkin.Entry, checkin.Admitted)
		scan("the signed badge's holder leaving", oldSigned, checkin.Exit, checkin.ExitRecorded)

		run := func(args ...string) string {
			t.Helper()
			var stdout, stderr bytes.Buffer
			if code := central.Run(append(args, "--db", dsn), &stdout, &stderr); code != 0 {
				t.Fatalf("usher-central %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
			}
			return stdout.String()
		}
		// Each edit alone, then the kiosk's next round.
		round := func(what string, people, revocations int) {
			t.Helper()
			res := MustRound(t, "kiosk after "+what, newSyncer(k, hc))
			if res.People != people || res.Revocations != revocations || res.EventChanged {
				t.Errorf("after %s the kiosk pulled %+v, want %d people and %d revocations", what, res, people, revocations)
			}
		}

		run("person", "add", "--id", newcomer, "--name", "Walk In", "--category", "General Admission", "--code", newcomerCode)
		round("person add", 1, 0)
		scan("the added person's code", newcomerCode, checkin.Entry, checkin.Admitted)

		run("person", "revoke", revoked.ID)
		round("person revoke", 1, 0)
		scan("the revoked person's code", revoked.Code, checkin.Entry, checkin.Revoked)

		out := run("badge", "reprint", "--code", newCode, recoded.ID)
		if !strings.Contains(out, "serial 2") || !strings.Contains(out, "usher-central badges --person "+recoded.ID) {
			t.Errorf("badge reprint --code printed:\n%s", out)
		}
		round("badge reprint --code", 1, 1)
		scan("the reprinted person's old code", recoded.Code, checkin.Entry, checkin.Revoked)
		scan("the reprinted person's new code", newCode, checkin.Entry, checkin.Admitted)

		out = run("badge", "reprint", resigned.ID)
		if !strings.Contains(out, "serial 2") {
			t.Errorf("badge reprint printed:\n%s", out)
		}
		round("badge reprint", 1, 1)
		scan("the signed badge with the old serial", oldSigned, checkin.Entry, checkin.Revoked)
		reprinted := resigned
		reprinted.Serial = 2
		scan("the signed badge with the new serial", sign(reprinted), checkin.Entry, checkin.Admitted)
		scan("the roster code of the person whose badge was reprinted", resigned.Code, checkin.Exit, checkin.ExitRecorded)

		// Nothing more to pull; the center's status still adds up.
		round("nothing", 0, 0)
		CheckCenterHolds(t, c, []*store.DB{k})
	})
}

// TestPersonCommandsRefuse checks the commands' refusals: a usage error
// or the store's, with exit 1 and nothing changed.
func TestPersonCommandsRefuse(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		c := MustCenter(t, dsn, 10)
		before, err := c.db.Pull(context.Background(), "", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		p := c.people[1]
		for _, args := range [][]string{
			{"person"},
			{"person", "add", "--id", "X1", "--name", "X"},
			{"person", "add", "--id", "X1", "--name", "X", "--category", "attendee", "--code", p.Code},
			{"person", "add", "--id", p.ID, "--name", "X", "--category", "attendee", "--code", "U-NEW"},
			{"person", "add", "--id", "X1", "--name", "X", "--category", "nobody", "--code", "U-NEW"},
			{"person", "revoke"},
			{"person", "revoke", "P999999"},
			{"person", "revoke", p.ID, "P000003"},
			{"badge"},
			{"badge", "reprint"},
			{"badge", "reprint", "P999999"},
			{"badge", "reprint", p.ID, "--code", c.people[2].Code},
		} {
			var stdout, stderr bytes.Buffer
			if code := central.Run(append(args, "--db", dsn), &stdout, &stderr); code != 1 || stderr.Len() == 0 {
				t.Errorf("usher-central %s: exit %d, stderr %q; want 1 and a message", strings.Join(args, " "), code, stderr.String())
			}
		}
		after, err := c.db.Pull(context.Background(), "", before.Cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(after.People) != 0 || len(after.Revocations) != 0 || after.Cursor != before.Cursor {
			t.Errorf("refused commands changed the roster: %+v", after)
		}
	})
}
