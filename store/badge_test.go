package store_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base32"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/assets"
	"usher/badge"
	"usher/checkin"
	"usher/eventfile"
	"usher/store"
)

// badgeFrom and badgeUntil bound the signed badges these tests make; the
// kiosk's clock starts an hour in.
var (
	badgeFrom  = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	badgeUntil = badgeFrom.Add(72 * time.Hour)
)

// badgeKiosk is a kiosk database holding the demo event with a fresh
// signing key's [[key]] block, and a three-person roster; its clock is
// now.
type badgeKiosk struct {
	db     *store.DB
	path   string
	ev     *checkin.Event
	key    ed25519.PrivateKey
	roster []checkin.Person // P1 (serial 2), P2, P3: attendees
	now    time.Time
}

// MustBadgeKiosk makes a badgeKiosk in a temp folder.
func MustBadgeKiosk(tb testing.TB) *badgeKiosk {
	tb.Helper()
	key, _, err := badge.NewKey(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	k := &badgeKiosk{key: key, ev: MustKeyedEvent(tb, key), roster: people(3), now: badgeFrom.Add(time.Hour)}
	k.roster[0].Serial = 2
	k.path = tempDB(tb)
	k.db = MustOpen(tb, k.path)
	k.db.Now = func() time.Time { return k.now }
	MustLoad(tb, k.db, k.ev, k.roster)
	return k
}

// MustKeyedEvent returns the demo event with the [[key]] blocks of keys,
// read the way `usher load` reads an event file.
func MustKeyedEvent(tb testing.TB, keys ...ed25519.PrivateKey) *checkin.Event {
	tb.Helper()
	data := string(assets.DemoEvent)
	for _, k := range keys {
		data += "\n" + badge.KeyBlock(k)
	}
	ev, err := eventfile.Parse("event.toml", []byte(data))
	if err != nil {
		tb.Fatalf("demo event with key blocks: %v", err)
	}
	if len(ev.Keys) != len(keys) {
		tb.Fatalf("the event has %d keys, want %d", len(ev.Keys), len(keys))
	}
	return ev
}

// sign makes a signed badge for person, valid from badgeFrom to
// badgeUntil for the kiosk's event, after applying edits.
func (k *badgeKiosk) sign(tb testing.TB, person, category string, serial uint32, edits ...func(*badge.Payload)) string {
	tb.Helper()
	p := badge.Payload{Event: k.ev.ID, Person: person, Serial: serial, Category: category,
		From: badgeFrom, Until: badgeUntil}
	key := k.key
	for _, edit := range edits {
		edit(&p)
	}
	code, err := badge.Sign(p, key)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return code
}

// expect scans code at door (entry) and checks the decision's reason and
// whom it names ("" for nobody).
func (k *badgeKiosk) expect(tb testing.TB, code, door string, reason checkin.Reason, person string) checkin.Decision {
	tb.Helper()
	d := MustScan(tb, k.db, code, door, checkin.Entry)
	got := ""
	if d.Person != nil {
		got = d.Person.ID
	}
	if d.Reason != reason || got != person {
		tb.Errorf("scan at %s: %s/%s (%q) naming %q, want %s naming %q", door, d.Kind, d.Reason, d.Message, got, reason, person)
	}
	if (reason == checkin.Admitted || reason == checkin.AlreadyInsideAgain) != (d.Kind == checkin.Admit) {
		tb.Errorf("scan at %s: decision %s with reason %s", door, d.Kind, d.Reason)
	}
	return d
}

// stored is a person's row in the people table.
type stored struct {
	name, category, tags string
	serial               uint32
	walkup, removed      bool
}

// MustStored reads person id's row; ok is false when there is none.
func MustStored(tb testing.TB, db *store.DB, id string) (stored, bool) {
	tb.Helper()
	var s stored
	err := db.SQL().QueryRow(`SELECT name, category, tags, serial, walkup, removed FROM people WHERE id = ?`, id).
		Scan(&s.name, &s.category, &s.tags, &s.serial, &s.walkup, &s.removed)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false
	} else if err != nil {
		tb.Fatalf("read person %s: %v", id, err)
	}
	return s, true
}

