package integration_test

import (
	"context"
	"testing"
	"time"

	"usher/checkin"
	"usher/report"
	"usher/store"
	"usher/sync/kiosksync"
)

// A re-scan at the main entrance of someone inside the venue (no
// anti-passback) reaches the center like any event: believed, counting
// nobody again and moving no right, so the person's admission stays the
// one their exit closes, at the kiosk and at the center alike.
func TestAlreadyInsideAgainAtTheCenter(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		c := MustCenter(t, dsn, 10)
		srv := MustServe(t, c.db, "127.0.0.1:0")
		hc := newClient(t, nil)
		k := MustEnroll(t, c.MustCode(t, srv.url, "main"), hc)
		s := newSyncer(k, hc)
		MustShareRights(t, []*store.DB{k}, []*kiosksync.Syncer{s})
		p := c.Attendees()[0]
		for _, want := range []checkin.Reason{checkin.Admitted, checkin.AlreadyInsideAgain, checkin.AlreadyInsideAgain} {
			if got := MustScan(t, k, p.Code, "main", checkin.Entry); got != want {
				t.Fatalf("scan: %s, want %s", got, want)
			}
		}
		MustRound(t, "after the re-scans", s)
		st := c.MustStatus(t)
		if st.Occupancy["venue"] != 1 {
			t.Errorf("the center counts %d in the venue, want 1", st.Occupancy["venue"])
		}
		for _, ks := range st.Kiosks {
			if ks.Refused != 0 {
				t.Errorf("the center refused %d events of kiosk %s", ks.Refused, ks.ID)
			}
		}
		if len(st.Conflicts) != 0 {
			t.Errorf("conflicts %+v, want none", st.Conflicts)
		}
		CheckCenterHolds(t, c, []*store.DB{k})
		checkRightsBooks(t, c, []*store.DB{k})
		// The center's report: one entry, one person, however often
		// they were scanned inside.
		log, err := c.db.ReportLog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range report.Build(log, time.Now().Add(time.Minute)).Spaces {
			if sp.ID == "venue" && (sp.Stats.Entries != 1 || sp.Stats.Unique != 1) {
				t.Errorf("the center's report of the venue: %d entries, %d unique; want 1 and 1", sp.Stats.Entries, sp.Stats.Unique)
			}
		}

		if got := MustScan(t, k, p.Code, "main", checkin.Exit); got != checkin.ExitRecorded {
			t.Fatalf("exit: %s", got)
		}
		MustRound(t, "after the exit", s)
		if st := c.MustStatus(t); st.Occupancy["venue"] != 0 || len(st.Conflicts) != 0 {
			t.Errorf("after the exit: the center counts %d in the venue, conflicts %+v; want 0, none", st.Occupancy["venue"], st.Conflicts)
		}
		checkRightsBooks(t, c, []*store.DB{k})
	})
}
