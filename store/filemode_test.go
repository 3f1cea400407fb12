package store_test

import (
	"context"
	"os"
	"testing"

	"usher/checkin"
	"usher/store"
)

// wantPrivate checks that the database and its -wal and -shm files are
// readable by their owner only: the database holds the kiosk's bearer
// token.
func wantPrivate(tb testing.TB, when, path string) {
	tb.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) && p != path {
			continue
		} else if err != nil {
			tb.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			tb.Errorf("%s: %s has mode %04o, want 0600", when, p, mode)
		}
	}
}

func TestFileModes(t *testing.T) {
	ctx := context.Background()
	id := store.Identity{URL: "https://central.example.org", KioskID: "K-1", Token: "secret", Door: "main", EventID: "expo"}
	t.Run("New", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		wantPrivate(t, "after Open", path)
		if _, err := os.Stat(path + "-wal"); err != nil {
			t.Errorf("no -wal file after Open: %v", err)
		}
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		if err := db.Enroll(ctx, id); err != nil {
			t.Fatal(err)
		}
		MustScan(t, db, "C-0001", "main", checkin.Entry)
		wantPrivate(t, "after a write", path)
	})
	t.Run("Existing0644", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		// A second handle keeps the -wal and -shm files after the first
		// closes.
		other := MustOpen(t, path)
		db.Close()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		db = MustOpen(t, path)
		wantPrivate(t, "after opening a 0644 database", path)
		MustScan(t, db, "C-0001", "main", checkin.Entry)
		MustScan(t, other, "C-0002", "main", checkin.Entry)
		wantPrivate(t, "after a write", path)
	})
}