// TestSignedBadgeWalkUp follows someone registered after the roster was
// loaded: their signed badge admits them with its category and tags, and
// adds them to the people table.
func TestSignedBadgeWalkUp(t *testing.T) {
	k := MustBadgeKiosk(t)
	// Exhibitors may enter the venue and Hall B; the tag adds Workshop A.
	code := k.sign(t, "W1", "exhibitor", 1, func(p *badge.Payload) { p.Tags = []string{"workshop-a"} })
	if _, ok := MustStored(t, k.db, "W1"); ok {
		t.Fatal("W1 is in the people table before any scan")
	}

	d := k.expect(t, code, "main", checkin.Admitted, "W1")
	if d.Person != nil && (d.Person.Category != "exhibitor" || !slices.Equal(d.Person.Tags, []string{"workshop-a"})) {
		t.Errorf("admitted as %+v, want the badge's category exhibitor and tag workshop-a", *d.Person)
	}
	s, ok := MustStored(t, k.db, "W1")
	if want := (stored{name: s.name, category: "exhibitor", tags: "workshop-a", serial: 1, walkup: true}); !ok || s != want || s.name == "" {
		t.Errorf("people row %+v (present %v), want %+v with a name", s, ok, want)
	}
	if got := k.db.Location("W1"); got != "venue" {
		t.Errorf("W1 is at %q, want venue", got)
	}
	if got := MustCount(t, k.db, `SELECT count(*) FROM scans WHERE person_id = 'W1' AND reason = 'admitted' AND location = 'venue'`); got != 1 {
		t.Errorf("%d admissions of W1 into the venue logged, want 1", got)
	}

	k.expect(t, code, "hall-b", checkin.Admitted, "W1")
	k.expect(t, code, "hall-b", checkin.AlreadyInside, "W1")
	k.expect(t, code, "ballroom-north", checkin.NotEntitled, "W1")
	k.expect(t, code, "workshop-a", checkin.Admitted, "W1")
	if got := k.db.Location("W1"); got != "workshop-a" {
		t.Errorf("W1 is at %q, want workshop-a", got)
	}
	if got := MustCount(t, k.db, `SELECT count(*) FROM people`); got != len(k.roster)+1 {
		t.Errorf("%d people, want the roster's %d and W1", got, len(k.roster))
	}
}

