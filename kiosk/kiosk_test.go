package kiosk_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"usher/checkin"
	"usher/demo"
	"usher/kiosk"
	"usher/roster"
	"usher/store"
)

// demoPeople is the size of the demo rosters here: enough for every
// category, small enough to load in milliseconds.
const demoPeople = 60

// result is what one `usher` command did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs an usher command in-process with stdin as its input.
func run(tb testing.TB, stdin string, args ...string) result {
	tb.Helper()
	var out, errOut bytes.Buffer
	code := kiosk.Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// MustRun runs an usher command and fails the test unless it exits 0.
func MustRun(tb testing.TB, stdin string, args ...string) string {
	tb.Helper()
	r := run(tb, stdin, args...)
	if r.code != 0 {
		tb.Fatalf("usher %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// kioskDir is a demo event and roster written by demo.Write and loaded
// into a kiosk database with `usher load`.
type kioskDir struct {
	dir, event, roster, db string
	people                 []checkin.Person // the roster as written
	ev                     *checkin.Event
}

// MustKiosk writes the demo to a temp folder and loads it.
func MustKiosk(tb testing.TB) kioskDir {
	tb.Helper()
	return MustKioskOf(tb, demoPeople)
}

// MustKioskOf is MustKiosk with a roster of n people.
func MustKioskOf(tb testing.TB, n int) kioskDir {
	tb.Helper()
	dir := tb.TempDir()
	if err := demo.Write(dir, n); err != nil {
		tb.Fatalf("demo.Write: %v", err)
	}
	k := kioskDir{dir: dir, event: filepath.Join(dir, "event.toml"), roster: filepath.Join(dir, "roster.csv"),
		db: filepath.Join(dir, "kiosk.db"), ev: demo.Event()}
	f, err := os.Open(k.roster)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if k.people, _, err = roster.Read(f, k.roster, k.ev); err != nil {
		tb.Fatalf("demo roster: %v", err)
	}
	out := MustRun(tb, "", "load", "--db", k.db, "--event", k.event, "--roster", k.roster)
	if want := fmt.Sprintf("%d added, 0 updated, 0 unchanged, 0 removed", len(k.people)); !strings.Contains(out, want) {
		tb.Fatalf("first load printed %q, want %q", out, want)
	}
	return k
}

// entitled returns the first n people of the roster who may enter space.
func (k kioskDir) entitled(tb testing.TB, space string, n int) []checkin.Person {
	tb.Helper()
	var ps []checkin.Person
	for _, p := range k.people {
		if len(ps) < n && k.ev.MayEnter(&p, space) {
			ps = append(ps, p)
		}
	}
	if len(ps) < n {
		tb.Fatalf("the demo roster has %d people who may enter %s, want %d", len(ps), space, n)
	}
	return ps
}

// keys are the fields every line of `usher scan` has, null or not.
var keys = []string{"seq", "code", "decision", "reason", "message", "person", "occupancy"}

// MustDecisions parses the output of `usher scan`, one JSON object per
// line.
func MustDecisions(tb testing.TB, stdout string) []kiosk.Output {
	tb.Helper()
	var outs []kiosk.Output
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			tb.Fatalf("line %d of usher scan is not JSON: %v\n%s", len(outs)+1, err, sc.Text())
		}
		if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, slices.Sorted(slices.Values(keys))) {
			tb.Errorf("line %d has fields %v, want %v", len(outs)+1, got, keys)
		}
		var o kiosk.Output
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			tb.Fatalf("line %d: %v", len(outs)+1, err)
		}
		outs = append(outs, o)
	}
	return outs
}

// MustScan pipes lines into `usher scan` at door and returns its
// decisions.
func (k kioskDir) MustScan(tb testing.TB, door string, lines []string, flags ...string) []kiosk.Output {
	tb.Helper()
	out := MustRun(tb, strings.Join(lines, "\n")+"\n", append([]string{"scan", "--db", k.db, "--door", door}, flags...)...)
	return MustDecisions(tb, out)
}

func checkDecision(tb testing.TB, o kiosk.Output, kind checkin.Kind, reason checkin.Reason, p *checkin.Person) {
	tb.Helper()
	if o.Decision != kind || o.Reason != reason {
		tb.Errorf("%q: %s/%s (%s), want %s/%s", o.Code, o.Decision, o.Reason, o.Message, kind, reason)
	}
	if o.Message == "" {
		tb.Errorf("%q: no message", o.Code)
	}
	switch {
	case p == nil && o.Person != nil:
		tb.Errorf("%q names %+v, want nobody", o.Code, *o.Person)
	case p != nil && (o.Person == nil || *o.Person != kiosk.PersonOutput{ID: p.ID, Name: p.Name, Category: p.Category}):
		tb.Errorf("%q names %+v, want %s (%s, %s)", o.Code, o.Person, p.ID, p.Name, p.Category)
	}
}

