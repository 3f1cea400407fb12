package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/store"
	"usher/sync/wire"
)

// pullKiosk is what FuzzApplyPull starts each input from: a kiosk
// database enrolled at the demo's main entrance that has pulled the
// center's first page, holds 10 rights of the venue and let two people in.
type pullKiosk struct {
	template string           // the database file, copied for each input
	pages    [][]byte         // real pages, to seed with
	roster   []checkin.Person // on the center
}

// MustPullKiosk makes the template from a real center.
func MustPullKiosk(tb testing.TB) *pullKiosk {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	center, err := centralstore.Open(filepath.Join(dir, "central.db"))
	if err != nil {
		tb.Fatal(err)
	}
	defer center.Close()
	pk := &pullKiosk{template: filepath.Join(dir, "kiosk.db"), roster: demo.Roster(6)}
	if _, err := center.Import(ctx, demo.Event(), pk.roster[:5], nil); err != nil {
		tb.Fatal(err)
	}
	tok, err := center.CreateEnrollment(ctx, "main")
	if err != nil {
		tb.Fatal(err)
	}
	id, err := center.Enroll(ctx, tok, "fuzz")
	if err != nil {
		tb.Fatal(err)
	}
	pull := func(cursor int64, limit int) wire.PullResponse {
		page, err := center.Pull(ctx, id.KioskID, cursor, limit)
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := json.Marshal(page)
		pk.pages = append(pk.pages, b)
		return page
	}
	first := pull(0, wire.MaxPullLimit)
	pull(0, 2)

	k, err := store.Open(pk.template)
	if err != nil {
		tb.Fatal(err)
	}
	defer k.Close()
	if err := k.Enroll(ctx, store.Identity{URL: "http://127.0.0.1:1", KioskID: id.KioskID, Token: id.Token, Door: id.Door, EventID: id.EventID}); err != nil {
		tb.Fatal(err)
	}
	if err := k.ApplyPull(ctx, first); err != nil {
		tb.Fatal(err)
	}
	if err := k.ApplyGrants(ctx, []wire.Grant{{ID: first.Cursor + 100, Counter: "venue", N: 10}}); err != nil {
		tb.Fatal(err)
	}
	for _, p := range pk.roster[:2] {
		if d, err := k.Scan(ctx, checkin.Scan{Code: p.Code, Door: "main"}); err != nil || d.Kind != checkin.Admit {
			tb.Fatalf("scan %s: %+v, %v", p.Code, d, err)
		}
	}

	// What the center sends later: a new person, a revocation, a
	// removal, an event with a smaller venue, rights.
	ev := demo.Event()
	ev.Spaces[0].Capacity = 1
	if _, err := center.Import(ctx, ev, append(pk.roster[1:5], pk.roster[5]), []checkin.Revocation{{PersonID: pk.roster[2].ID, Serial: 1}}); err != nil {
		tb.Fatal(err)
	}
	if _, err := center.Rights(ctx, id.KioskID, wire.RightsRequest{Holdings: []wire.Holding{{Counter: "venue", Balance: 8}}}); err != nil {
		tb.Fatal(err)
	}
	pull(first.Cursor, wire.MaxPullLimit)
	return pk
}

// open copies the template and opens the copy.
func (pk *pullKiosk) open(tb testing.TB) *store.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "kiosk.db")
	src, err := os.Open(pk.template)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		tb.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		tb.Fatal(err)
	}
	return MustOpen(tb, path)
}

// kioskState is what a refused page must leave as it was.
type kioskState struct {
	Rows      map[string]int
	Cursor    int64
	Balances  map[string]int
	Occupancy map[string]int
}

