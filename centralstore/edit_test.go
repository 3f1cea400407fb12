package centralstore_test

import (
	"context"
	"slices"
	"testing"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/sync/wire"
)

// mustPullOnce pulls everything after cursor in one page.
func mustPullOnce(tb testing.TB, db *centralstore.DB, cursor int64) wire.PullResponse {
	tb.Helper()
	p, err := db.Pull(context.Background(), "", cursor, wire.MaxPullLimit)
	if err != nil {
		tb.Fatal(err)
	}
	if p.More {
		tb.Fatal("a pull after one edit has more pages")
	}
	return p
}

func pulledIDs(p wire.PullResponse) []string {
	var ids []string
	for _, person := range p.People {
		ids = append(ids, person.ID)
	}
	slices.Sort(ids)
	return ids
}

// checkNothingNew checks that a pull after cursor brings nothing: a
// refused edit left no trace.
func checkNothingNew(tb testing.TB, db *centralstore.DB, cursor int64, what string) {
	tb.Helper()
	p := mustPullOnce(tb, db, cursor)
	if p.Event != nil || len(p.People) != 0 || len(p.Revocations) != 0 || p.Cursor != cursor {
		tb.Errorf("%s: the next pull from %d brings %+v, want nothing", what, cursor, p)
	}
}

// edited is the demo event with a category that may enter no space.
func edited(tb testing.TB) *checkin.Event {
	tb.Helper()
	ev := demo.Event()
	ev.Categories = append(ev.Categories, checkin.Category{ID: "observer", Name: "Observer"})
	if err := ev.Validate(); err != nil {
		tb.Fatal(err)
	}
	return ev
}

func TestAddPerson(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		if err := db.AddPerson(ctx, checkin.Person{ID: "X", Name: "X", Category: "attendee", Code: "U-X"}); checkin.ErrorCode(err) != checkin.ENOTFOUND {
			t.Errorf("add before any import: %v, want ENOTFOUND", err)
		}
		people := demo.Roster(20)
		if _, err := db.Import(ctx, edited(t), people, nil); err != nil {
			t.Fatal(err)
		}
		_, cursor := pullAll(t, db, 0, 100)

		// The category by one of its aliases; spaces around the fields.
		added := checkin.Person{ID: " P900001 ", Name: "Walk In", Company: "ACME", Email: "w@example.org",
			Category: "Early Bird", Tags: []string{"workshop-a", " "}, Code: "U-ADDED00001"}
		if err := db.AddPerson(ctx, added); err != nil {
			t.Fatal(err)
		}
		p := mustPullOnce(t, db, cursor)
		if ids := pulledIDs(p); !slices.Equal(ids, []string{"P900001"}) || p.Event != nil || len(p.Revocations) != 0 {
			t.Fatalf("pull after person add: people %v, event %v, revocations %v; want P900001 alone", ids, p.Event != nil, p.Revocations)
		}
		got := p.People[0]
		// No email: kiosks get only what they show or decide with.
		if got.Name != "Walk In" || got.Company != "ACME" || got.Email != "" || got.Category != "attendee" ||
			got.Code != "U-ADDED00001" || !slices.Equal(got.Tags, []string{"workshop-a"}) || got.Removed || got.Serial != 0 {
			t.Errorf("pulled %+v", got)
		}
		cursor = p.Cursor

		removed := people[7]
		if err := db.RevokePerson(ctx, removed.ID); err != nil {
			t.Fatal(err)
		}
		cursor = mustPullOnce(t, db, cursor).Cursor

		ok := checkin.Person{ID: "P900002", Name: "Second", Category: "attendee", Code: "U-ADDED00002"}
		for _, c := range []struct {
			what string
			edit func(*checkin.Person)
			want string
		}{
			{"no id", func(p *checkin.Person) { p.ID = " " }, checkin.EINVALID},
			{"no name", func(p *checkin.Person) { p.Name = "" }, checkin.EINVALID},
			{"no category", func(p *checkin.Person) { p.Category = "" }, checkin.EINVALID},
			{"no code", func(p *checkin.Person) { p.Code = "" }, checkin.EINVALID},
			{"an id with a tab", func(p *checkin.Person) { p.ID = "P\t1" }, checkin.EINVALID},
			{"an implausible code", func(p *checkin.Person) { p.Code = "bad\tcode" }, checkin.EINVALID},
			{"a reserved code", func(p *checkin.Person) { p.Code = "removed:" + removed.ID + "x" }, checkin.EINVALID},
			{"an unknown category", func(p *checkin.Person) { p.Category = "vip" }, checkin.EINVALID},
			{"a category that may enter no space", func(p *checkin.Person) { p.Category = "observer" }, checkin.EINVALID},
			{"a tag with ;", func(p *checkin.Person) { p.Tags = []string{"a;b"} }, checkin.EINVALID},
			{"an id on the roster", func(p *checkin.Person) { p.ID = people[3].ID }, checkin.ECONFLICT},
			{"the id just added", func(p *checkin.Person) { p.ID = "P900001" }, checkin.ECONFLICT},
			{"a removed person's id", func(p *checkin.Person) { p.ID = removed.ID }, checkin.ECONFLICT},
			{"another person's code", func(p *checkin.Person) { p.Code = people[4].Code }, checkin.ECONFLICT},
			{"the added person's code", func(p *checkin.Person) { p.Code = "U-ADDED00001" }, checkin.ECONFLICT},
		} {
			p := ok
			c.edit(&p)
			err := db.AddPerson(ctx, p)
			if checkin.ErrorCode(err) != c.want {
				t.Errorf("add with %s: %v, want %s", c.what, err, c.want)
			} else if checkin.ErrorMessage(err) == "" {
				t.Errorf("add with %s: no message", c.what)
			}
		}
		checkNothingNew(t, db, cursor, "refused adds")
		if err := db.AddPerson(ctx, ok); err != nil {
			t.Fatalf("the valid second person: %v", err)
		}
		if ids := pulledIDs(mustPullOnce(t, db, cursor)); !slices.Equal(ids, []string{"P900002"}) {
			t.Errorf("pull after the second add: %v", ids)
		}
	})
}

