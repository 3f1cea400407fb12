package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/roster"
)

// upsertRosterWhole is how upsertRoster worked while a roster was loaded
// whole: the stored roster read into maps first, the new one held as a
// slice. It is kept as the reference the streaming load is held to
// (TestLoadMatchesWholeRoster).
func upsertRosterWhole(ctx context.Context, tx *sql.Tx, r RosterReader) (LoadResult, error) {
	var roster []checkin.Person
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return LoadResult{}, readError{err}
		}
		roster = append(roster, p)
	}
	var res LoadResult
	people, codes, err := readRosterWhole(ctx, tx)
	if err != nil {
		return res, err
	}
	u, err := newUpserter(ctx, tx, false)
	if err != nil {
		return res, err
	}
	defer u.close()
	known := loadedRoster{people: people, codes: codes}

	seen := make(map[string]bool, len(roster))
	codeOf := make(map[string]string, len(roster))
	for _, p := range roster {
		if seen[p.ID] {
			return res, checkin.Errorf(checkin.EINVALID, "person %s appears twice in the roster", p.ID)
		}
		if other, dup := codeOf[p.Code]; dup {
			return res, checkin.Errorf(checkin.EINVALID, "code %q is given to both %s and %s", p.Code, other, p.ID)
		}
		seen[p.ID], codeOf[p.Code] = true, p.ID
		change, err := u.upsert(ctx, known, p)
		if err != nil {
			return res, err
		}
		res.count(change)
	}
	for id, old := range people {
		if seen[id] || old.removed || old.walkup {
			continue
		}
		res.Removed++
		if err := u.remove(ctx, id); err != nil {
			return res, err
		}
	}
	return res, nil
}

