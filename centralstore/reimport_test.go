package centralstore_test

import (
	"context"
	"slices"
	"testing"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
)

// Edits made at the center (person add, person revoke, a reprint's code
// and serial) survive a re-import of the file they are missing from;
// --replace makes the roster the file again. A ticket status in the
// file reaches an edited person all the same.
func TestReimportKeepsCenterEdits(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		file := demo.Roster(10)
		MustImport(t, db, file, nil)
		_, cursor := pullAll(t, db, 0, 100)

		walkIn := checkin.Person{ID: "W1", Name: "Walk In", Category: "attendee", Code: "U-WALKIN0001"}
		if err := db.AddPerson(ctx, walkIn); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokePerson(ctx, file[1].ID); err != nil {
			t.Fatal(err)
		}
		serial, err := db.ReprintBadge(ctx, file[2].ID, "U-REPRINT0002")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ReprintBadge(ctx, file[3].ID, ""); err != nil {
			t.Fatal(err)
		}
		_, cursor = pullAll(t, db, cursor, 100)

		// The same file again: nothing the center did is undone, and the
		// kiosks pull nothing.
		res := MustImport(t, db, file, nil)
		if res.Kept != 3 || res.Removed != 0 || res.Updated != 0 || res.Added != 0 {
			t.Errorf("re-import: %+v, want 3 kept (the walk-in, the removal, the new code) and nothing else", res)
		}
		checkNothingNew(t, db, cursor, "a re-import of the same file")

		// The file changes: a name, and a refund for the reprinted person.
		// Both reach the roster; the reprint's code and serial stay.
		changed := slices.Clone(file)
		changed[2].Name = "Renamed In The File"
		changed[2].Revoked = "refunded ticket"
		res = MustImport(t, db, changed, nil)
		if res.Updated != 1 || res.Kept != 3 {
			t.Errorf("import of a changed file: %+v, want 1 updated, 3 kept", res)
		}
		p := mustPullOnce(t, db, cursor)
		if ids := pulledIDs(p); !slices.Equal(ids, []string{file[2].ID}) {
			t.Fatalf("pulled %v, want %s alone", ids, file[2].ID)
		}
		if got := p.People[0]; got.Name != "Renamed In The File" || got.Revoked != "refunded ticket" ||
			got.Code != "U-REPRINT0002" || got.Serial != serial {
			t.Errorf("pulled %+v: want the file's name and status with the reprint's code and serial %d", got, serial)
		}
		cursor = p.Cursor

		// --replace: the file is the roster.
		res, err = db.ImportWith(ctx, demo.Event(), changed, nil, centralstore.ImportOptions{Replace: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Removed != 1 || res.Kept != 0 {
			t.Errorf("--replace: %+v, want the walk-in removed and nothing kept", res)
		}
		byID := map[string]bool{}
		p = mustPullOnce(t, db, cursor)
		for _, q := range p.People {
			byID[q.ID] = true
			switch q.ID {
			case walkIn.ID:
				if !q.Removed {
					t.Errorf("the walk-in after --replace: %+v, want removed", q)
				}
			case file[1].ID:
				if q.Removed || q.Code != file[1].Code {
					t.Errorf("the removed person after --replace: %+v, want back with code %s", q, file[1].Code)
				}
			case file[2].ID:
				if q.Code != file[2].Code || q.Serial != serial {
					t.Errorf("the reprinted person after --replace: %+v, want the file's code %s and serial %d (a serial never goes down)",
						q, file[2].Code, serial)
				}
			}
		}
		for _, id := range []string{walkIn.ID, file[1].ID, file[2].ID} {
			if !byID[id] {
				t.Errorf("--replace did not change %s; pulled %v", id, pulledIDs(p))
			}
		}
	})
}

// A merge (what pretix's API reports) adds and updates, removes nobody
// and leaves the stored event alone.
func TestImportMerge(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		file := demo.Roster(10)
		MustImport(t, db, file, nil)
		_, cursor := pullAll(t, db, 0, 100)
		cancelled := file[4]
		cancelled.Revoked = "cancelled order"
		added := checkin.Person{ID: "NEW12-1", Name: "New Person", Category: "attendee", Code: "secretNEW121"}
		// The event a merge is given is not written: here one read before
		// an organizer changed a capacity.
		stale := demo.Event()
		stale.Spaces[0].Capacity++
		if err := stale.Validate(); err != nil {
			t.Fatal(err)
		}
		res, err := db.ImportWith(ctx, stale, []checkin.Person{cancelled, added}, nil, centralstore.ImportOptions{Merge: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 1 || res.Updated != 1 || res.Removed != 0 || res.EventChanged {
			t.Errorf("merge: %+v, want 1 added, 1 updated, none removed, the event as it was", res)
		}
		if stored, err := db.Event(ctx); err != nil || stored.Spaces[0].Capacity != demo.Event().Spaces[0].Capacity {
			t.Errorf("the stored event after a merge: %v; want the capacity as imported", err)
		}
		p := mustPullOnce(t, db, cursor)
		if ids := pulledIDs(p); !slices.Equal(ids, []string{added.ID, cancelled.ID}) {
			t.Errorf("pulled %v, want %s and %s", ids, cancelled.ID, added.ID)
		}
		for _, q := range p.People {
			if q.ID == cancelled.ID && q.Revoked != "cancelled order" {
				t.Errorf("the cancelled person pulled as %+v", q)
			}
		}
	})
}
