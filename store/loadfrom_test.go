package store_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"usher/checkin"
	"usher/demo"
	"usher/roster"
	"usher/store"
)

// MustRosterCSV returns people as a generic roster CSV, split into its
// lines (the header is line 1, people[i] line i+2).
func MustRosterCSV(tb testing.TB, people []checkin.Person) []string {
	tb.Helper()
	var b bytes.Buffer
	if err := roster.Write(&b, people); err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// MustStream opens lines as a roster stream named roster.csv.
func MustStream(tb testing.TB, lines []string, ev *checkin.Event) *roster.Stream {
	tb.Helper()
	s, err := roster.NewStream(strings.NewReader(strings.Join(lines, "\n")+"\n"), "roster.csv", ev, roster.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestLoadFromBadRowNearEnd loads, from a roster file read as it goes, a
// roster of 5,000 whose row 4,990 is bad: the people before it have been
// written in the load's transaction, which must roll back, leaving a
// database that held a roster as it was, and a new one empty.
func TestLoadFromBadRowNearEnd(t *testing.T) {
	ctx := context.Background()
	ev := demo.Event()
	people := demo.Roster(5000)
	edits := map[string]struct {
		edit func(f []string)
		want []string
	}{
		"UndefinedCategory": {func(f []string) { f[2] = "wizard" }, []string{"roster.csv:4991, column 3 (category)", "wizard"}},
		"EmptyCode":         {func(f []string) { f[3] = "" }, []string{"roster.csv:4991, column 4 (code)", "code is empty"}},
	}
	for name, c := range edits {
		t.Run(name, func(t *testing.T) {
			db := MustOpen(t, filepath.Join(t.TempDir(), "k.db"))
			// A roster already loaded, half of it the people of the new one.
			if _, err := db.Load(ctx, ev, demo.Roster(5000)[2500:]); err != nil {
				t.Fatal(err)
			}
			fresh := MustOpen(t, filepath.Join(t.TempDir(), "fresh.db"))
			lines := MustRosterCSV(t, people)
			f := strings.Split(lines[4990], ",")
			c.edit(f)
			lines[4990] = strings.Join(f, ",")
			for _, db := range []*store.DB{db, fresh} {
				before := MustDump(t, db, "settings")
				s := MustStream(t, lines, ev)
				_, err := db.LoadFrom(ctx, ev, s, nil)
				if checkin.ErrorCode(err) != checkin.EINVALID {
					t.Fatalf("LoadFrom: %v, want EINVALID", err)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not name %q: %v", w, err)
					}
				}
				if s.Count() != 4989 {
					t.Errorf("the stream yielded %d people before the bad row, want 4989: the test does not test a half-written load", s.Count())
				}
				if after := MustDump(t, db, "settings"); !reflect.DeepEqual(after, before) {
					t.Errorf("the failed load changed the database")
				}
			}
		})
	}
}

// TestLoadFromRepeatsFarApart loads rosters that give an id or a code
// twice, on line 3 and on line 4,900: refused, naming both lines, the
// database as it was.
func TestLoadFromRepeatsFarApart(t *testing.T) {
	ctx := context.Background()
	ev := demo.Event()
	people := demo.Roster(5000)
	cases := map[string]struct {
		edit func(p []checkin.Person)
		want string
	}{
		"ID": {func(p []checkin.Person) { p[4898].ID = p[1].ID },
			fmt.Sprintf("roster.csv:4900, column 1 (id): id %q is already used on line 3", people[1].ID)},
		"Code": {func(p []checkin.Person) { p[4898].Code = p[1].Code },
			fmt.Sprintf("roster.csv:4900, column 4 (code): code %q is already used on line 3", people[1].Code)},
		"CodeByCase": {func(p []checkin.Person) { p[4898].Code = strings.ToLower(p[1].Code) },
			fmt.Sprintf("code %q differs from code %q on line 3 only by case", strings.ToLower(people[1].Code), people[1].Code)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			db := MustOpen(t, filepath.Join(t.TempDir(), "k.db"))
			if _, err := db.Load(ctx, ev, people[:100]); err != nil {
				t.Fatal(err)
			}
			before := MustDump(t, db, "settings")
			ps := append([]checkin.Person(nil), people...)
			c.edit(ps)
			s := MustStream(t, MustRosterCSV(t, ps), ev)
			_, err := db.LoadFrom(ctx, ev, s, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadFrom: %v\nwant %s", err, c.want)
			}
			if after := MustDump(t, db, "settings"); !reflect.DeepEqual(after, before) {
				t.Errorf("the refused load changed the database")
			}
		})
	}
}

// TestLoadFromRosterProblemsFirst: a load that fails for a reason of the
// database's (a code that belongs to someone else) early in a roster
// with a bad row late reports the roster's problem, as when the roster
// was read whole before the load began.
func TestLoadFromRosterProblemsFirst(t *testing.T) {
	ctx := context.Background()
	ev := demo.Event()
	people := demo.Roster(3000)
	db := MustOpen(t, filepath.Join(t.TempDir(), "k.db"))
	if _, err := db.Load(ctx, ev, people[:10]); err != nil {
		t.Fatal(err)
	}
	ps := append([]checkin.Person(nil), people[10:]...)
	ps[0].Code = people[0].Code // P000001's
	lines := MustRosterCSV(t, ps)
	lines[2900] = strings.Replace(lines[2900], ",attendee,", ",wizard,", 1)
	if !strings.Contains(lines[2900], "wizard") {
		t.Fatal("no attendee on the line to edit")
	}
	_, err := db.LoadFrom(ctx, ev, MustStream(t, lines, ev), nil)
	if err == nil || !strings.Contains(err.Error(), "roster.csv:2901, column 3 (category)") {
		t.Fatalf("LoadFrom: %v, want the roster's problem on line 2901", err)
	}
	// Without the bad row, the database's own refusal.
	lines = MustRosterCSV(t, ps)
	_, err = db.LoadFrom(ctx, ev, MustStream(t, lines, ev), nil)
	if err == nil || !strings.Contains(err.Error(), "already belongs to person "+people[0].ID) {
		t.Fatalf("LoadFrom: %v, want the code refused", err)
	}
}

// liveHeapReader passes a roster stream on, and every 1,000 people
// collects garbage and records the largest live heap seen: what the
// load holds, not what it has thrown away.
type liveHeapReader struct {
	*roster.Stream
	n    int
	peak uint64
}

func (r *liveHeapReader) Next() (checkin.Person, error) {
	if r.n%1000 == 0 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		r.peak = max(r.peak, m.HeapAlloc)
	}
	r.n++
	return r.Stream.Next()
}

