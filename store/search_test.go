package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// searchRoster is a roster with accents, shared names and companies.
func searchRoster() []checkin.Person {
	return []checkin.Person{
		{ID: "P1", Name: "Fernando Corbató", Company: "MIT", Category: "attendee", Code: "C-1"},
		{ID: "P2", Name: "Ada Lovelace", Company: "Analytical Engines", Category: "attendee", Code: "C-2"},
		{ID: "P3", Name: "Ada Lovelace", Company: "", Category: "staff", Code: "C-3"},
		{ID: "P4", Name: "Grace Hopper", Company: "Navy", Category: "attendee", Code: "C-4"},
		{ID: "P5", Name: "Zoë Ångström", Company: "Ünïcode Ltd", Category: "attendee", Code: "C-5"},
		{ID: "P6", Name: "Alan Turing", Company: "Bletchley", Category: "attendee", Code: "C-6"},
	}
}

func MustSearch(tb testing.TB, db *store.DB, q string, limit int) []string {
	tb.Helper()
	found, err := db.Search(context.Background(), q, limit)
	if err != nil {
		tb.Fatalf("search %q: %v", q, err)
	}
	ids := []string{}
	for _, p := range found {
		if p.Name == "" || p.Category == "" {
			tb.Fatalf("search %q: %s without name or category: %+v", q, p.ID, p)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

func TestSearch(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), searchRoster())
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"ada", []string{"P2", "P3"}},             // by name, then id
		{"  ADA lovelace ", []string{"P2", "P3"}}, // case and spaces at the ends aside
		{"Corbató", []string{"P1"}},
		{"CORBATÓ", []string{"P1"}}, // upper case beyond ASCII
		{"corbato", []string{"P1"}}, // accents aside
		{"zoe angstrom", []string{"P5"}},
		{"unicode", []string{"P5"}}, // the company
		{"analytical", []string{"P2"}},
		{"P4", []string{"P4"}},                              // the id
		{"p4", []string{}},                                  // an id only as it is
		{"a", []string{"P2", "P3", "P6", "P1", "P4", "P5"}}, // Ångström too
		{"lovelace analytical", []string{}},                 // not across name and company
		{"", []string{}},
		{"Nobody", []string{}},
	} {
		if got := MustSearch(t, db, c.q, 20); !slices.Equal(got, c.want) {
			t.Errorf("search %q = %v, want %v", c.q, got, c.want)
		}
	}
	if got := MustSearch(t, db, "a", 2); !slices.Equal(got, []string{"P2", "P3"}) {
		t.Errorf("search a, limit 2 = %v", got)
	}
	// An id match takes its place by name among the others.
	if got := MustSearch(t, db, "P6", 20); !slices.Equal(got, []string{"P6"}) {
		t.Errorf("search P6 = %v", got)
	}
}

// TestSearchFollowsRoster: the search reads the roster again after it
// changed, through this handle or another one on the same file, so a
// renamed or removed person is found as they are now.
func TestSearchFollowsRoster(t *testing.T) {
	path := tempDB(t)
	db := MustOpen(t, path)
	ev := MustEvent(t, expoEvent("expo"))
	roster := searchRoster()
	MustLoad(t, db, ev, roster)
	if got := MustSearch(t, db, "hopper", 20); !slices.Equal(got, []string{"P4"}) {
		t.Fatalf("search hopper = %v", got)
	}

	roster[3].Name = "Grace Brewster"
	MustLoad(t, db, ev, roster)
	if got := MustSearch(t, db, "hopper", 20); len(got) != 0 {
		t.Errorf("after a rename, search hopper = %v", got)
	}
	if got := MustSearch(t, db, "brewster", 20); !slices.Equal(got, []string{"P4"}) {
		t.Errorf("after a rename, search brewster = %v", got)
	}

	other := MustOpen(t, path)
	MustLoad(t, other, ev, slices.Delete(slices.Clone(roster), 5, 6)) // Alan Turing leaves
	roster = append(roster, checkin.Person{ID: "P7", Name: "Barbara Liskov", Category: "attendee", Code: "C-7"})
	if got := MustSearch(t, db, "turing", 20); len(got) != 0 {
		t.Errorf("after another handle removed P6, search turing = %v", got)
	}
	MustLoad(t, other, ev, roster)
	if got := MustSearch(t, db, "liskov", 20); !slices.Equal(got, []string{"P7"}) {
		t.Errorf("after another handle added P7, search liskov = %v", got)
	}
	if got := MustSearch(t, db, "turing", 20); !slices.Equal(got, []string{"P6"}) {
		t.Errorf("after another handle put P6 back, search turing = %v", got)
	}
}

