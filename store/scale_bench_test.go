package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/internal/benchfix"
	"usher/store"
)

// smallPeople is the roster size the scan's growth is measured from.
const smallPeople = 5000

// BenchmarkScanScale measures how a scan's cost grows with the roster:
// the same scan pattern at benchfix.People() (MustScanDB) and at 5,000
// people (a database built the same way), alternated scan by scan so
// both see the same disk, each timed. The goal: big ÷ small ≤
// 1.2. Both databases keep inside people in the venue, so every scan
// admits or lets out.
func BenchmarkScanScale(b *testing.B) {
	big := MustScanDB(b)
	bigPeople, _ := MustBenchRoster(b)
	small, smallRoster := mustSmallScanDB(b)
	var inBig, inSmall time.Duration
	smallStep := 0
	b.ResetTimer()
	for i := range b.N {
		scanSmall := func() {
			d, err := small.Scan(context.Background(), benchfix.ScanAt(smallRoster, "main", inside, 0, smallStep))
			if err != nil {
				b.Fatal(err)
			}
			if !d.Moves() {
				b.Fatalf("small roster, step %d: %s %s moved nobody", smallStep, d.Kind, d.Reason)
			}
			smallStep++
		}
		t0 := time.Now()
		if i%2 == 0 {
			doScan(b, big, bigPeople)
			t1 := time.Now()
			scanSmall()
			inBig, inSmall = inBig+t1.Sub(t0), inSmall+time.Since(t1)
		} else {
			scanSmall()
			t1 := time.Now()
			doScan(b, big, bigPeople)
			inSmall, inBig = inSmall+t1.Sub(t0), inBig+time.Since(t1)
		}
	}
	b.ReportMetric(float64(inBig)/float64(b.N), "big-ns/op")
	b.ReportMetric(float64(inSmall)/float64(b.N), "small-ns/op")
	b.ReportMetric(float64(inBig)/float64(inSmall), "big/small")
}

// mustSmallScanDB is a kiosk database of the demo event and the first
// smallPeople of the demo roster, loaded through store.Load, with the
// first inside of them admitted at door main.
func mustSmallScanDB(b *testing.B) (*store.DB, []checkin.Person) {
	b.Helper()
	ctx := context.Background()
	people := demo.Roster(smallPeople)
	db, err := store.Open(filepath.Join(b.TempDir(), "small.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Load(ctx, demo.Event(), people); err != nil {
		b.Fatal(err)
	}
	for i := range inside {
		if d, err := db.Scan(ctx, benchfix.ScanAt(people, "main", inside, 0, 2*i-2*inside)); err != nil || d.Reason != checkin.Admitted {
			b.Fatalf("prefill %d: %v %v", i, d.Reason, err)
		}
	}
	return db, people
}
