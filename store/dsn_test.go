package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"usher/demo"
	"usher/store"
)

// A '#' in a folder's name ended the database's path: kiosks opened in
// "door#1" and "door#2" shared one file, "door".
func TestOpenPathWithHash(t *testing.T) {
	dir := t.TempDir()
	var dbs []*store.DB
	for _, d := range []string{"door#1", "door#2"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(filepath.Join(dir, d, "k.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].LoadAll(context.Background(), demo.Event(), demo.Roster(3), nil); err != nil {
		t.Fatal(err)
	}
	if ev := dbs[1].Event(); ev != nil {
		t.Errorf("a new database in another folder holds event %q", ev.ID)
	}
	if _, err := os.Stat(filepath.Join(dir, "door")); err == nil {
		t.Error("a file named after the path up to its '#' was created")
	}
}