// TestSignedBadgeFlippedBits flips, one at a time, every bit of a badge
// code's base32 text that carries the payload or the signature: none is
// admitted, and none adds anyone. (The few bits of the last character
// beyond the last byte are the badge package's TestParseCanonical.)
func TestSignedBadgeFlippedBits(t *testing.T) {
	k := MustBadgeKiosk(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	code := k.sign(t, "W2", "attendee", 1)
	text := code[len(badge.Prefix):]
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(text)
	if err != nil {
		t.Fatal(err)
	}
	before := MustCounts(t, k.db)
	flips := 0
	for i := range len(text) {
		v := strings.IndexByte(alphabet, text[i])
		for j := range 5 {
			bit := 5*i + j // of the raw bytes, most significant first
			if bit >= 8*len(raw) {
				continue
			}
			flipped := code[:len(badge.Prefix)+i] + string(alphabet[v^(16>>j)]) + code[len(badge.Prefix)+i+1:]
			want := checkin.ForgedBadge
			if b := bit / 8; b >= 1 && b <= 4 {
				want = checkin.UnknownKey // the key id
			}
			d := MustScan(t, k.db, flipped, "main", checkin.Entry)
			if d.Kind != checkin.Deny || d.Reason != want || d.Person != nil {
				t.Errorf("bit %d (character %d): %s/%s naming %v, want deny %s naming nobody", bit, i, d.Kind, d.Reason, d.Person, want)
			}
			flips++
		}
	}
	if flips != 8*len(raw) {
		t.Errorf("%d flips for %d bytes", flips, len(raw))
	}
	after := MustCounts(t, k.db)
	for q, n := range before {
		want := n
		if strings.Contains(q, "scans") {
			want += flips
		}
		if after[q] != want {
			t.Errorf("%s: %d, want %d", q, after[q], want)
		}
	}
	if got := MustCount(t, k.db, `SELECT count(*) FROM scans WHERE decision <> 'deny' OR location IS NOT NULL`); got != 0 {
		t.Errorf("%d flipped codes moved someone", got)
	}
	if occ := k.db.Occupancy(); occ["venue"] != 0 {
		t.Errorf("occupancy %v after only flipped codes", occ)
	}
	// The code itself is good: it was the flips that were refused.
	k.expect(t, code, "main", checkin.Admitted, "W2")
}

func TestSignedBadgeRevoked(t *testing.T) {
	ctx := context.Background()
	t.Run("SerialBelowRoster", func(t *testing.T) {
		k := MustBadgeKiosk(t)
		p1 := k.roster[0] // serial 2
		k.expect(t, k.sign(t, p1.ID, "attendee", 1), "main", checkin.Revoked, p1.ID)
		k.expect(t, k.sign(t, p1.ID, "attendee", 0), "main", checkin.Revoked, p1.ID)
		k.expect(t, k.sign(t, p1.ID, "attendee", 2), "main", checkin.Admitted, p1.ID)
		// Inside since: the newer badge is let in, not counted again.
		k.expect(t, k.sign(t, p1.ID, "attendee", 3), "main", checkin.AlreadyInsideAgain, p1.ID)
	})
	t.Run("RevocationList", func(t *testing.T) {
		k := MustBadgeKiosk(t)
		p2, p3 := k.roster[1], k.roster[2]
		list := []checkin.Revocation{{PersonID: p2.ID, Serial: 1}, {PersonID: "W9", Serial: 4}, {PersonID: p3.ID, Serial: 1}}
		if _, err := k.db.LoadAll(ctx, k.ev, k.roster, list); err != nil {
			t.Fatal(err)
		}
		k.expect(t, k.sign(t, p2.ID, "attendee", 1), "main", checkin.Revoked, p2.ID)
		k.expect(t, k.sign(t, "W9", "attendee", 4), "main", checkin.Revoked, "W9")
		k.expect(t, k.sign(t, "W9", "attendee", 5), "main", checkin.Admitted, "W9")
		k.expect(t, k.sign(t, p2.ID, "attendee", 2), "main", checkin.Admitted, p2.ID)

		// A load without a list keeps it; an empty list clears it. P2's
		// serial 1 stays revoked: this kiosk has seen its reprint.
		MustLoad(t, k.db, k.ev, k.roster)
		k.expect(t, k.sign(t, p3.ID, "attendee", 1), "main", checkin.Revoked, p3.ID)
		if _, err := k.db.LoadAll(ctx, k.ev, nil, []checkin.Revocation{}); err != nil {
			t.Fatal(err)
		}
		k.expect(t, k.sign(t, p3.ID, "attendee", 1), "main", checkin.Admitted, p3.ID)
		k.expect(t, k.sign(t, p2.ID, "attendee", 1), "main", checkin.Revoked, p2.ID)
	})
	t.Run("RemovedFromRoster", func(t *testing.T) {
		k := MustBadgeKiosk(t)
		p3 := k.roster[2]
		code := k.sign(t, p3.ID, "attendee", 1)
		k.expect(t, code, "main", checkin.Admitted, p3.ID)
		if res := MustLoad(t, k.db, k.ev, k.roster[:2]); res != (store.LoadResult{Unchanged: 2, Removed: 1}) {
			t.Errorf("load without P3: %v, want 2 unchanged, 1 removed", res)
		}
		k.expect(t, code, "main", checkin.Revoked, p3.ID)
		if s, _ := MustStored(t, k.db, p3.ID); !s.removed || s.walkup {
			t.Errorf("P3's row %+v, want removed and no walk-up", s)
		}
	})
}

// TestSignedBadgeDenied checks the denials a good-looking signed badge
// gets, each with its reason, against the kiosk's clock; none adds the
// person.
func TestSignedBadgeDenied(t *testing.T) {
	other, _, err := badge.NewKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		now    time.Time
		code   func(k *badgeKiosk) string
		reason checkin.Reason
	}{
		{"Expired", badgeUntil.Add(time.Second), nil, checkin.ExpiredBadge},
		{"NotYetValid", badgeFrom.Add(-time.Second), nil, checkin.NotYetValid},
		{"WrongEvent", badgeFrom, func(k *badgeKiosk) string {
			return k.sign(t, "W3", "attendee", 1, func(p *badge.Payload) { p.Event = "other-conf" })
		}, checkin.WrongEvent},
		{"UnknownKey", badgeFrom, func(k *badgeKiosk) string {
			p := badge.Payload{Event: k.ev.ID, Person: "W3", Serial: 1, Category: "attendee", From: badgeFrom, Until: badgeUntil}
			code, err := badge.Sign(p, other)
			if err != nil {
				t.Fatal(err)
			}
			return code
		}, checkin.UnknownKey},
		{"CategoryNotInEvent", badgeFrom, func(k *badgeKiosk) string { return k.sign(t, "W3", "wizard", 1) }, checkin.NotEntitled},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := MustBadgeKiosk(t)
			code := k.sign(t, "W3", "attendee", 1)
			if c.code != nil {
				code = c.code(k)
			}
			k.now = c.now
			before := MustCount(t, k.db, `SELECT count(*) FROM people`)
			d := k.expect(t, code, "main", c.reason, "")
			if d.Message == "" {
				t.Error("no message")
			}
			if _, ok := MustStored(t, k.db, "W3"); ok {
				t.Error("the denied badge added W3 to the people table")
			}
			if got := MustCount(t, k.db, `SELECT count(*) FROM people`); got != before {
				t.Errorf("%d people after the denial, %d before", got, before)
			}
			if got := MustCount(t, k.db, `SELECT count(*) FROM scans WHERE reason = ? AND person_id IS NULL AND code = ?`, string(c.reason), code); got != 1 {
				t.Errorf("%d log rows with reason %s for the code, want 1", got, c.reason)
			}
			// The same person's good badge, at the event's start, admits.
			k.now = badgeFrom
			k.expect(t, k.sign(t, "W3", "attendee", 1), "main", checkin.Admitted, "W3")
		})
	}
	t.Run("AtUntil", func(t *testing.T) {
		k := MustBadgeKiosk(t)
		k.now = badgeUntil
		k.expect(t, k.sign(t, "W3", "attendee", 1), "main", checkin.Admitted, "W3")
	})
}