// TestDoneWhen is the acceptance pipeline: the demo, `usher load`,
// two roster codes admitted at the main door, and one code twice at an
// anti-passback door.
func TestDoneWhen(t *testing.T) {
	k := MustKiosk(t)
	two := k.entitled(t, "ballroom", 2)

	outs := k.MustScan(t, "main", []string{two[0].Code, two[1].Code})
	if len(outs) != 2 {
		t.Fatalf("%d decisions for 2 codes", len(outs))
	}
	for i, o := range outs {
		checkDecision(t, o, checkin.Admit, checkin.Admitted, &two[i])
		if o.Code != two[i].Code {
			t.Errorf("decision %d is for code %q, want %q", i+1, o.Code, two[i].Code)
		}
		if got := o.Occupancy["venue"]; got != i+1 {
			t.Errorf("venue occupancy after %d admits: %d", i+1, got)
		}
		if len(o.Occupancy) != len(k.ev.Spaces) {
			t.Errorf("occupancy %v lists %d spaces, the event has %d", o.Occupancy, len(o.Occupancy), len(k.ev.Spaces))
		}
	}

	if !k.ev.Space("ballroom").AntiPassback {
		t.Fatal("the demo ballroom has no anti-passback")
	}
	outs = k.MustScan(t, "ballroom-north", []string{two[0].Code, two[0].Code})
	if len(outs) != 2 {
		t.Fatalf("%d decisions for 2 codes", len(outs))
	}
	checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &two[0])
	checkDecision(t, outs[1], checkin.Deny, checkin.AlreadyInside, &two[0])
	for _, o := range outs {
		if o.Occupancy["ballroom"] != 1 || o.Occupancy["venue"] != 2 {
			t.Errorf("%s: occupancy %v, want ballroom 1 and venue still 2", o.Reason, o.Occupancy)
		}
	}
}

