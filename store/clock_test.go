package store_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/hlc"
)

// MustHLCs returns the log's hlc column in seq order.
func MustHLCs(tb testing.TB, db *store.DB) []hlc.Timestamp {
	tb.Helper()
	rows, err := db.SQL().Query(`SELECT hlc FROM scans ORDER BY seq`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []hlc.Timestamp
	for rows.Next() {
		var ts hlc.Timestamp
		if err := rows.Scan(&ts); err != nil {
			tb.Fatal(err)
		}
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// checkIncreasing fails unless ts grows strictly.
func checkIncreasing(tb testing.TB, ts []hlc.Timestamp) {
	tb.Helper()
	for i := 1; i < len(ts); i++ {
		if ts[i] <= ts[i-1] {
			tb.Errorf("hlc of scan %d is %d, not after scan %d's %d (all: %v)", i+1, ts[i], i, ts[i-1], ts)
		}
	}
}

// TestHLC checks the clock every scan is stamped with: it follows the
// wall clock, never goes back, and survives a restart and a second
// process sharing the file.
func TestHLC(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	t.Run("FollowsWallClock", func(t *testing.T) {
		db := MustOpen(t, tempDB(t))
		db.Now = func() time.Time { return at }
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		MustAdmit(t, db, "C-0001", "main")
		if got := MustHLCs(t, db); got[0] != hlc.Make(at, 0) {
			t.Errorf("first scan stamped %d (%s), want %d", got[0], got[0].Time(), hlc.Make(at, 0))
		}
	})
	t.Run("ClockStandsStillOrGoesBack", func(t *testing.T) {
		db := MustOpen(t, tempDB(t))
		now := at
		db.Now = func() time.Time { return now }
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		MustAdmit(t, db, "C-0001", "main")
		MustScan(t, db, "C-9999", "main", checkin.Entry) // the same millisecond
		now = at.Add(-time.Hour)                         // NTP steps the clock back
		MustAdmit(t, db, "C-0002", "main")
		checkIncreasing(t, MustHLCs(t, db))
	})
	t.Run("AcrossReopen", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		db.Now = func() time.Time { return at }
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		MustAdmit(t, db, "C-0001", "main")
		MustAdmit(t, db, "C-0002", "main")
		db.Close()
		db = MustOpen(t, path)
		db.Now = func() time.Time { return at.Add(-time.Minute) } // a kiosk that lost its clock
		MustAdmit(t, db, "C-0003", "main")
		checkIncreasing(t, MustHLCs(t, db))
	})
	t.Run("ServerClockAcrossReopen", func(t *testing.T) {
		path := tempDB(t)
		db := MustOpen(t, path)
		db.Now = func() time.Time { return at }
		MustLoad(t, db, MustEvent(t, expoEvent("expo")), people(3))
		server := hlc.Make(at.Add(10*time.Minute), 7) // the server's clock is ahead
		if err := db.ObserveHLC(ctx, server); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = MustOpen(t, path)
		db.Now = func() time.Time { return at }
		MustAdmit(t, db, "C-0001", "main")
		if got := MustHLCs(t, db); got[0] <= server {
			t.Errorf("scan after seeing server clock %d stamped %d, want after it", server, got[0])
		}
	})
	t.Run("TwoHandles", func(t *testing.T) {
		path := tempDB(t)
		a := MustOpen(t, path)
		MustLoad(t, a, MustEvent(t, expoEvent("expo")), people(4))
		b := MustOpen(t, path)
		a.Now = func() time.Time { return at }
		b.Now = func() time.Time { return at.Add(-time.Second) } // b's reading lags a's
		MustAdmit(t, a, "C-0001", "main")
		MustAdmit(t, b, "C-0002", "main")
		MustAdmit(t, a, "C-0003", "main")
		MustAdmit(t, b, "C-0004", "main")
		checkIncreasing(t, MustHLCs(t, a))
	})
	t.Run("MigrationStampsOldLog", func(t *testing.T) {
		path := tempDB(t)
		MustOldKiosk(t, path, []int64{1000, 1000, 1000, 900, 2000, 2000})
		db := MustOpen(t, path)
		got := MustHLCs(t, db)
		want := []hlc.Timestamp{
			hlc.Make(time.UnixMilli(1000), 0), hlc.Make(time.UnixMilli(1000), 1), hlc.Make(time.UnixMilli(1000), 2),
			hlc.Make(time.UnixMilli(1000), 3), hlc.Make(time.UnixMilli(2000), 0), hlc.Make(time.UnixMilli(2000), 1),
		}
		if !slices.Equal(got, want) {
			t.Errorf("old log stamped %v, want %v", got, want)
		}
	})
}

// MustOldKiosk makes, at path, a kiosk database as the release before
// sync left it (migrations 001 and 002), with scans logged at ats.
func MustOldKiosk(tb testing.TB, path string, ats []int64) {
	tb.Helper()
	sdb, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		tb.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec(`CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		tb.Fatal(err)
	}
	for _, name := range []string{"migration/001_kiosk.sql", "migration/002_badges.sql"} {
		body, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := sdb.Exec(string(body)); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		if _, err := sdb.Exec(`INSERT INTO migrations (name, applied_at) VALUES (?, '2026-01-01T00:00:00Z')`, name); err != nil {
			tb.Fatal(err)
		}
	}
	for _, at := range ats {
		if _, err := sdb.Exec(`INSERT INTO scans (at, door, direction, method, code, decision, reason)
			VALUES (?, 'main', 'entry', 'badge', 'C-9999', 'deny', 'unknown_badge')`, at); err != nil {
			tb.Fatal(err)
		}
	}
}
