package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
)

// MustRecentKiosk is a kiosk on the expo with people P1…P20, on a clock
// the test moves.
func MustRecentKiosk(t *testing.T) (*store.DB, string, *time.Time) {
	t.Helper()
	path := tempDB(t)
	db := MustOpen(t, path)
	now := time.Date(2026, 5, 14, 9, 0, 0, 0, time.Local)
	db.Now = func() time.Time { return now }
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(20))
	return db, path, &now
}

func TestRecent(t *testing.T) {
	ctx := context.Background()

	t.Run("NewestFirstDenialsIncluded", func(t *testing.T) {
		db, _, now := MustRecentKiosk(t)
		MustScan(t, db, "NOBODY", "main", checkin.Entry)
		*now = now.Add(time.Second)
		MustAdmit(t, db, "C-0001", "main")
		got, err := db.Recent(ctx, "main", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("Recent = %d rows, want 2: %+v", len(got), got)
		}
		if got[0].Kind != checkin.Admit || got[0].Person == nil || got[0].Person.Name != "Person 1" ||
			!got[0].At.Equal(*now) {
			t.Errorf("newest = %+v, want Person 1 admitted at %v", got[0], *now)
		}
		if got[1].Kind != checkin.Deny || got[1].Reason != checkin.UnknownBadge || got[1].Person != nil ||
			got[1].Code != "NOBODY" {
			t.Errorf("older = %+v, want the unknown code NOBODY denied", got[1])
		}
	})

	t.Run("LastN", func(t *testing.T) {
		db, _, now := MustRecentKiosk(t)
		codes := make([]string, 12)
		for i := range codes {
			codes[i] = fmt.Sprintf("NOBODY-%02d", i+1)
			*now = now.Add(time.Second)
			MustScan(t, db, codes[i], "main", checkin.Entry)
		}
		got, err := db.Recent(ctx, "main", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 {
			t.Fatalf("Recent = %d rows, want 10", len(got))
		}
		for i, r := range got {
			if want := codes[11-i]; r.Code != want {
				t.Errorf("row %d = %+v, want %s", i, r, want)
			}
		}
	})

	t.Run("OtherDoorLeftOut", func(t *testing.T) {
		db, _, _ := MustRecentKiosk(t)
		MustAdmit(t, db, "C-0001", "main")
		MustAdmit(t, db, "C-0001", "ballroom")
		MustScan(t, db, "NOBODY", "ballroom", checkin.Entry)
		got, err := db.Recent(ctx, "main", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Person == nil || got[0].Person.ID != "P1" {
			t.Errorf("Recent(main) = %+v, want only P1's entry", got)
		}
	})

	t.Run("UndoneMarked", func(t *testing.T) {
		db, _, _ := MustRecentKiosk(t)
		MustAdmit(t, db, "C-0001", "main")
		if d, err := db.Undo(ctx, "main", time.Minute); err != nil || d.Reason != checkin.Undone {
			t.Fatalf("Undo: %+v, %v", d, err)
		}
		got, err := db.Recent(ctx, "main", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Reason != checkin.Undone || got[0].Undone || !got[1].Undone {
			t.Errorf("Recent = %+v, want the undo, then the admission marked undone", got)
		}
	})
}

func TestDoorToday(t *testing.T) {
	ctx := context.Background()
	db, path, now := MustRecentKiosk(t)
	yesterday := *now
	MustAdmit(t, db, "C-0001", "main") // yesterday: not today
	MustScan(t, db, "C-0001", "main", checkin.Exit)
	*now = now.Add(24 * time.Hour)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	for _, code := range []string{"C-0001", "C-0002", "C-0003"} {
		MustAdmit(t, db, code, "main")
	}
	MustScan(t, db, "C-0002", "main", checkin.Exit)
	MustScan(t, db, "NOBODY", "main", checkin.Entry) // a denial: nobody through
	MustAdmit(t, db, "C-0004", "main")
	if d, err := db.Undo(ctx, "main", time.Minute); err != nil || d.Reason != checkin.Undone {
		t.Fatalf("Undo: %+v, %v", d, err)
	}
	MustAdmit(t, db, "C-0001", "ballroom") // another door
	MustScan(t, db, "C-0001", "ballroom", checkin.Exit)

	want := func(t *testing.T, db *store.DB, door string, since time.Time, wantIn, wantOut int) {
		t.Helper()
		in, out, err := db.DoorToday(ctx, door, since)
		if err != nil {
			t.Fatal(err)
		}
		if in != wantIn || out != wantOut {
			t.Errorf("DoorToday(%s, %v) = %d in, %d out; want %d in, %d out", door, since, in, out, wantIn, wantOut)
		}
	}
	t.Run("UndoneNotCounted", func(t *testing.T) { want(t, db, "main", midnight, 3, 1) })
	t.Run("OtherDoor", func(t *testing.T) { want(t, db, "ballroom", midnight, 1, 1) })
	t.Run("SinceYesterday", func(t *testing.T) { want(t, db, "main", yesterday, 4, 2) })
	t.Run("AfterRestart", func(t *testing.T) {
		db.Close()
		want(t, MustOpen(t, path), "main", midnight, 3, 1)
	})
}