// readRosterWhole is readRoster as it was: the stored people with their
// current code, and the owner of every code ever issued.
func readRosterWhole(ctx context.Context, tx *sql.Tx) (map[string]existing, map[string]string, error) {
	people := map[string]existing{}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, company, email, category, tags, serial, revoked_why, removed, walkup FROM people`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var (
			e    existing
			tags string
		)
		if err := rows.Scan(&e.p.ID, &e.p.Name, &e.p.Company, &e.p.Email, &e.p.Category, &tags, &e.p.Serial, &e.p.Revoked, &e.removed, &e.walkup); err != nil {
			rows.Close()
			return nil, nil, err
		}
		e.p.Tags = splitTags(tags)
		people[e.p.ID] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	codes := map[string]string{}
	rows, err = tx.QueryContext(ctx, `SELECT code, person_id, revoked FROM codes`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			code, owner string
			revoked     bool
		)
		if err := rows.Scan(&code, &owner, &revoked); err != nil {
			return nil, nil, err
		}
		codes[code] = owner
		if e, ok := people[owner]; ok && !revoked {
			e.p.Code = code
			people[owner] = e
		}
	}
	return people, codes, rows.Err()
}

// TestLoadMatchesWholeRoster loads a randomized sequence of rosters into
// three databases: through the reference (upsertRosterWhole), through
// LoadAll's slice, and through a roster.Stream of the roster's CSV. Each
// round drops, adds, changes, reprints and brings back people, revives
// old codes, marks walk-ups, and now and then repeats an id or a code or
// hands one person another's code. The counts (added, updated,
// unchanged, removed), the errors and every stored person, code and
// setting must be the same in all three.
func TestLoadMatchesWholeRoster(t *testing.T) {
	var total LoadResult
	failed, clashes := 0, 0
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			res, n, c := testLoadMatches(t, seed)
			total.add(res)
			failed += n
			clashes += c
		})
	}
	// The rounds must have done each thing the comparison is about.
	if total.Added == 0 || total.Updated == 0 || total.Unchanged == 0 || total.Removed == 0 || failed == 0 || clashes == 0 {
		t.Errorf("the rounds did not cover every count, a refused roster and a code clash: %+v, %d refused, %d clashes", total, failed, clashes)
	}
}

// testLoadMatches runs the rounds of one seed and returns the sum of
// their counts, how many loads were refused, and how many rosters gave
// a person a code stored for another.
func testLoadMatches(t *testing.T, seed uint64) (total LoadResult, failed, clashes int) {
	ctx := context.Background()
	ev := demo.Event()
	rng := rand.New(rand.NewPCG(seed, 99))
	dir := t.TempDir()
	open := func(name string) *DB {
		db, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return at }
		return db
	}
	ref, slice, stream := open("ref.db"), open("slice.db"), open("stream.db")
	dbs := []*DB{ref, slice, stream}

	pool := demo.Roster(3000) // ids P000001…; codes U-…
	cats := []string{"attendee", "speaker", "sponsor", "sponsor-comp"}
	cur := slices.Clone(pool[:2000])
	next := 2000
	codeN := 0
	oldCodes := map[string][]string{} // a person's earlier codes
	owner := map[string]string{}      // the person each stored code belongs to, for good
	newCode := func() string { codeN++; return fmt.Sprintf("R-%d-%06d", seed, codeN) }

	for round := range 8 {
		// Mutate the roster.
		var r []checkin.Person
		for _, p := range cur {
			switch k := rng.IntN(100); {
			case k < 8 && round > 0: // dropped: removed by this load
				continue
			case k < 14:
				p.Name = fmt.Sprintf("Renamed %d %s", round, p.Name)
			case k < 17:
				p.Category = cats[rng.IntN(len(cats))]
			case k < 20:
				oldCodes[p.ID] = append(oldCodes[p.ID], p.Code)
				p.Code = newCode() // a reprint
			case k < 21 && len(oldCodes[p.ID]) > 0:
				p.Code = oldCodes[p.ID][0] // an old badge of theirs, revived
			case k < 24:
				p.Serial = uint32(rng.IntN(4)) // up or down: down is no change
			case k < 27:
				if p.Revoked == "" {
					p.Revoked = "refunded ticket"
				} else {
					p.Revoked = ""
				}
			case k < 29:
				p.Tags = []string{"workshop-a"}
			case k < 31:
				p.Tags = nil
			case k < 33:
				p.Company, p.Email = "", ""
			}
			r = append(r, p)
		}
		for range rng.IntN(150) {
			if next < len(pool) {
				r = append(r, pool[next])
				next++
			}
		}
		// Some of those dropped in earlier rounds come back.
		for _, p := range pool[:2000] {
			if rng.IntN(200) == 0 && !slices.ContainsFunc(r, func(q checkin.Person) bool { return q.ID == p.ID }) {
				r = append(r, p)
			}
		}
		rng.Shuffle(len(r), func(i, j int) { r[i], r[j] = r[j], r[i] })

		bad := ""
		switch k := rng.IntN(10); {
		case k == 0 && len(r) > 100:
			bad = "repeated id"
			q := r[rng.IntN(50)]
			q.Code = newCode()
			r = append(r, q)
		case k == 1 && len(r) > 100:
			bad = "repeated code"
			r[len(r)-1-rng.IntN(50)].Code = r[rng.IntN(50)].Code
		case k == 2 && len(r) > 100:
			// In a fixed order: map order made the seeds' runs differ.
			for _, id := range slices.Sorted(maps.Keys(oldCodes)) {
				if i := slices.IndexFunc(r, func(q checkin.Person) bool { return q.ID != id }); i >= 0 {
					bad = "another's old code"
					r[i].Code = oldCodes[id][0]
					break
				}
			}
		}
		// A code stored for one person is refused for any other, however
		// it got there: an old code handed on above, or a person coming
		// back with their first badge after it was handed on while they
		// were off the roster. An old code never stored (its round was
		// refused) is no clash.
		if bad == "" || bad == "another's old code" {
			bad = ""
			for _, p := range r {
				if o, ok := owner[p.Code]; ok && o != p.ID {
					bad = "another's code"
					clashes++
					break
				}
			}
		}

		// Walk-ups: people first seen on a signed badge, whom a roster
		// without them does not remove.
		// One is new; one was on the roster (and may be dropped now).
		w1, w2 := fmt.Sprintf("W%d-%d", seed, round), fmt.Sprintf("P%06d", 1+rng.IntN(2000))
		for _, db := range dbs {
			if _, err := db.db.ExecContext(ctx, `INSERT INTO people (id, name, category, walkup) VALUES (?, 'Walk Up', 'attendee', 1)`, w1); err != nil {
				t.Fatal(err)
			}
			if _, err := db.db.ExecContext(ctx, `UPDATE people SET walkup = 1 WHERE id = ?`, w2); err != nil {
				t.Fatal(err)
			}
		}

		var csv bytes.Buffer
		if err := roster.Write(&csv, r); err != nil {
			t.Fatal(err)
		}
		before := dump(t, ref)
		refRes, refErr := ref.load(ctx, ev, &sliceReader{people: r}, nil, upsertRosterWhole)
		if refErr == nil {
			// As LoadAll does after a load.
			if err := ref.SaveSearch(ctx); err != nil {
				t.Fatal(err)
			}
		}
		sliceRes, sliceErr := slice.LoadAll(ctx, ev, r, nil)
		s, err := roster.NewStream(bytes.NewReader(csv.Bytes()), "roster.csv", ev, roster.Options{})
		if err != nil {
			t.Fatal(err)
		}
		streamRes, streamErr := stream.LoadFrom(ctx, ev, s, nil)
		s.Close()
		if streamErr == nil {
			// As usher load does once the stream is closed.
			if err := stream.SaveSearch(ctx); err != nil {
				t.Fatal(err)
			}
		}

		where := fmt.Sprintf("round %d (%s)", round, bad)
		if (refErr == nil) != (bad == "") {
			t.Fatalf("%s: reference load: %v", where, refErr)
		}
		if fmt.Sprint(sliceErr) != fmt.Sprint(refErr) {
			t.Fatalf("%s: slice load: %v; reference: %v", where, sliceErr, refErr)
		}
		if (streamErr == nil) != (refErr == nil) {
			t.Fatalf("%s: stream load: %v; reference: %v", where, streamErr, refErr)
		}
		if refErr == nil && (sliceRes != refRes || streamRes != refRes) {
			t.Fatalf("%s: slice %+v, stream %+v; reference %+v", where, sliceRes, streamRes, refRes)
		}
		want := dump(t, ref)
		if refErr != nil && want != before {
			t.Fatalf("%s: the failed reference load changed the database", where)
		}
		for i, db := range dbs[1:] {
			if got := dump(t, db); got != want {
				t.Fatalf("%s: %s database differs from the reference:\n%s", where, []string{"slice", "stream"}[i], firstDiff(got, want))
			}
		}
		if refErr == nil {
			cur = r
			total.add(refRes)
			for _, p := range r {
				if _, ok := owner[p.Code]; !ok {
					owner[p.Code] = p.ID
				}
			}
		} else {
			failed++
		}
	}
	return total, failed, clashes
}

func (r *LoadResult) add(o LoadResult) {
	r.Added += o.Added
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Removed += o.Removed
}

// dump is every stored person, code and setting, one line each.
func dump(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, name, company, email, category, tags, serial, revoked_why, removed, walkup FROM people ORDER BY id`,
		`SELECT code, person_id, revoked, '', '', '', '', '', '', '' FROM codes ORDER BY code`,
		`SELECT key, value, '', '', '', '', '', '', '', '' FROM settings WHERE key NOT IN ('device_id') ORDER BY key`,
	} {
		rows, err := db.db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			v := make([]any, 10)
			for i := range v {
				v[i] = new(sql.NullString)
			}
			if err := rows.Scan(v...); err != nil {
				t.Fatal(err)
			}
			for _, x := range v {
				fmt.Fprintf(&b, "%s|", x.(*sql.NullString).String)
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("got  %s\nwant %s", g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}
