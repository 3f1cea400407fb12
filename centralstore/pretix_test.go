package centralstore_test

import (
	"context"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
)

// One read of pretix at a time: a second claim waits for the first to
// store its state, or for its lease to run out (a read killed half-way).
func TestStartPretix(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := MustOpen(t, dsn)
		now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		if err := db.StartPretix(ctx); err != nil {
			t.Fatalf("the first claim: %v", err)
		}
		if err := db.StartPretix(ctx); checkin.ErrorCode(err) != checkin.ECONFLICT {
			t.Fatalf("a second claim while the first runs: %v, want %s", err, checkin.ECONFLICT)
		}
		if err := db.SetPretix(ctx, centralstore.PretixState{URL: "https://p.example/api/v1/organizers/o/events/e/", ReadAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := db.StartPretix(ctx); err != nil {
			t.Fatalf("a claim after the first stored its state: %v", err)
		}
		now = now.Add(16 * time.Minute)
		if err := db.StartPretix(ctx); err != nil {
			t.Fatalf("a claim after the lease ran out: %v", err)
		}
		if st, err := db.Pretix(ctx); err != nil || st.URL == "" {
			t.Errorf("the state after the claims: %+v, %v; want it kept", st, err)
		}
	})
}