func TestScanInput(t *testing.T) {
	k := MustKiosk(t)
	ps := k.entitled(t, "venue", 6)

	t.Run("BlankLinesIgnored", func(t *testing.T) {
		out := MustRun(t, "\n   \n\r\n\t\n"+ps[0].Code+"\r\n\n \n", "scan", "--db", k.db, "--door", "main")
		outs := MustDecisions(t, out)
		if len(outs) != 1 {
			t.Fatalf("%d decisions, want 1 for the one code among blank lines:\n%s", len(outs), out)
		}
		checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &ps[0])
	})
	t.Run("SpacesAroundCodeTrimmed", func(t *testing.T) {
		outs := k.MustScan(t, "main", []string{"  " + ps[1].Code + " \t"})
		if len(outs) != 1 {
			t.Fatalf("%d decisions, want 1", len(outs))
		}
		checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &ps[1])
	})
	t.Run("LastLineWithoutNewline", func(t *testing.T) {
		out := MustRun(t, ps[2].Code, "scan", "--db", k.db, "--door", "main")
		outs := MustDecisions(t, out)
		if len(outs) != 1 {
			t.Fatalf("%d decisions, want 1", len(outs))
		}
		checkDecision(t, outs[0], checkin.Admit, checkin.Admitted, &ps[2])
	})
	t.Run("NotPlausibleDenied", func(t *testing.T) {
		bad := []string{
			"\x01\x02\x03",
			"U-ABC\x1b[2J",
			"U-\x7fDEL",
			"\xff\xfe\xfd",
			strings.Repeat("U", checkin.MaxCodeLen+1),
			strings.Repeat("A", 5000),
		}
		// A valid code after the bad lines shows the scanner went on.
		outs := k.MustScan(t, "main", append(slices.Clone(bad), ps[3].Code))
		if len(outs) != len(bad)+1 {
			t.Fatalf("%d decisions for %d lines", len(outs), len(bad)+1)
		}
		for _, o := range outs[:len(bad)] {
			checkDecision(t, o, checkin.Deny, checkin.InvalidCode, nil)
		}
		if o := outs[len(bad)-1]; len(o.Code) >= 5000 {
			t.Errorf("the 5000-byte line is echoed whole (%d bytes); it should be cut", len(o.Code))
		}
		checkDecision(t, outs[len(bad)], checkin.Admit, checkin.Admitted, &ps[3])
	})
	t.Run("UnknownBadge", func(t *testing.T) {
		outs := k.MustScan(t, "main", []string{"U-NOTONROSTER"})
		if len(outs) != 1 {
			t.Fatalf("%d decisions, want 1", len(outs))
		}
		checkDecision(t, outs[0], checkin.Deny, checkin.UnknownBadge, nil)
	})
	t.Run("Exit", func(t *testing.T) {
		p := ps[4]
		before := k.MustScan(t, "main", []string{p.Code})[0].Occupancy["venue"]
		outs := k.MustScan(t, "main", []string{p.Code, p.Code}, "--exit")
		if len(outs) != 2 {
			t.Fatalf("%d decisions, want 2", len(outs))
		}
		checkDecision(t, outs[0], checkin.Leave, checkin.ExitRecorded, &p)
		checkDecision(t, outs[1], checkin.Leave, checkin.NotInside, &p)
		for _, o := range outs {
			if got := o.Occupancy["venue"]; got != before-1 {
				t.Errorf("%s: venue occupancy %d, want %d", o.Reason, got, before-1)
			}
		}
		db := MustOpenDB(t, k.db)
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM scans WHERE direction = 'exit' AND door = 'main' AND person_id = ?`, p.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(outs) {
			t.Errorf("%d exits of %s logged, want %d", n, p.ID, len(outs))
		}
	})
}

// MustOpenDB opens the kiosk database file with Usher's own pragmas for
// reading what the commands wrote.
func MustOpenDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestUsage(t *testing.T) {
	k := MustKiosk(t)
	empty := filepath.Join(t.TempDir(), "empty.db")
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"UnknownDoor", []string{"scan", "--db", k.db, "--door", "back-door"}, 1, doorIDs(k.ev)},
		{"NoEventLoaded", []string{"scan", "--db", empty, "--door", "main"}, 1, []string{"usher load"}},
		{"ScanWithoutDB", []string{"scan", "--door", "main"}, 2, []string{"--db"}},
		{"ScanWithoutDoor", []string{"scan", "--db", k.db}, 2, []string{"--door"}},
		{"ScanExtraArgument", []string{"scan", "--db", k.db, "--door", "main", "extra"}, 2, []string{"extra"}},
		{"ScanUnknownFlag", []string{"scan", "--db", k.db, "--door", "main", "--speed", "9"}, 2, []string{"speed"}},
		{"LoadWithoutDB", []string{"load", "--event", k.event}, 2, []string{"--db"}},
		{"LoadWithoutEvent", []string{"load", "--db", k.db}, 2, []string{"--event"}},
		{"LoadMissingRoster", []string{"load", "--db", k.db, "--event", k.event, "--roster", filepath.Join(k.dir, "nope.csv")}, 1,
			[]string{"nope.csv"}},
		{"UnknownCommand", []string{"dance"}, 2, []string{"dance"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, k.people[0].Code+"\n", c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, c.code, r.stderr)
			}
			for _, s := range c.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not mention %q:\n%s", s, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// reasons renders decisions for a failure message.
func reasons(outs []kiosk.Output) string {
	var s []string
	for _, o := range outs {
		s = append(s, fmt.Sprintf("%s/%s %v", o.Decision, o.Reason, o.Occupancy))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func doorIDs(ev *checkin.Event) []string {
	var ids []string
	for _, d := range ev.Doors {
		ids = append(ids, d.ID)
	}
	return ids
}

// TestLoadBadRoster checks that `usher load` with a bad roster exits 1,
// names the line, and leaves the database file exactly as it was.
func TestLoadBadRoster(t *testing.T) {
	k := MustKiosk(t)
	k.MustScan(t, "main", []string{k.people[0].Code})
	data, err := os.ReadFile(k.roster)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	// line n of the file is lines[n-1]; person i is on line i+2.
	cases := []struct {
		name string
		edit func(lines []string) []string
		want []string
	}{
		{"BadHeader", func(l []string) []string { l[0] = "who,what,when"; return l }, []string{"roster.csv:1"}},
		{"DuplicateID", func(l []string) []string {
			f := strings.Split(l[9], ",")
			f[0] = k.people[2].ID // person 2 is on line 4
			l[9] = strings.Join(f, ",")
			return l
		}, []string{"roster.csv:10, column 1 (id)", "line 4"}},
		{"WrongFieldCount", func(l []string) []string { l[6] += ",extra"; return l }, []string{"roster.csv:7"}},
		{"UndefinedCategory", func(l []string) []string {
			f := strings.Split(l[20], ",")
			f[2] = "wizard"
			l[20] = strings.Join(f, ",")
			return l
		}, []string{"roster.csv:21, column 3 (category)", "wizard"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "roster.csv")
			if err := os.WriteFile(bad, []byte(strings.Join(c.edit(slices.Clone(lines)), "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := MustFile(t, k.db)
			r := run(t, "", "load", "--db", k.db, "--event", k.event, "--roster", bad)
			if r.code != 1 {
				t.Errorf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			for _, s := range c.want {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr does not name %q:\n%s", s, r.stderr)
				}
			}
			if after := MustFile(t, k.db); !bytes.Equal(after, before) {
				t.Errorf("the database file changed after a failed load")
			}
			fresh := filepath.Join(t.TempDir(), "fresh.db")
			if r := run(t, "", "load", "--db", fresh, "--event", k.event, "--roster", bad); r.code != 1 {
				t.Errorf("fresh database: exit %d, want 1", r.code)
			}
			if _, err := os.Stat(fresh); !os.IsNotExist(err) {
				t.Errorf("a failed load created %s (stat: %v)", fresh, err)
			}
		})
	}
	// The database still holds the first roster and presence.
	outs := k.MustScan(t, "main", []string{k.people[1].Code})
	if len(outs) != 1 || outs[0].Reason != checkin.Admitted || outs[0].Occupancy["venue"] != 2 {
		t.Errorf("after the failed loads: %s, want admitted with venue 2", reasons(outs))
	}
}

// MustFile reads a database file, with its WAL if one is left.
func MustFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if wal, err := os.ReadFile(path + "-wal"); err == nil {
		b = append(b, wal...)
	}
	return b
}

func TestLoadAgain(t *testing.T) {
	k := MustKiosk(t)
	t.Run("SameRoster", func(t *testing.T) {
		out := MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--roster", k.roster)
		if want := fmt.Sprintf("0 added, 0 updated, %d unchanged, 0 removed", len(k.people)); !strings.Contains(out, want) {
			t.Errorf("second load printed %q, want %q", out, want)
		}
	})
	t.Run("EventOnly", func(t *testing.T) {
		out := MustRun(t, "", "load", "--db", k.db, "--event", k.event)
		if strings.Contains(out, "roster") {
			t.Errorf("event-only load printed %q; it changes no roster", out)
		}
		outs := k.MustScan(t, "main", []string{k.people[0].Code})
		if len(outs) != 1 || outs[0].Reason != checkin.Admitted {
			t.Errorf("roster after an event-only load: %s, want admitted", reasons(outs))
		}
	})
	// A roster file with only its header asks for an empty roster. Loading
	// it must either be refused or remove everyone; reporting "0 removed"
	// while the old badges still open the door is neither.
	t.Run("EmptyRoster", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "roster.csv")
		if err := os.WriteFile(empty, []byte(strings.Join(roster.Header, ",")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, "", "load", "--db", k.db, "--event", k.event, "--roster", empty)
		if r.code != 0 {
			return // refused: fine
		}
		outs := k.MustScan(t, "east", []string{k.people[1].Code})
		if len(outs) != 1 || outs[0].Reason != checkin.Revoked {
			t.Errorf("load of an empty roster exited 0 and printed %q, but %s's badge still gets %s; want refused or revoked",
				r.stdout, k.people[1].ID, reasons(outs))
		}
	})
}

// usher load saves the name search's text for the screen that opens the
// database next, so its first search does not read the roster.
func TestLoadSavesSearchText(t *testing.T) {
	k := MustKiosk(t)
	db, err := store.Open(k.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	roster, err := db.Setting(ctx, "roster_version")
	if err != nil {
		t.Fatal(err)
	}
	saved, err := db.Setting(ctx, "search_version")
	if err != nil || roster == "" || saved != roster {
		t.Fatalf("after usher load the search text is of roster version %q, the roster's is %q (%v)", saved, roster, err)
	}
	var chunks int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM search_text`).Scan(&chunks); err != nil || chunks == 0 {
		t.Errorf("%d chunks of search text saved (%v)", chunks, err)
	}
}
