package integration_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"usher/checkin"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/wire"
)

// TestExactlyOnce is the first loopback test: three kiosks at
// three doors scan a few hundred codes each while the center is down
// (restarting half-way), the center comes back (its database reopened,
// a new server on the same address), and every event arrives exactly
// once, as the kiosk logged it.
//
// Each kiosk scans its own third of the roster. The center merges all
// kiosks' events into one occupancy; with no person crossing two kiosks'
// logs, that merge must equal the sum of what each kiosk counts itself.
func TestExactlyOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		const perKiosk = 120
		doors := []string{"main", "east", "ballroom-north"}
		c := MustCenter(t, dsn, perKiosk*len(doors))
		srv := MustServe(t, c.db, "127.0.0.1:0")
		hc := newClient(t, nil)
		kiosks := make([]*store.DB, len(doors))
		paths := make([]string, len(doors))
		syncers := make([]*kiosksync.Syncer, len(doors))
		for i, door := range doors {
			paths[i] = filepath.Join(t.TempDir(), door+".db")
			kiosks[i] = MustEnrollAt(t, paths[i], c.MustCode(t, srv.url, door), hc)
			syncers[i] = newSyncer(kiosks[i], hc)
		}
		// Each kiosk goes offline holding capacity rights, all its log at
		// the center.
		MustShareRights(t, kiosks, syncers)
		pushed := make([]int, len(kiosks))
		for i, k := range kiosks {
			if n := MustPending(t, k); n != 0 {
				t.Fatalf("kiosk %d: %d events wait after sharing rights out, want none", i, n)
			}
			pushed[i] = len(MustKioskLog(t, k))
		}

		srv.Close()
		hc.CloseIdleConnections()
		for i := range kiosks {
			mine := c.people[perKiosk*i : perKiosk*(i+1)]
			reasons := ScanMix(t, kiosks[i], doors[i], mine[:perKiosk/2], uint64(i))
			// The kiosk restarts while offline (a power cut, a logout):
			// what it logged before waits all the same.
			occupancy, n := kiosks[i].Occupancy(), countScans(MustKioskLog(t, kiosks[i]))
			kiosks[i].Close()
			kiosks[i] = MustOpenKiosk(t, paths[i])
			if got := kiosks[i].Occupancy(); !mapsEqual(got, occupancy) {
				t.Errorf("kiosk %d after its restart: occupancy %v, before %v", i, got, occupancy)
			}
			mustWaiting(t, kiosks[i], n, fmt.Sprintf("kiosk %d after its restart", i))
			syncers[i] = newSyncer(kiosks[i], hc)
			for r, m := range ScanMix(t, kiosks[i], doors[i], mine[perKiosk/2:], uint64(10+i)) {
				reasons[r] += m
			}
			for _, r := range []checkin.Reason{checkin.Admitted, checkin.ExitRecorded, checkin.NotInside,
				checkin.UnknownBadge, checkin.InvalidCode, checkin.HeadcountAdded, checkin.Undone} {
				if reasons[r] == 0 {
					t.Errorf("kiosk %d at %s: no %s among its decisions %v: the mix is not what the test means", i, doors[i], r, reasons)
				}
			}
			k := kiosks[i]
			n = countScans(MustKioskLog(t, k))
			if n < 150 {
				t.Fatalf("kiosk %d logged %d scans, want a few hundred", i, n)
			}
			// Offline: the round fails calmly and counts what waits.
			wantCode(t, fmt.Sprintf("kiosk %d offline", i), syncers[i].Sync(ctx), checkin.EOFFLINE)
			if st := syncers[i].Status(); st.Online || st.Revoked || st.Waiting != n {
				t.Errorf("kiosk %d offline: status %+v, want offline with %d scans waiting", i, st, n)
			}
		}
		var held []wire.Event
		for _, r := range MustCentralEvents(t, dsn) {
			held = append(held, r.Event)
		}
		if total := pushed[0] + pushed[1] + pushed[2]; len(held) != total || countScans(held) != 0 {
			t.Fatalf("the center holds %d events (%d scans) while it was down, want only the %d rights rows from before",
				len(held), countScans(held), total)
		}

		// The center comes back: the database reopened, a new server on
		// the same address.
		c.Reopen(t)
		srv = MustServe(t, c.db, srv.addr)
		for i, s := range syncers {
			res := MustRound(t, fmt.Sprintf("kiosk %d back online", i), s)
			// Everything logged since it went offline goes up, and so do
			// the rights rows the round's own exchange logs.
			if n := len(MustKioskLog(t, kiosks[i])) - pushed[i]; res.Pushed != n || res.Accepted != n {
				t.Errorf("kiosk %d back online: %+v, want %d events sent and accepted", i, res, n)
			}
			if st := s.Status(); !st.Online || st.Waiting != 0 {
				t.Errorf("kiosk %d back online: status %+v, want online, nothing waiting", i, st)
			}
		}
		CheckCenterHolds(t, c, kiosks)

		// Again: no scan is pending, so a round sends only the rights
		// rows its own exchange logs, if any.
		for i, s := range syncers {
			logged := len(MustKioskLog(t, kiosks[i]))
			res := MustRound(t, fmt.Sprintf("kiosk %d again", i), s)
			if added := MustKioskLog(t, kiosks[i])[logged:]; res.Pushed != len(added) || res.Accepted != len(added) ||
				countScans(added) != 0 {
				t.Errorf("kiosk %d again: %+v, want only the %d rights rows of its exchange sent", i, res, len(added))
			}
		}
		// The whole log pushed once more by hand is all duplicates.
		before := MustCentralEvents(t, dsn)
		for i := range kiosks {
			id := MustID(t, kiosks[i])
			kl := MustKioskLog(t, kiosks[i])
			for from := 0; from < len(kl); from += wire.MaxPushEvents {
				batch := kl[from:min(from+wire.MaxPushEvents, len(kl))]
				resp := MustPush(t, hc, srv.url, id.Token, batch, i%2 == 0)
				if resp.Accepted != 0 || resp.Duplicates != len(batch) || resp.Through != batch[len(batch)-1].Seq {
					t.Errorf("kiosk %d's log pushed again: %+v, want %d duplicates through %d", i, resp, len(batch), batch[len(batch)-1].Seq)
				}
			}
		}
		if after := MustCentralEvents(t, dsn); !sameRows(before, after) {
			t.Errorf("pushing again changed the center's events: %d rows before, %d after", len(before), len(after))
		}
		CheckCenterHolds(t, c, kiosks)
	})
}

// sameRows reports whether two reads of the events table are the same.
func sameRows(a, b []centralEvent) bool {
	return slices.EqualFunc(a, b, sameRow)
}
