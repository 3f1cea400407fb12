package centralstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/sync/wire"
)

// TestRevocationConflicts checks the center's list of admissions after a
// revocation against what kiosks deny: a person revoked, by any of their
// credentials (roster code, a signed badge of any serial, by name); a
// serial revoked, that badge and the older ones but not a newer one or
// the roster code. An admission before the revocation is none.
func TestRevocationConflicts(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		people := demo.Roster(8)
		MustImport(t, db, people, nil)
		clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		main := MustEnroll(t, db, "main")
		MustGrant(t, db, main)
		key, _, err := badge.NewKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		signed := func(p checkin.Person, serial uint32) string {
			p.Serial = serial
			code, err := badge.Code(demo.Event(), p, key, clock.Add(-time.Hour), clock.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
		n := int64(0)
		admit := func(p checkin.Person, method, code string) {
			n++
			e := wire.Event{Seq: n, HLC: uint64(clock.UnixMilli()+n) << 16, At: clock.UnixMilli() + n, Door: "main",
				Direction: "entry", Method: method, Code: code, Person: p.ID, Decision: "admit", Reason: "admitted",
				From: "outside", Location: "venue", Rights: checkin.Spends(demo.Event(), "main"),
				Stamp: &checkin.Stamp{T: clock.UnixMilli() + n}}
			if _, err := db.Push(ctx, main, []wire.Event{e}); err != nil {
				t.Fatal(err)
			}
			n++
			exit := e
			exit.Seq, exit.HLC, exit.At, exit.Direction, exit.Decision, exit.Reason = n, uint64(clock.UnixMilli()+n)<<16, clock.UnixMilli()+n, "exit", "exit", "exit_recorded"
			exit.From, exit.Location, exit.Rights, exit.Stamp = "venue", "outside", nil, &checkin.Stamp{T: clock.UnixMilli() + n}
			if _, err := db.Push(ctx, main, []wire.Event{exit}); err != nil {
				t.Fatal(err)
			}
		}
		whole, lost, early := people[0], people[1], people[2]
		admit(early, "badge", signed(early, 1)) // before its revocation

		clock = clock.Add(time.Minute)
		res := MustImport(t, db, people, []checkin.Revocation{{PersonID: whole.ID, Serial: badge.AllSerials},
			{PersonID: lost.ID, Serial: 2}, {PersonID: early.ID, Serial: 1}})
		if res.Revoked != 3 {
			t.Errorf("import revoked %d, want 3", res.Revoked)
		}
		clock = clock.Add(time.Minute)
		conflicts := map[string]bool{}
		for _, c := range []struct {
			what     string
			p        checkin.Person
			method   string
			code     string
			conflict bool
		}{
			{"revoked person's roster code", whole, "badge", whole.Code, true},
			{"revoked person's badge", whole, "badge", signed(whole, 4), true},
			{"revoked person by name", whole, "name", "", true},
			{"lost badge", lost, "badge", signed(lost, 2), true},
			{"older badge", lost, "badge", signed(lost, 1), true},
			{"newer badge", lost, "badge", signed(lost, 3), false},
			{"roster code of a lost badge", lost, "badge", lost.Code, false},
		} {
			admit(c.p, c.method, c.code)
			conflicts[c.what] = c.conflict
		}
		st, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, c := range st.Conflicts {
			if c.Kind != centralstore.RevokedAdmitted {
				t.Errorf("conflict %+v", c)
				continue
			}
			got[c.Seq] = true
		}
		if got[1] {
			t.Error("a badge admitted before its revocation is listed as a conflict")
		}
		for i, c := range []string{"revoked person's roster code", "revoked person's badge", "revoked person by name",
			"lost badge", "older badge", "newer badge", "roster code of a lost badge"} {
			seq := int64(3 + 2*i)
			if got[seq] != conflicts[c] {
				t.Errorf("%s (seq %d): conflict %v, want %v", c, seq, got[seq], conflicts[c])
			}
		}
	})
}

// TestRevocationImport checks the revocation list an import takes: a
// person's revocation travels to kiosks as serial 4294967295, a serial 0
// (no printed badge has it) is refused with nothing written, and the
// same list again revokes nothing new.
func TestRevocationImport(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		people := demo.Roster(4)
		MustImport(t, db, people, nil)
		_, cursor := pullAll(t, db, 0, 100)

		_, err := db.Import(ctx, demo.Event(), people[1:], []checkin.Revocation{{PersonID: people[1].ID, Serial: 0}})
		if checkin.ErrorCode(err) != checkin.EINVALID || !strings.Contains(checkin.ErrorMessage(err), people[1].ID) {
			t.Errorf("import with serial 0: %v, want EINVALID naming %s", err, people[1].ID)
		}
		if pages, _ := pullAll(t, db, cursor, 100); len(pages[0].People) != 0 || len(pages[0].Revocations) != 0 {
			t.Errorf("a refused import changed %+v", pages[0])
		}

		list := []checkin.Revocation{{PersonID: people[1].ID, Serial: badge.AllSerials}, {PersonID: people[2].ID, Serial: 3}}
		if res := MustImport(t, db, people, list); res.Revoked != 2 {
			t.Errorf("import revoked %d, want 2", res.Revoked)
		}
		pages, cursor := pullAll(t, db, cursor, 100)
		want := []wire.Revocation{{Person: people[1].ID, Serial: badge.AllSerials}, {Person: people[2].ID, Serial: 3}}
		if len(pages) != 1 || len(pages[0].Revocations) != 2 || pages[0].Revocations[0] != want[0] || pages[0].Revocations[1] != want[1] {
			t.Errorf("pulled %+v, want revocations %+v", pages, want)
		}
		if res := MustImport(t, db, people, list); res.Revoked != 0 {
			t.Errorf("the same list again revoked %d, want 0", res.Revoked)
		}
		if pages, _ := pullAll(t, db, cursor, 100); len(pages[0].Revocations) != 0 {
			t.Errorf("the same list again sent %+v", pages[0].Revocations)
		}
	})
}