// TestSearchFollowsPull: pulled changes reach the search, in name order,
// whether it reads the roster again or takes in just the people pulled.
func TestSearchFollowsPull(t *testing.T) {
	path := tempDB(t)
	db := MustOpen(t, path)
	ev := MustEvent(t, expoEvent("expo"))
	MustApply(t, db, wire.PullResponse{Cursor: 5, Event: ev, People: wirePeople(searchRoster()...)})
	if got := MustSearch(t, db, "a", 20); !slices.Equal(got, []string{"P2", "P3", "P6", "P1", "P4", "P5"}) {
		t.Fatalf("search a = %v", got)
	}
	renamed := searchRoster()[3] // Grace Hopper
	renamed.Name = "Aaron Hopper"
	added := checkin.Person{ID: "P0", Name: "Ada Lovelace", Category: "attendee", Code: "C-0"}
	MustApply(t, db, wire.PullResponse{Cursor: 6, People: append(wirePeople(renamed, added),
		wire.Person{ID: "P6", Name: "Alan Turing", Category: "attendee", Removed: true})})
	if got := MustSearch(t, db, "a", 20); !slices.Equal(got, []string{"P4", "P0", "P2", "P3", "P1", "P5"}) {
		t.Errorf("after a pull, search a = %v", got)
	}
	if got := MustSearch(t, db, "grace", 20); len(got) != 0 {
		t.Errorf("after a pull, search grace = %v", got)
	}
	// Another handle's pull, then this one's: the search reads it all.
	other := MustOpen(t, path)
	back := searchRoster()[5]
	MustApply(t, other, wire.PullResponse{Cursor: 7, People: wirePeople(back)})
	renamed.Name = "Grace Hopper"
	MustApply(t, db, wire.PullResponse{Cursor: 8, People: wirePeople(renamed)})
	if got := MustSearch(t, db, "a", 20); !slices.Equal(got, []string{"P0", "P2", "P3", "P6", "P1", "P4", "P5"}) {
		t.Errorf("after two handles' pulls, search a = %v", got)
	}
}