func TestRevokePerson(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		people := demo.Roster(20)
		MustImport(t, db, people, nil)
		_, cursor := pullAll(t, db, 0, 100)
		gone := people[2]
		if err := db.RevokePerson(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		p := mustPullOnce(t, db, cursor)
		if ids := pulledIDs(p); !slices.Equal(ids, []string{gone.ID}) || len(p.Revocations) != 0 {
			t.Fatalf("pull after person revoke: %v, revocations %v; want %s alone", ids, p.Revocations, gone.ID)
		}
		if got := p.People[0]; !got.Removed || got.Code != "" {
			t.Errorf("the removed person pulled as %+v", got)
		}
		cursor = p.Cursor
		for _, c := range []struct {
			id, want string
		}{
			{"P999999", checkin.ENOTFOUND},
			{"", checkin.EINVALID},
			{gone.ID, checkin.ECONFLICT},
		} {
			if err := db.RevokePerson(ctx, c.id); checkin.ErrorCode(err) != c.want {
				t.Errorf("revoke %q: %v, want %s", c.id, err, c.want)
			}
		}
		checkNothingNew(t, db, cursor, "refused revocations")

		// A re-import of a roster that still has the person keeps the
		// removal made here; only --replace brings them back.
		res := MustImport(t, db, people, nil)
		if res.Kept != 1 || res.Updated != 0 || res.Unchanged != len(people)-1 {
			t.Errorf("re-import with the removed person: %+v, want 1 kept", res)
		}
		checkNothingNew(t, db, cursor, "a re-import that keeps the removal")
		res, err := db.ImportWith(ctx, demo.Event(), people, nil, centralstore.ImportOptions{Replace: true})
		if err != nil || res.Updated != 1 || res.Unchanged != len(people)-1 {
			t.Errorf("re-import with --replace: %+v, %v; want 1 updated", res, err)
		}
		p = mustPullOnce(t, db, cursor)
		if ids := pulledIDs(p); !slices.Equal(ids, []string{gone.ID}) || p.People[0].Removed || p.People[0].Code != gone.Code {
			t.Errorf("pull after the re-import: %+v", p.People)
		}
	})
}

func TestReprintBadge(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		people := demo.Roster(20)
		people[5].Serial = 7
		MustImport(t, db, people, nil)
		_, cursor := pullAll(t, db, 0, 100)

		type want struct {
			serial  uint32
			code    string
			revoked uint32
		}
		for _, c := range []struct {
			what, id, code string
			want           want
		}{
			// A badge is printed with serial 1 at least, so serial 0 goes to 2.
			{"serial 0, same code", people[1].ID, "", want{2, people[1].Code, 1}},
			{"the same person again", people[1].ID, "", want{3, people[1].Code, 2}},
			{"a new code", people[2].ID, "U-REPRINT0001", want{2, "U-REPRINT0001", 1}},
			{"serial 7", people[5].ID, " U-REPRINT0005 ", want{8, "U-REPRINT0005", 7}},
		} {
			serial, err := db.ReprintBadge(ctx, c.id, c.code)
			if err != nil {
				t.Fatalf("%s: %v", c.what, err)
			}
			if serial != c.want.serial {
				t.Errorf("%s: serial %d, want %d", c.what, serial, c.want.serial)
			}
			p := mustPullOnce(t, db, cursor)
			if ids := pulledIDs(p); !slices.Equal(ids, []string{c.id}) || p.Event != nil {
				t.Fatalf("%s: pulled people %v, want %s alone", c.what, ids, c.id)
			}
			if got := p.People[0]; got.Serial != c.want.serial || got.Code != c.want.code || got.Removed {
				t.Errorf("%s: pulled %+v, want serial %d code %s", c.what, got, c.want.serial, c.want.code)
			}
			if len(p.Revocations) != 1 || p.Revocations[0] != (wire.Revocation{Person: c.id, Serial: c.want.revoked}) {
				t.Errorf("%s: pulled revocations %+v, want %s serial %d", c.what, p.Revocations, c.id, c.want.revoked)
			}
			cursor = p.Cursor
		}

		if err := db.RevokePerson(ctx, people[9].ID); err != nil {
			t.Fatal(err)
		}
		cursor = mustPullOnce(t, db, cursor).Cursor
		for _, c := range []struct {
			what, id, code, want string
		}{
			{"an unknown person", "P999999", "", checkin.ENOTFOUND},
			{"no id", "", "", checkin.EINVALID},
			{"a removed person", people[9].ID, "", checkin.ECONFLICT},
			{"another person's code", people[3].ID, people[4].Code, checkin.ECONFLICT},
			{"a code another took in a reprint", people[3].ID, "U-REPRINT0001", checkin.ECONFLICT},
			{"the person's own code", people[3].ID, people[3].Code, checkin.EINVALID},
			{"an implausible code", people[3].ID, "bad\ncode", checkin.EINVALID},
			{"a reserved code", people[3].ID, "moving:x", checkin.EINVALID},
		} {
			serial, err := db.ReprintBadge(ctx, c.id, c.code)
			if checkin.ErrorCode(err) != c.want || serial != 0 {
				t.Errorf("reprint for %s: %d, %v; want 0 and %s", c.what, serial, err, c.want)
			}
		}
		checkNothingNew(t, db, cursor, "refused reprints")
	})
}