// TestSignedBadgeKeyRotation loads the event with a second key: badges
// of both keys are admitted; dropping the first key denies its badges.
func TestSignedBadgeKeyRotation(t *testing.T) {
	k := MustBadgeKiosk(t)
	second, _, err := badge.NewKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := k.sign(t, "W5", "attendee", 1)
	p := badge.Payload{Event: k.ev.ID, Person: "W6", Serial: 1, Category: "attendee", From: badgeFrom, Until: badgeUntil}
	fresh, err := badge.Sign(p, second)
	if err != nil {
		t.Fatal(err)
	}
	k.expect(t, fresh, "main", checkin.UnknownKey, "")
	MustLoad(t, k.db, MustKeyedEvent(t, k.key, second), nil)
	k.expect(t, fresh, "main", checkin.Admitted, "W6")
	k.expect(t, old, "main", checkin.Admitted, "W5")
	MustLoad(t, k.db, MustKeyedEvent(t, second), nil)
	k.expect(t, old, "main", checkin.UnknownKey, "")
	k.expect(t, fresh, "main", checkin.AlreadyInsideAgain, "W6") // inside since its first scan
}

// TestSignedBadgeRosterWins checks that a person on the roster is checked
// as the roster says, whatever category their badge claims.
func TestSignedBadgeRosterWins(t *testing.T) {
	k := MustBadgeKiosk(t)
	p1 := k.roster[0]
	code := k.sign(t, p1.ID, "staff", 2)
	d := k.expect(t, code, "main", checkin.Admitted, p1.ID)
	if d.Person != nil && (d.Person.Category != "attendee" || d.Person.Name != p1.Name) {
		t.Errorf("admitted as %+v, want the roster's %s (attendee)", *d.Person, p1.Name)
	}
	k.expect(t, code, "workshop-a", checkin.NotEntitled, p1.ID)
	if s, _ := MustStored(t, k.db, p1.ID); s.category != "attendee" || s.walkup {
		t.Errorf("P1's row %+v changed", s)
	}
}

