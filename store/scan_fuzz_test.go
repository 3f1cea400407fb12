package store_test

import (
	"context"
	"strings"
	"testing"

	"usher/badge"
	"usher/checkin"
)

// scanDoors are the doors the fuzz target scans at: the demo event's and
// one it does not have.
var scanDoors = []string{"main", "east", "ballroom-north", "hall-b", "workshop-a", "nowhere", ""}

// FuzzScan scans whatever a badge reader or the staff screen can send
// into a real kiosk database: codes, doors, directions, scans by name
// and overrides with a note. Scan never panics; a scan it refuses is a
// deny with reason log_failed, EINVALID or ENOTFOUND, and logs nothing;
// any other scan logs exactly one row, admits only someone on the roster
// or with a good badge, and is pushed as an event the center accepts.
func FuzzScan(f *testing.F) {
	k := MustBadgeKiosk(f)
	good := k.sign(f, "P9", "speaker", 1, func(p *badge.Payload) { p.Tags = []string{"workshop-a"} })
	for _, s := range []struct {
		code, note string
		door       uint8
		exit       bool
		by         uint8
	}{
		{code: k.roster[0].Code},
		{code: k.roster[0].Code, exit: true},
		{code: k.roster[1].Code, door: 2},
		{code: k.roster[1].Code, door: 2, by: 2, note: "speaker's guest"},
		{code: good},
		{code: good, door: 4},
		{code: strings.ToLower(good), door: 4, exit: true},
		{code: good[:len(good)-3]},
		{code: "C-9999"},
		{code: "C-\x00\x01"},
		{code: "not a code\x7f"},
		{code: " C-0001"},
		{code: "\xff\xfe"},
		{code: strings.Repeat("Ω", 300)},
		{code: k.roster[2].Code, door: 5},
		{code: k.roster[2].Code, door: 6},
		{code: k.roster[2].ID, by: 1, note: "lost badge"},
		{code: k.roster[2].ID, by: 1, note: "  "},
		{code: k.roster[2].ID, by: 1, note: "a\x00b"},
		{code: "P404", by: 1, note: "not on the list"},
		{code: k.roster[0].Code, by: 2, note: strings.Repeat("n", 501)},
	} {
		f.Add(s.code, s.door, s.exit, s.by, s.note)
	}
	ctx := context.Background()
	var last int64
	f.Fuzz(func(t *testing.T, code string, door uint8, exit bool, by uint8, note string) {
		scan := checkin.Scan{Code: code, Door: scanDoors[int(door)%len(scanDoors)], Direction: checkin.Entry, Note: note}
		if exit {
			scan.Direction = checkin.Exit
		}
		switch by % 3 {
		case 1:
			scan.Method, scan.PersonID, scan.Code = checkin.ByName, code, ""
		case 2:
			scan.Override = true
		}
		d, err := k.db.Scan(ctx, scan)
		logged := MustCount(t, k.db, `SELECT coalesce(max(seq), 0) FROM scans`)
		if err != nil {
			if c := checkin.ErrorCode(err); c != checkin.EINVALID && c != checkin.ENOTFOUND {
				t.Fatalf("Scan(%+v): %v (%s)", scan, err, c)
			}
			if d.Kind != checkin.Deny || d.Reason != checkin.LogFailed {
				t.Fatalf("Scan(%+v) failed (%v) with decision %s/%s", scan, err, d.Kind, d.Reason)
			}
			if int64(logged) != last {
				t.Fatalf("Scan(%+v) failed (%v) but the log grew from %d to %d", scan, err, last, logged)
			}
			return
		}
		if int64(logged) != last+1 {
			t.Fatalf("Scan(%+v) logged %d rows", scan, int64(logged)-last)
		}
		last = int64(logged)
		if d.Reason == "" || d.Message == "" || d.Reason == checkin.LogFailed {
			t.Fatalf("Scan(%+v) = %+v", scan, d)
		}
		if d.Kind == checkin.Admit && (d.Person == nil || d.Person.ID == "") {
			t.Fatalf("Scan(%+v) admitted nobody: %+v", scan, d)
		}
		if d.Kind == checkin.Admit && scan.Method != checkin.ByName && !checkin.PlausibleCode(code) {
			t.Fatalf("Scan(%+v) admitted on an implausible code", scan)
		}
		events, err := k.db.Pending(ctx, 10)
		if err != nil || len(events) != 1 || events[0].Seq != last {
			t.Fatalf("pending after scan %d: %+v, %v", last, events, err)
		}
		if err := k.db.MarkPushed(ctx, last); err != nil {
			t.Fatal(err)
		}
		if err := events[0].Check(); err != nil {
			t.Fatalf("the kiosk logged %+v for %+v, which the center refuses: %v", events[0], scan, err)
		}
	})
}
