package kiosk_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/roster"
)

// MustBadge signs p's badge with the demo's key (written by demo.Write
// beside the event file), valid from an hour ago for a day: `usher scan`
// verifies against the real clock.
func (k kioskDir) MustBadge(tb testing.TB, p checkin.Person) string {
	tb.Helper()
	key, err := badge.LoadKey(filepath.Join(k.dir, "keys", "signing.key"))
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	code, err := badge.Code(k.ev, p, key, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	return code
}

// MustWrite writes a file named name in a new temp folder.
func MustWrite(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestLoadRevoked loads a revocation list with `usher load --revoked` and
// scans: the listed serial is denied revoked, the person's next serial
// admitted, and an empty list lifts the revocation.
func TestLoadRevoked(t *testing.T) {
	k := MustKiosk(t)
	p := k.entitled(t, "venue", 1)[0]
	if p.Serial != 0 {
		t.Fatalf("the demo roster gives %s serial %d", p.ID, p.Serial)
	}
	first := k.MustBadge(t, p) // serial 1
	reprint := p
	reprint.Serial = 2
	second := k.MustBadge(t, reprint)

	out := MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--revoked",
		MustWrite(t, "revoked.csv", "id,serial\n"+p.ID+",1\nP999999,7\n"))
	if !strings.Contains(out, "revoked badges: 2") {
		t.Errorf("load printed %q, want it to count 2 revoked badges", out)
	}
	outs := k.MustScan(t, "main", []string{first})
	if len(outs) != 1 {
		t.Fatalf("%d decisions for 1 code", len(outs))
	}
	checkDecision(t, outs[0], checkin.Deny, checkin.Revoked, &p)

	// A walk-up: someone not on the roster, with a badge of the demo key.
	walkup := checkin.Person{ID: "W000001", Category: "speaker", Tags: []string{"workshop-a"}}
	outs = k.MustScan(t, "workshop-a", []string{k.MustBadge(t, walkup)})
	if len(outs) != 1 || outs[0].Reason != checkin.Admitted || outs[0].Person == nil ||
		outs[0].Person.ID != walkup.ID || outs[0].Person.Category != "speaker" {
		t.Errorf("walk-up at workshop-a: %+v, want admitted as a speaker", outs)
	}

	out = MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--revoked", MustWrite(t, "revoked.csv", "id,serial\n"))
	if !strings.Contains(out, "revoked badges: 0") {
		t.Errorf("load printed %q, want 0 revoked badges", out)
	}
	outs = k.MustScan(t, "main", []string{first})
	if len(outs) != 1 {
		t.Fatalf("%d decisions for 1 code", len(outs))
	}
	checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &p)

	// The reprint (serial 2) at the main door, its holder inside since
	// the first badge let them in: let in, not counted again, and from
	// then on this kiosk knows serial 1 was replaced, and refuses it.
	outs = k.MustScan(t, "main", []string{second})
	checkDecision(t, outs[0], checkin.Admit, checkin.AlreadyInsideAgain, &p)
	outs = k.MustScan(t, "main", []string{first})
	checkDecision(t, outs[0], checkin.Deny, checkin.Revoked, &p)
}

// TestLoadBadRevoked checks that `usher load` with a bad revocation list
// exits 1, names the line and column, and writes nothing: not the list,
// not the roster given with it.
func TestLoadBadRevoked(t *testing.T) {
	k := MustKiosk(t)
	p := k.people[0]
	first := k.MustBadge(t, p)
	MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--revoked", MustWrite(t, "revoked.csv", "id,serial\n"+p.ID+",1\n"))

	// A roster without its last person: loading it would remove them.
	var b bytes.Buffer
	if err := roster.Write(&b, k.people[:len(k.people)-1]); err != nil {
		t.Fatal(err)
	}
	shorter := MustWrite(t, "roster.csv", b.String())

	for _, c := range []struct {
		name, content string
		want          []string
	}{
		{"MissingColumn", "id,number\n" + p.ID + ",2\n", []string{"revoked.csv:1", "id,serial"}},
		{"NoHeader", p.ID + ",2\n", []string{"revoked.csv:1", "id,serial"}},
		{"BadSerial", "id,serial\n" + p.ID + ",2\nP000002,two\n", []string{"revoked.csv:3, column 2 (serial)", `"two"`}},
		{"NegativeSerial", "id,serial\n" + p.ID + ",-1\n", []string{"revoked.csv:2, column 2 (serial)"}},
		{"SerialTooBig", "id,serial\n" + p.ID + ",4294967296\n", []string{"revoked.csv:2, column 2 (serial)"}},
		{"ColumnsSwapped", "serial,id\n2," + p.ID + "\n3,P000002\nx,P000003\n", []string{"revoked.csv:4, column 1 (serial)"}},
		{"EmptyID", "id,serial\n" + p.ID + ",2\n ,3\n", []string{"revoked.csv:3, column 1 (id)"}},
		{"WrongFieldCount", "id,serial\n" + p.ID + ",2,extra\n", []string{"revoked.csv:2", "3 fields"}},
		{"UnclosedQuote", "id,serial\n" + p.ID + ",\"2\n", []string{"revoked.csv:2, column 2"}},
		{"Empty", "", []string{"revoked.csv", "empty"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := MustWrite(t, "revoked.csv", c.content)
			before := MustFile(t, k.db)
			r := run(t, "", "load", "--db", k.db, "--event", k.event, "--roster", shorter, "--revoked", bad)
			if r.code != 1 {
				t.Errorf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			for _, s := range c.want {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not name %q:\n%s", s, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if after := MustFile(t, k.db); !bytes.Equal(after, before) {
				t.Error("the database file changed after a failed load")
			}
			fresh := filepath.Join(t.TempDir(), "fresh.db")
			if r := run(t, "", "load", "--db", fresh, "--event", k.event, "--revoked", bad); r.code != 1 {
				t.Errorf("fresh database: exit %d, want 1", r.code)
			}
			if _, err := os.Stat(fresh); !os.IsNotExist(err) {
				t.Errorf("a failed load created %s (stat: %v)", fresh, err)
			}
		})
	}
	// The first list still holds, and the last person is still on the roster.
	last := k.people[len(k.people)-1]
	outs := k.MustScan(t, "main", []string{first, last.Code})
	if len(outs) != 2 {
		t.Fatalf("%d decisions for 2 codes", len(outs))
	}
	checkDecision(t, outs[0], checkin.Deny, checkin.Revoked, &p)
	checkDecision(t, outs[1], checkin.Admit, checkin.Admitted, &last) // every demo category may enter the venue
}