// TestSearchSeesAChangeCommittedMeanwhile: another handle's pull
// committed between this handle's pull and the update of its search
// index is found by the next search; the index used to be stamped with
// the version that counted it without ever reading it.
func TestSearchSeesAChangeCommittedMeanwhile(t *testing.T) {
	path := tempDB(t)
	db := MustOpen(t, path)
	ev := MustEvent(t, expoEvent("expo"))
	MustApply(t, db, wire.PullResponse{Cursor: 5, Event: ev, People: wirePeople(searchRoster()...)})
	if got := MustSearch(t, db, "hopper", 20); !slices.Equal(got, []string{"P4"}) {
		t.Fatalf("search hopper = %v", got)
	}
	other := MustOpen(t, path)
	renamed, moved := searchRoster()[0], searchRoster()[3]
	renamed.Name = "Fernando Corbato Jr"
	moved.Name = "Grace Brewster"
	err := db.ApplyPullThen(context.Background(), wire.PullResponse{Cursor: 6, People: wirePeople(renamed)}, func() {
		MustApply(t, other, wire.PullResponse{Cursor: 7, People: wirePeople(moved)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := MustSearch(t, db, "brewster", 20); !slices.Equal(got, []string{"P4"}) {
		t.Errorf("search brewster = %v, want P4 (renamed by the other handle)", got)
	}
	if got := MustSearch(t, db, "hopper", 20); len(got) != 0 {
		t.Errorf("search hopper = %v, want nobody", got)
	}
	if got := MustSearch(t, db, "jr", 20); !slices.Equal(got, []string{"P1"}) {
		t.Errorf("search jr = %v, want P1 (this handle's own pull)", got)
	}
}

// TestScanDoesNotWaitForSearch: while a search reads the whole roster, a
// pull waits to update the index, but not holding the kiosk's lock: a
// scan at the door is decided meanwhile. It used to wait for both.
func TestScanDoesNotWaitForSearch(t *testing.T) {
	db := MustOpen(t, tempDB(t))
	ev := MustEvent(t, expoEvent("expo"))
	MustApply(t, db, wire.PullResponse{Cursor: 5, Event: ev, People: wirePeople(searchRoster()...)})
	MustSearch(t, db, "ada", 20) // an index to update
	release := db.HoldSearch()
	pulled := make(chan error, 1)
	renamed := searchRoster()[1]
	renamed.Name = "Ada King"
	go func() {
		pulled <- db.ApplyPull(context.Background(), wire.PullResponse{Cursor: 6, People: wirePeople(renamed)})
	}()
	// Once the page is committed, the pull is at the index's lock.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		var cursor string
		db.SQL().QueryRow(`SELECT value FROM settings WHERE key = 'sync_cursor'`).Scan(&cursor)
		if cursor == "6" {
			break
		}
		if time.Now().After(deadline) {
			release()
			t.Fatal("the pull did not commit")
		}
	}
	scanned := make(chan error, 1)
	go func() {
		d, err := db.Scan(context.Background(), checkin.Scan{Code: "C-1", Door: "main", Direction: checkin.Entry})
		if err == nil && d.Kind != checkin.Admit {
			err = fmt.Errorf("decision %s %s, want admit", d.Kind, d.Reason)
		}
		scanned <- err
	}()
	select {
	case err := <-scanned:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second): // a deadlock, not a slow machine
		release()
		t.Fatal("the scan waited for the search while a pull was applied")
	}
	release()
	if err := <-pulled; err != nil {
		t.Fatal(err)
	}
	if got := MustSearch(t, db, "king", 20); !slices.Equal(got, []string{"P2"}) {
		t.Errorf("search king = %v, want P2", got)
	}
}

// WarmSearch reads the roster ahead of the first search, and reads it
// again after another handle changed it; a scan made while it reads is
// decided as usual.
func TestWarmSearch(t *testing.T) {
	ctx := context.Background()
	path := tempDB(t)
	db := MustOpen(t, path)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(50))
	if db.SearchReady(ctx) {
		t.Fatal("the search holds the roster before any search or warm-up")
	}
	done := make(chan error, 1)
	go func() { done <- db.WarmSearch(ctx) }()
	if d := MustScan(t, db, "C-0001", "main", checkin.Entry); d.Kind != checkin.Admit {
		t.Errorf("a scan during the warm-up: %s %s", d.Kind, d.Reason)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !db.SearchReady(ctx) {
		t.Fatal("after WarmSearch the search does not hold the roster")
	}
	other := MustOpen(t, path)
	roster := people(51)
	MustLoad(t, other, MustEvent(t, expoEvent("expo")), roster)
	if db.SearchReady(ctx) {
		t.Fatal("another handle added a person, and the search still counts itself up to date")
	}
	if err := db.WarmSearch(ctx); err != nil || !db.SearchReady(ctx) {
		t.Fatalf("WarmSearch after the change: %v", err)
	}
	if found, err := db.Search(ctx, "Person 51", 5); err != nil || len(found) != 1 {
		t.Errorf("search for the new person: %v, %v", found, err)
	}
}

// TestSearchSavedAtLoad: Load saves the search text, and a handle opened
// afterwards reads it rather than the roster; once the roster changed,
// it reads the roster and saves the text again.
func TestSearchSavedAtLoad(t *testing.T) {
	ctx := context.Background()
	path := tempDB(t)
	db := MustOpen(t, path)
	ev := MustEvent(t, expoEvent("expo"))
	MustLoad(t, db, ev, searchRoster())
	// Behind the search's back, without moving the roster's version:
	// only a handle that reads the roster sees it.
	if _, err := db.SQL().Exec(`UPDATE people SET name = 'Grace Brewster' WHERE id = 'P4'`); err != nil {
		t.Fatal(err)
	}
	opened := MustOpen(t, path)
	if err := opened.WarmSearch(ctx); err != nil {
		t.Fatal(err)
	}
	if got := MustSearch(t, opened, "hopper", 20); !slices.Equal(got, []string{"P4"}) {
		t.Errorf("a new handle, search hopper = %v, want P4 from the saved text", got)
	}

	roster := searchRoster()
	roster[0].Name = "Fernando Corbato Jr"
	MustLoad(t, MustOpen(t, path), ev, roster) // Load saves it again
	if _, err := db.SQL().Exec(`DELETE FROM search_text`); err != nil {
		t.Fatal(err)
	}
	again := MustOpen(t, path)
	if got := MustSearch(t, again, "jr", 20); !slices.Equal(got, []string{"P1"}) {
		t.Errorf("nothing saved, search jr = %v, want P1", got)
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM search_text`).Scan(&n); err != nil || n == 0 {
		t.Errorf("after reading the roster, %d chunks saved (%v), want them saved again", n, err)
	}
	if got := MustSearch(t, MustOpen(t, path), "jr", 20); !slices.Equal(got, []string{"P1"}) {
		t.Errorf("a handle reading the text saved by a search, search jr = %v, want P1", got)
	}
}

// TestSearchPatchMatchesRead: pulls that rename, add and remove people
// all over a roster of many chunks leave the search holding exactly the
// lines it reads from the roster afterwards, in the same order, chunks
// too big cut in two.
func TestSearchPatchMatchesRead(t *testing.T) {
	ctx := context.Background()
	store.SetSearchChunk(t, 512)
	db := MustOpen(t, tempDB(t))
	ev := MustEvent(t, expoEvent("expo"))
	roster := people(600)
	for i := 5; i < len(roster); i += 50 {
		roster[i].Name = "Zz Moved" // the moved go among them by id
	}
	MustApply(t, db, wire.PullResponse{Cursor: 1, Event: ev, People: wirePeople(roster...)})
	if err := db.WarmSearch(ctx); err != nil {
		t.Fatal(err)
	}
	_, chunks := db.SearchText()
	var (
		page    []wire.Person
		changed []checkin.Person
	)
	for i := 0; i < len(roster); i += 7 {
		p := roster[i]
		switch i % 3 {
		case 0:
			p.Name = "Aa Renamed " + p.Name // to the front
		case 1:
			p.Name = "Zz Moved" // to the end, beside others of the name
		}
		changed = append(changed, p)
	}
	page = wirePeople(changed...)
	for i := 1; i < len(roster); i += 11 {
		page = append(page, wire.Person{ID: roster[i].ID, Name: roster[i].Name, Category: "attendee", Removed: true})
	}
	for i := range 150 { // many into one place: a chunk grows past twice its size
		page = append(page, wirePeople(checkin.Person{ID: fmt.Sprintf("N%03d", i), Name: "Person 3 Twin",
			Company: "Ünïcode", Category: "attendee", Code: fmt.Sprintf("N-%03d", i)})...)
	}
	MustApply(t, db, wire.PullResponse{Cursor: 2, People: page})
	if !db.SearchReady(ctx) {
		t.Fatal("the pull was not patched into the search")
	}
	got, n := db.SearchText()
	want, err := db.BuiltSearchText(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("patched search text differs from the roster read again:\n got %.300q\nwant %.300q", got, want)
	}
	if n <= chunks {
		t.Errorf("%d chunks after the patch, %d before: want more", n, chunks)
	}
	if ids := MustSearch(t, db, "person 3 twin", 3); !slices.Equal(ids, []string{"N000", "N001", "N002"}) {
		t.Errorf("search person 3 twin = %v", ids)
	}
}