func stateOf(tb testing.TB, db *store.DB) kioskState {
	tb.Helper()
	st := kioskState{Rows: map[string]int{}, Balances: db.Balances(), Occupancy: db.Occupancy()}
	for _, table := range []string{"scans", "people", "codes", "revocations", "grants_applied", "notices_applied", "settings"} {
		st.Rows[table] = MustCount(tb, db, "SELECT count(*) FROM "+table)
	}
	st.Rows["event version"] = MustCount(tb, db, `SELECT coalesce(max(version), 0) FROM event`)
	cursor, err := db.Cursor(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	st.Cursor = cursor
	return st
}

// FuzzApplyPull feeds a kiosk pages of a pull as a faulty or hostile
// center might send them. ApplyPull never panics; a page it refuses is
// an EINVALID error and changes nothing, on disk or in memory; a page it
// takes leaves an event that validates, no negative balance, and the
// kiosk able to scan.
func FuzzApplyPull(f *testing.F) {
	pk := MustPullKiosk(f)
	for _, p := range pk.pages {
		f.Add(p)
	}
	ev, _ := json.Marshal(demo.Event())
	for _, s := range []string{
		`{"cursor":0}`,
		`{"cursor":1000000}`,
		`{"cursor":1000000,"people":[{"id":"P9","name":"N","category":"attendee","code":"C-9"}]}`,
		`{"cursor":1000000,"people":[{"id":"P9","name":"N","category":"wizard","code":"C-9"}]}`,
		`{"cursor":1000000,"people":[{"id":"","removed":true}]}`,
		`{"cursor":1000000,"people":[{"id":"P000001","removed":true,"code":"` + pk.roster[0].Code + `"}]}`,
		`{"cursor":1000000,"people":[{"id":"P9","name":"N","category":"attendee","code":"` + pk.roster[1].Code + `"}]}`,
		`{"cursor":1000000,"revocations":[{"person":"","serial":1}]}`,
		`{"cursor":1000000,"grants":[{"id":1,"counter":"venue","n":0}]}`,
		`{"cursor":1000000,"grants":[{"id":7,"counter":"nowhere","n":5}]}`,
		`{"cursor":1000000,"grants":[{"id":8,"counter":"venue","n":1000000}]}`,
		`{"cursor":1000000,"notices":[{"id":9,"person":"P000001","counter":"venue","admission":1}]}`,
		`{"cursor":1000000,"notices":[{"id":9,"person":"P000001","counter":"venue","admission":99}]}`,
		`{"cursor":1000000,"event":{"ID":"other"}}`,
		`{"cursor":1000000,"event":` + string(ev) + `}`,
		`{"cursor":1000000,"more":true,"event":` + string(ev) + `}`,
	} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		var page wire.PullResponse
		if json.Unmarshal(data, &page) != nil {
			return
		}
		db := pk.open(t)
		before := stateOf(t, db)
		if err := db.ApplyPull(ctx, page); err != nil {
			if code := checkin.ErrorCode(err); code != checkin.EINVALID {
				t.Fatalf("ApplyPull: %v (code %s), want %s", err, code, checkin.EINVALID)
			}
			if after := stateOf(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("ApplyPull refused the page (%v) but changed the kiosk:\nbefore %+v\nafter  %+v", err, before, after)
			}
			return
		}
		ev := db.Event()
		if ev == nil {
			if len(page.People) > 0 || len(page.Grants) > 0 {
				t.Fatalf("a page with people or grants applied with no event")
			}
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("the kiosk's event does not validate: %v", err)
		}
		for c, n := range db.Balances() {
			if n < 0 {
				t.Fatalf("balance of %s is %d after %+v", c, n, page)
			}
		}
		occ := maps.Clone(db.Occupancy())
		if _, err := db.Scan(ctx, checkin.Scan{Code: pk.roster[0].Code, Door: "main", Direction: checkin.Exit}); err != nil {
			t.Fatalf("the kiosk cannot scan after the page: %v", err)
		}
		for s, n := range db.Occupancy() {
			if n < 0 || n > occ[s] {
				t.Fatalf("an exit took occupancy of %s from %d to %d", s, occ[s], n)
			}
		}
	})
}
