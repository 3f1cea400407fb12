package kiosksync_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/sync/hlc"
)

// A code longer than the log keeps is cut at a byte, not a rune: the cut
// leaves half a UTF-8 sequence, which JSON sends as U+FFFD (3 bytes), so
// the server sees a code over its limit, refuses the push with 400, and
// every later scan of this kiosk waits forever.
func TestReviewTruncatedCodeBlocksPush(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	long := strings.Repeat("a", 2*checkin.MaxCodeLen-1) + "€€" // cut at 512 bytes leaves "\xe2"
	MustScan(t, db, long, "main", checkin.Entry)
	MustScan(t, db, c.people[0].Code, "main", checkin.Entry)
	s := c.syncer(db, time.Now())
	err := s.Sync(ctx)
	if err != nil {
		t.Errorf("Sync: %v", err)
	}
	if w := s.Status().Waiting; w != 0 {
		t.Errorf("%d scans still waiting after a sync; the log is stuck behind a truncated code", w)
	}
}

// `usher-central import --event` (no roster) accepts an event that drops
// a category people on the roster still have. Every kiosk then refuses
// the last page of every pull (recheckCategories), keeps its cursor, and
// never again receives a removal or a revocation.
func TestReviewEventOnlyImportStallsKiosks(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 200)
	db := c.MustKiosk(t, "main")

	b, _ := json.Marshal(demo.Event())
	var raw checkin.Event
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var dropped string
	for _, p := range c.people {
		if p.Category != "attendee" {
			dropped = p.Category
			break
		}
	}
	var cats []checkin.Category
	for _, cat := range raw.Categories {
		if cat.ID != dropped {
			cats = append(cats, cat)
		}
	}
	raw.Categories = cats
	if err := raw.Validate(); err != nil {
		t.Skipf("cannot build the smaller event: %v", err)
	}
	if _, err := c.db.Import(ctx, &raw, nil, nil); err != nil {
		return // the center refuses it: fixed
	}
	var victim checkin.Person
	for _, p := range c.people {
		if p.Category == "attendee" {
			victim = p
			break
		}
	}
	if err := c.db.RevokePerson(ctx, victim.ID); err != nil {
		t.Fatal(err)
	}
	err := c.syncer(db, time.Now()).Sync(ctx)
	if got := MustScan(t, db, victim.Code, "main", checkin.Entry); got != checkin.Revoked {
		t.Errorf("a person removed at the center scanned %s at the kiosk, want %s (sync: %v)", got, checkin.Revoked, err)
	}
}

// The server observes every pushed event's hlc, even one it flags as
// implausibly far ahead: one kiosk with a clock a year fast moves the
// server clock a year ahead, every other kiosk takes it in (and stores
// it), and from then on all their scans are stamped a year ahead and
// flagged.
func TestReviewFarAheadKioskPoisonsServerClock(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	now := time.Now()
	bad := c.MustKiosk(t, "main")
	bad.Now = func() time.Time { return now.Add(365 * 24 * time.Hour) }
	good := c.MustKiosk(t, "main")
	MustScan(t, bad, c.people[0].Code, "main", checkin.Entry)
	if err := c.syncer(bad, now).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	MustScan(t, good, c.people[1].Code, "main", checkin.Entry)
	if err := c.syncer(good, now).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	MustScan(t, good, c.people[2].Code, "main", checkin.Entry)
	var last hlc.Timestamp
	if err := good.SQL().QueryRow(`SELECT hlc FROM scans ORDER BY seq DESC LIMIT 1`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if ahead := last.Time().Sub(now); ahead > time.Hour {
		t.Errorf("a kiosk with a good clock stamped its scan %s ahead, after another kiosk's clock ran a year fast", ahead.Round(time.Hour))
	}
}

// `usher load --revoked` on an enrolled kiosk replaces the revocation
// list, deleting the revocations pulled from the center; the cursor is
// past them, so they never come back.
func TestReviewLoadOnEnrolledKioskLosesPulledRevocations(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	if _, err := c.db.Import(ctx, demo.Event(), c.people, []checkin.Revocation{{PersonID: c.people[0].ID, Serial: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := c.syncer(db, time.Now()).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := MustCount(t, db, `SELECT count(*) FROM revocations`); n != 1 {
		t.Fatalf("%d revocations pulled, want 1", n)
	}
	if _, err := db.LoadAll(ctx, demo.Event(), nil, []checkin.Revocation{}); err != nil {
		return // refused on an enrolled kiosk: fixed
	}
	if err := c.syncer(db, time.Now()).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := MustCount(t, db, `SELECT count(*) FROM revocations`); n != 1 {
		t.Errorf("after usher load on an enrolled kiosk and a sync, %d revocations, want the center's 1", n)
	}
}
