//go:build linux

package store_test

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"usher/checkin"
	"usher/internal/fulldisk"
	"usher/store"
)

// diskFullMessage is what a scan that meets a full disk tells staff.
const diskFullMessage = "The kiosk's disk is full: scans cannot be recorded."

// TestDiskFull puts the kiosk database on a real tmpfs and fills it: a
// scan that cannot be logged is a deny with log_failed and an error
// saying the disk is full, nobody is admitted, presence and occupancy do
// not move and the log holds nothing of it; once space is freed, scans
// are recorded again, and the database is intact.
func TestDiskFull(t *testing.T) {
	dir, ok := fulldisk.Dir(t, 2<<20)
	if !ok {
		return
	}
	path := filepath.Join(dir, "kiosk.db")
	db := MustOpen(t, path)
	ps := people(9)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps)
	MustAdmit(t, db, ps[0].Code, "main")
	MustAdmit(t, db, ps[0].Code, "ballroom")
	// Start from an empty write-ahead log, as after any checkpoint, so
	// the next commit must grow a file.
	if _, err := db.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	before := db.Occupancy()
	rows := MustCount(t, db, `SELECT count(*) FROM scans`)

	free := fulldisk.Fill(t, dir)
	ctx := context.Background()
	// Every scan on the full disk, an entry, an exit and a person who
	// is inside going further in, must fail the same way.
	for _, sc := range []checkin.Scan{
		{Code: ps[1].Code, Door: "main", Direction: checkin.Entry},
		{Code: ps[2].Code, Door: "main", Direction: checkin.Entry},
		{Code: ps[0].Code, Door: "ballroom", Direction: checkin.Exit},
		{Code: "C-NOBODY", Door: "main", Direction: checkin.Entry},
	} {
		d, err := db.Scan(ctx, sc)
		if err == nil {
			t.Fatalf("%s %s at %s on a full disk: %s/%s and no error", sc.Direction, sc.Code, sc.Door, d.Kind, d.Reason)
		}
		t.Logf("%s %s at %s on a full disk: %v", sc.Direction, sc.Code, sc.Door, err)
		if d.Kind != checkin.Deny || d.Reason != checkin.LogFailed || d.Seq != 0 {
			t.Errorf("%s %s: %s/%s seq %d, want deny/%s seq 0", sc.Direction, sc.Code, d.Kind, d.Reason, d.Seq, checkin.LogFailed)
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_FULL {
			t.Errorf("error %v is not SQLite's SQLITE_FULL", err)
		}
		if checkin.ErrorCode(err) != checkin.EINTERNAL || checkin.ErrorMessage(err) != diskFullMessage {
			t.Errorf("error %s %q, want %s %q", checkin.ErrorCode(err), checkin.ErrorMessage(err), checkin.EINTERNAL, diskFullMessage)
		}
	}
	if got := db.Occupancy(); !maps.Equal(got, before) {
		t.Errorf("occupancy %v after unrecorded scans, want %v", got, before)
	}
	for _, p := range ps[:3] {
		want := checkin.Outside
		if p.ID == ps[0].ID {
			want = "ballroom"
		}
		if got := db.Location(p.ID); got != want {
			t.Errorf("%s is in %q after unrecorded scans, want %q", p.ID, got, want)
		}
	}

	free()
	d := MustScan(t, db, ps[1].Code, "main", checkin.Entry)
	if d.Reason != checkin.Admitted || d.Seq == 0 {
		t.Errorf("first scan after freeing space: %s seq %d, want admitted with a seq", d.Reason, d.Seq)
	}
	if d := MustScan(t, db, ps[0].Code, "ballroom", checkin.Exit); d.Reason != checkin.ExitRecorded {
		t.Errorf("exit after freeing space: %s, want %s", d.Reason, checkin.ExitRecorded)
	}
	if n := MustCount(t, db, `SELECT count(*) FROM scans`); n != rows+2 {
		t.Errorf("%d rows in the log, want %d: the %d before the disk filled and the 2 after", n, rows+2, rows)
	}
	if n := MustCount(t, db, `SELECT count(*) FROM scans WHERE reason = 'log_failed'`); n != 0 {
		t.Errorf("%d log_failed rows in the log", n)
	}
	var integrity string
	if err := db.SQL().QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check: %q, %v", integrity, err)
	}
	want := db.Occupancy()
	if want["venue"] != 2 || want["ballroom"] != 0 {
		t.Errorf("occupancy %v, want venue 2, ballroom 0", want)
	}
	again, err := store.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer again.Close()
	if got := again.Occupancy(); !maps.Equal(got, want) {
		t.Errorf("occupancy rebuilt from the log %v, want %v", got, want)
	}
}
