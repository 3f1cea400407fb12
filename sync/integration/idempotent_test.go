package integration_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/sync/wire"
)

// TestPushIdempotentOrderFree is the second loopback test: a
// kiosk's pending events pushed by hand in batches, and the same batches
// again, to one center; reversed, shuffled, re-cut and repeated to a
// second, fresh center. Both end with identical events tables and the
// same status. A replayed event whose content differs rewrites nothing:
// it is kept as another history, and the kiosk is told its log forked.
func TestPushIdempotentOrderFree(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		// One clock for both centers, so that received_at agrees too.
		now := time.Now()
		clock := func() time.Time { return now }

		a := MustCenter(t, dsn, 200)
		a.db.Now = clock
		srvA := MustServe(t, a.db, "127.0.0.1:0")
		hc := newClient(t, nil)
		kiosk := MustEnroll(t, a.MustCode(t, srvA.url, "main"), hc)
		ScanMix(t, kiosk, "main", a.people, 7)
		pending, err := kiosk.Pending(ctx, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		kl := MustKioskLog(t, kiosk)
		if !slices.EqualFunc(pending, kl, sameEvent) || len(pending) < 200 {
			t.Fatalf("%d events pending, the log holds %d: want the whole log (a few hundred)", len(pending), len(kl))
		}
		const size = 64
		var batches [][]wire.Event
		for from := 0; from < len(pending); from += size {
			batches = append(batches, pending[from:min(from+size, len(pending))])
		}

		tokenA := MustID(t, kiosk).Token
		pushAll := func(url, token string, batches [][]wire.Event, compress bool) (accepted int) {
			t.Helper()
			for _, b := range batches {
				resp := MustPush(t, hc, url, token, b, compress)
				if resp.Accepted+resp.Duplicates != len(b) || resp.Through != maxSeq(b) {
					t.Errorf("push of %d events through %d: %+v", len(b), maxSeq(b), resp)
				}
				accepted += resp.Accepted
			}
			return accepted
		}
		if n := pushAll(srvA.url, tokenA, batches, false); n != len(pending) {
			t.Errorf("center A: %d of %d events accepted in order", n, len(pending))
		}
		if n := pushAll(srvA.url, tokenA, batches, true); n != 0 {
			t.Errorf("center A: the same batches again accepted %d events, want none", n)
		}

		// Center B: the same event and roster, the same kiosk enrolled by
		// hand, the batches reversed and each shuffled; then re-cut into
		// overlapping runs in random order; then all of it again.
		b := MustCenter(t, anotherDSN(t, dsn), 200)
		b.db.Now = clock
		srvB := MustServe(t, b.db, "127.0.0.1:0")
		token, err := b.db.CreateEnrollment(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		enrolledB := MustEnrollByHand(t, hc, srvB.url, token)
		// Center B believes only spends of rights it granted (DESIGN
		// "Trust"): the kiosk asks for its share first, as at center A.
		if _, err := b.db.Rights(ctx, enrolledB.KioskID, wire.RightsRequest{}); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		var reordered [][]wire.Event
		for i := len(batches) - 1; i >= 0; i-- {
			batch := slices.Clone(batches[i])
			rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			reordered = append(reordered, batch)
		}
		if n := pushAll(srvB.url, enrolledB.Token, reordered, true); n != len(pending) {
			t.Errorf("center B: %d of %d events accepted reversed and shuffled", n, len(pending))
		}
		var recut [][]wire.Event
		for from := 0; from < len(pending); from += size / 2 {
			run := slices.Clone(pending[from:min(from+size+size/2, len(pending))])
			rng.Shuffle(len(run), func(i, j int) { run[i], run[j] = run[j], run[i] })
			recut = append(recut, run)
		}
		rng.Shuffle(len(recut), func(i, j int) { recut[i], recut[j] = recut[j], recut[i] })
		if n := pushAll(srvB.url, enrolledB.Token, recut, false); n != 0 {
			t.Errorf("center B: overlapping runs in random order accepted %d events, want none", n)
		}

		rowsA, rowsB := MustCentralEvents(t, a.dsn), MustCentralEvents(t, b.dsn)
		kioskA := MustID(t, kiosk).KioskID
		for _, rows := range []struct {
			name  string
			rows  []centralEvent
			kiosk string
		}{{"A", rowsA, kioskA}, {"B", rowsB, enrolledB.KioskID}} {
			got := byKiosk(rows.rows)
			if len(got) != 1 {
				t.Errorf("center %s holds events of %d kiosks, want 1", rows.name, len(got))
			}
			diffEvents(t, "center "+rows.name, got[rows.kiosk], kl)
		}
		// The two tables are the same rows but for the kiosk's id, which
		// each center chose at enrollment.
		for i := range rowsA {
			rowsA[i].Kiosk = "K"
		}
		for i := range rowsB {
			rowsB[i].Kiosk = "K"
		}
		if !sameRows(rowsA, rowsB) {
			t.Errorf("the two centers' events tables differ (%d and %d rows)", len(rowsA), len(rowsB))
			for i := range min(len(rowsA), len(rowsB)) {
				if !sameRow(rowsA[i], rowsB[i]) {
					t.Errorf("first difference, row %d: A %+v, B %+v", i, rowsA[i], rowsB[i])
					break
				}
			}
		}
		stA, stB := a.MustStatus(t), b.MustStatus(t)
		if !mapsEqual(stA.Occupancy, stB.Occupancy) || !mapsEqual(stA.Occupancy, kiosk.Occupancy()) {
			t.Errorf("occupancy: center A %v, center B %v, the kiosk %v", stA.Occupancy, stB.Occupancy, kiosk.Occupancy())
		}
		if len(stA.Kiosks) != 1 || len(stB.Kiosks) != 1 || stA.Kiosks[0].Events != stB.Kiosks[0].Events ||
			stA.Kiosks[0].Flagged != stB.Kiosks[0].Flagged {
			t.Errorf("kiosks: center A %+v, center B %+v", stA.Kiosks, stB.Kiosks)
		}

		// A replay that differs from what was stored is another history
		// under the same seqs (a kiosk restored from a backup): the
		// stored events stay as they were, the replay is kept beside
		// them, and the kiosk is told to enroll again.
		forged := slices.Clone(batches[0])
		for i := range forged {
			forged[i].Decision, forged[i].Reason = string(checkin.Admit), string(checkin.Admitted)
			forged[i].Code, forged[i].Person, forged[i].From, forged[i].Location = demo.Roster(200)[0].Code, "", "", ""
		}
		if resp := MustPush(t, hc, srvB.url, enrolledB.Token, forged, true); resp.Accepted != len(forged) || !resp.Forked {
			t.Errorf("center B: a replay with other content: %+v, want %d kept and the fork said", resp, len(forged))
		}
		diffEvents(t, "center B after the fork", byKiosk(MustCentralEvents(t, b.dsn))[enrolledB.KioskID][:len(kl)], kl)
		if st := b.MustStatus(t); !mapsEqual(st.Occupancy, stB.Occupancy) || st.Kiosks[0].Forks != int64(len(forged)) {
			t.Errorf("center B after a forged replay: occupancy %v (was %v), kiosks %+v", st.Occupancy, stB.Occupancy, st.Kiosks)
		}
	})
}

func maxSeq(events []wire.Event) int64 {
	var m int64
	for _, e := range events {
		m = max(m, e.Seq)
	}
	return m
}