// TestWalkUpRosterReload checks that a walk-up stays through a roster
// load that lacks them, is taken over by one that has them, and is
// removed like anyone else by a later one that lacks them again.
func TestWalkUpRosterReload(t *testing.T) {
	k := MustBadgeKiosk(t)
	code := k.sign(t, "W1", "speaker", 1)
	k.expect(t, code, "main", checkin.Admitted, "W1")

	if res := MustLoad(t, k.db, k.ev, k.roster); res != (store.LoadResult{Unchanged: len(k.roster)}) {
		t.Errorf("reload without W1: %v, want %d unchanged and nobody removed", res, len(k.roster))
	}
	if s, ok := MustStored(t, k.db, "W1"); !ok || s.removed || !s.walkup || s.category != "speaker" {
		t.Errorf("W1 after a roster without them: %+v (present %v), want a walk-up speaker, not removed", s, ok)
	}
	if got := k.db.Location("W1"); got != "venue" {
		t.Errorf("W1 is at %q after the reload, want venue", got)
	}
	k.expect(t, code, "workshop-a", checkin.Admitted, "W1")

	w1 := checkin.Person{ID: "W1", Name: "Wanda Walker", Category: "attendee", Code: "C-W1", Serial: 1}
	withW1 := append(slices.Clone(k.roster), w1)
	if res := MustLoad(t, k.db, k.ev, withW1); res != (store.LoadResult{Updated: 1, Unchanged: len(k.roster)}) {
		t.Errorf("roster with W1: %v, want 1 updated", res)
	}
	if s, _ := MustStored(t, k.db, "W1"); s != (stored{name: "Wanda Walker", category: "attendee", serial: 1}) {
		t.Errorf("W1 after a roster with them: %+v, want the roster's name and category, no longer a walk-up", s)
	}
	d := MustScan(t, k.db, code, "workshop-a", checkin.Exit)
	if d.Reason != checkin.ExitRecorded || d.Person == nil || d.Person.Name != "Wanda Walker" {
		t.Errorf("exit: %s naming %+v, want exit_recorded naming Wanda Walker", d.Reason, d.Person)
	}
	// The roster's category now decides: attendees may not enter Workshop A.
	k.expect(t, code, "workshop-a", checkin.NotEntitled, "W1")
	k.expect(t, w1.Code, "ballroom-north", checkin.Admitted, "W1")

	if res := MustLoad(t, k.db, k.ev, k.roster); res != (store.LoadResult{Unchanged: len(k.roster), Removed: 1}) {
		t.Errorf("roster without W1 again: %v, want 1 removed", res)
	}
	k.expect(t, code, "main", checkin.Revoked, "W1")
}

// TestSignedBadgeReopen checks that a walk-up's presence and row survive
// closing and reopening the database.
func TestSignedBadgeReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiosk.db")
	key, _, err := badge.NewKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ev := MustKeyedEvent(t, key)
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return badgeFrom }
	MustLoad(t, db, ev, people(2))
	code, err := badge.Sign(badge.Payload{Event: ev.ID, Person: "W7", Serial: 1, Category: "attendee", From: badgeFrom, Until: badgeUntil}, key)
	if err != nil {
		t.Fatal(err)
	}
	if d := MustScan(t, db, code, "ballroom-north", checkin.Entry); d.Reason != checkin.Admitted {
		t.Fatalf("walk-up: %s", d.Reason)
	}
	db.Close()

	db = MustOpen(t, path)
	db.Now = func() time.Time { return badgeFrom.Add(time.Minute) }
	if got := db.Location("W7"); got != "ballroom" {
		t.Errorf("after reopening W7 is at %q, want ballroom", got)
	}
	if d := MustScan(t, db, code, "ballroom-north", checkin.Entry); d.Reason != checkin.AlreadyInside {
		t.Errorf("second entry after reopening: %s, want already_inside", d.Reason)
	}
}

// A walk-up's scan puts them in the name search at once, patching the
// search's roster rather than reading it all again (seconds at 500,000
// people). A name changed behind the search's back, with no new roster
// version, tells the two apart: a patch leaves it as the search read it.
func TestWalkUpPatchesSearch(t *testing.T) {
	k := MustBadgeKiosk(t)
	if got := MustSearch(t, k.db, "person 2", 5); !slices.Equal(got, []string{"P2"}) {
		t.Fatalf("search before: %v", got)
	}
	if _, err := k.db.SQL().Exec(`UPDATE people SET name = 'Renamed Quietly' WHERE id = 'P2'`); err != nil {
		t.Fatal(err)
	}
	code := k.sign(t, "W9", "attendee", 1)
	k.expect(t, code, "main", checkin.Admitted, "W9")
	if got := MustSearch(t, k.db, "new registration w9", 5); !slices.Equal(got, []string{"W9"}) {
		t.Errorf("search for the walk-up after their scan: %v, want W9", got)
	}
	if got := MustSearch(t, k.db, "person 2", 5); !slices.Equal(got, []string{"P2"}) {
		t.Errorf("the search read the whole roster again after the walk-up's scan (found %v for P2's name as it was)", got)
	}
}
