package store_test

import (
	"context"
	"database/sql"
	"maps"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// reentryEvent is the expo with named doors and a second way into the
// venue.
func reentryEvent(t *testing.T) *checkin.Event {
	t.Helper()
	return MustEvent(t, expoEvent("expo"), func(ev *checkin.Event) {
		ev.Doors[0].Name = "Front"
		ev.Doors = append(ev.Doors, checkin.Door{ID: "side", Name: "Side Door", From: checkin.Outside, To: "venue"})
	})
}

// at is hh:mm on the event's day on the local clock, the one the screen
// shows times in.
func at(hh, mm int) time.Time { return time.Date(2026, 5, 14, hh, mm, 0, 0, time.Local) }

// reentryKiosk is a kiosk database on a clock the test sets.
type reentryKiosk struct {
	t   *testing.T
	db  *store.DB
	now time.Time
}

func MustReentryKiosk(t *testing.T) *reentryKiosk {
	t.Helper()
	k := &reentryKiosk{t: t, db: MustOpen(t, tempDB(t))}
	k.db.Now = func() time.Time { return k.now }
	return k
}

// scan scans code at door at the given time.
func (k *reentryKiosk) scan(when time.Time, code, door string, dir checkin.Direction) checkin.Decision {
	k.t.Helper()
	k.now = when
	return MustScan(k.t, k.db, code, door, dir)
}

// logRow is what the log keeps of one decision.
type logRow struct {
	decision, reason string
	from, location   sql.NullString
}

func (k *reentryKiosk) last() logRow {
	k.t.Helper()
	var r logRow
	if err := k.db.SQL().QueryRow(`SELECT decision, reason, from_loc, location FROM scans ORDER BY seq DESC LIMIT 1`).
		Scan(&r.decision, &r.reason, &r.from, &r.location); err != nil {
		k.t.Fatal(err)
	}
	return r
}

// wantAgain checks d is a re-scan that opens the door with message, and
// that it changed no count and was logged as such, moving nobody.
func (k *reentryKiosk) wantAgain(d checkin.Decision, message string, occupancy map[string]int) {
	k.t.Helper()
	if d.Kind != checkin.Admit || d.Reason != checkin.AlreadyInsideAgain || d.From != d.To || d.Moves() {
		k.t.Errorf("re-scan: %s/%s from %q to %q (%s), want %s/%s, no move",
			d.Kind, d.Reason, d.From, d.To, d.Message, checkin.Admit, checkin.AlreadyInsideAgain)
	}
	if d.Message != message {
		k.t.Errorf("message %q, want %q", d.Message, message)
	}
	if got := k.db.Occupancy(); !maps.Equal(got, occupancy) {
		k.t.Errorf("occupancy %v, want %v", got, occupancy)
	}
	r := k.last()
	if r.decision != string(checkin.Admit) || r.reason != string(checkin.AlreadyInsideAgain) || r.from.Valid || r.location.Valid {
		k.t.Errorf("log row %+v, want an admit with reason %s that moves nobody", r, checkin.AlreadyInsideAgain)
	}
}

// TestScanAlreadyInsideAgain: a re-scan of someone inside a space
// without anti-passback opens the door, is logged, counts nobody again,
// and says since when and through which door they are inside: the
// latest admission that put them there, an undone exit aside.
func TestScanAlreadyInsideAgain(t *testing.T) {
	inVenue := map[string]int{"venue": 1, "ballroom": 0}
	t.Run("SinceTheirEntry", func(t *testing.T) {
		k := MustReentryKiosk(t)
		MustLoad(t, k.db, reentryEvent(t), people(2))
		if d := k.scan(at(10, 2), "C-0001", "main", checkin.Entry); d.Reason != checkin.Admitted {
			t.Fatalf("first scan: %s (%s)", d.Reason, d.Message)
		}
		k.wantAgain(k.scan(at(10, 40), "C-0001", "main", checkin.Entry), "Already inside since 10:02 (Front)", inVenue)
		// At the other door too; and a third scan still names the entry.
		k.wantAgain(k.scan(at(10, 41), "C-0001", "side", checkin.Entry), "Already inside since 10:02 (Front)", inVenue)
		if d := k.scan(at(10, 45), "C-0001", "side", checkin.Exit); d.Reason != checkin.ExitRecorded {
			t.Fatalf("exit after the re-scans: %s (%s)", d.Reason, d.Message)
		}
		if got := k.db.Occupancy(); got["venue"] != 0 {
			t.Errorf("occupancy after the exit %v, want the venue empty", got)
		}
	})
	t.Run("LatestEntry", func(t *testing.T) {
		k := MustReentryKiosk(t)
		MustLoad(t, k.db, reentryEvent(t), people(2))
		k.scan(at(9, 0), "C-0001", "main", checkin.Entry)
		k.scan(at(9, 30), "C-0001", "main", checkin.Exit)
		k.scan(at(10, 15), "C-0001", "side", checkin.Entry)
		k.wantAgain(k.scan(at(10, 40), "C-0001", "main", checkin.Entry), "Already inside since 10:15 (Side Door)", inVenue)
	})
	t.Run("BackFromTheBallroom", func(t *testing.T) {
		k := MustReentryKiosk(t)
		MustLoad(t, k.db, reentryEvent(t), people(2))
		k.scan(at(9, 0), "C-0001", "main", checkin.Entry)
		k.scan(at(9, 10), "C-0001", "ballroom", checkin.Entry)
		k.scan(at(9, 50), "C-0001", "ballroom", checkin.Exit)
		// Back in the venue from the ballroom: inside since 09:00.
		k.wantAgain(k.scan(at(10, 0), "C-0001", "main", checkin.Entry), "Already inside since 09:00 (Front)", inVenue)
	})
	t.Run("UndoneExit", func(t *testing.T) {
		k := MustReentryKiosk(t)
		MustLoad(t, k.db, reentryEvent(t), people(2))
		k.scan(at(10, 2), "C-0001", "main", checkin.Entry)
		k.scan(at(10, 5), "C-0001", "main", checkin.Exit)
		if d, err := k.db.Undo(context.Background(), "main", 2*time.Minute); err != nil || d.Reason != checkin.Undone {
			t.Fatalf("undo the exit: %s (%s), %v", d.Reason, d.Message, err)
		}
		k.wantAgain(k.scan(at(10, 40), "C-0001", "main", checkin.Entry), "Already inside since 10:02 (Front)", inVenue)
	})
	t.Run("EntryElsewhere", func(t *testing.T) {
		// Placed in the venue by the center (another kiosk's door): this
		// log has no entry to name.
		k := MustReentryKiosk(t)
		id := store.Identity{URL: "https://central.example.org", KioskID: "K-1", Token: "secret", Door: "main", EventID: "expo"}
		if err := k.db.Enroll(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		ps := people(2)
		MustApply(t, k.db, wire.PullResponse{Cursor: 4, Event: reentryEvent(t), People: wirePeople(ps...)})
		MustApply(t, k.db, wire.PullResponse{Cursor: 5, Grants: []wire.Grant{{ID: 5, Counter: "venue", N: 5}}})
		MustApply(t, k.db, wire.PullResponse{Cursor: 6, Presence: &wire.Presence{At: 1_800_000_000_000,
			Counts: map[string]int{"venue": 1}, People: []wire.Where{{Person: ps[0].ID, Location: "venue"}}}})
		k.wantAgain(k.scan(at(10, 40), ps[0].Code, "main", checkin.Entry), "Already inside (not counted again).", inVenue)
	})
	t.Run("AntiPassbackStillDenies", func(t *testing.T) {
		k := MustReentryKiosk(t)
		MustLoad(t, k.db, reentryEvent(t), people(2))
		k.scan(at(10, 2), "C-0001", "ballroom", checkin.Entry)
		if d := k.scan(at(10, 40), "C-0001", "ballroom", checkin.Entry); d.Kind != checkin.Deny || d.Reason != checkin.AlreadyInside {
			t.Errorf("re-scan into the ballroom: %s/%s, want %s/%s", d.Kind, d.Reason, checkin.Deny, checkin.AlreadyInside)
		}
	})
}

// TestScanAlreadyInsideAgainRights: at a kiosk limited by rights, a
// re-scan changes no balance: it credits back the admission it replaces
// and spends a right in its place, so the place is held once, by the
// re-scan, and the exit credits that.
func TestScanAlreadyInsideAgainRights(t *testing.T) {
	db, _ := MustEnrolledKiosk(t, "main")
	MustGrant(t, db, wire.Grant{ID: 1, Counter: "venue", N: 3})
	MustAdmit(t, db, "C-0001", "main")
	MustAdmit(t, db, "C-0002", "main")
	wantBalance(t, db, "venue", 1)
	for range 2 {
		d := MustScan(t, db, "C-0001", "main", checkin.Entry)
		if d.Kind != checkin.Admit || d.Reason != checkin.AlreadyInsideAgain {
			t.Fatalf("re-scan: %s/%s (%s), want %s/%s", d.Kind, d.Reason, d.Message, checkin.Admit, checkin.AlreadyInsideAgain)
		}
		wantBalance(t, db, "venue", 1)
		if got := db.Occupancy(); got["venue"] != 2 {
			t.Errorf("occupancy %v, want venue 2", got)
		}
	}
	MustScan(t, db, "C-0001", "main", checkin.Exit)
	wantBalance(t, db, "venue", 2)
	MustScan(t, db, "C-0002", "main", checkin.Exit)
	wantBalance(t, db, "venue", 3)
}