// TestLoadFromMemory loads rosters of 10,000 and 40,000 people from a
// file read as it goes, and holds what the load keeps in memory per
// person to 120 bytes: the stream's sets of ids and codes take about 50,
// in blocks of 1 MiB. A stream that kept the people it yields would
// hold some 200 more; roster.Read and Load held far more than that.
func TestLoadFromMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 50,000 people")
	}
	ctx := context.Background()
	ev := demo.Event()
	dir := t.TempDir()
	peak := map[int]uint64{}
	for _, n := range []int{10_000, 40_000} {
		path := filepath.Join(dir, fmt.Sprintf("roster-%d.csv", n))
		var b bytes.Buffer
		if err := roster.Write(&b, demo.Roster(n)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		db := MustOpen(t, filepath.Join(dir, fmt.Sprintf("k-%d.db", n)))
		s, err := roster.OpenFile(path, ev, io.Discard, roster.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := &liveHeapReader{Stream: s}
		res, err := db.LoadFrom(ctx, ev, r, nil)
		s.Close()
		if err != nil || res.Added != n {
			t.Fatalf("LoadFrom %d people: %+v, %v", n, res, err)
		}
		peak[n] = r.peak
	}
	perPerson := (float64(peak[40_000]) - float64(peak[10_000])) / 30_000
	t.Logf("live heap: %.1f MB at 10,000 people, %.1f MB at 40,000: %.0f bytes a person",
		float64(peak[10_000])/1e6, float64(peak[40_000])/1e6, perPerson)
	if perPerson > 120 {
		t.Errorf("the load holds %.0f bytes a person, want at most 120", perPerson)
	}
}
