package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// TestPush checks the push side: what is pending, the pushed mark, and
// the count waiting.
func TestPush(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, tempDB(t))
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return at }
	ps := people(3)
	MustLoad(t, db, MustEvent(t, expoEvent("expo")), ps)
	MustAdmit(t, db, ps[0].Code, "main")
	MustScan(t, db, "C-9999", "main", checkin.Entry)
	if _, err := db.Adjust(ctx, "main", 1, "a child without a badge"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Undo(ctx, "main", time.Minute); err != nil {
		t.Fatal(err)
	}
	MustScan(t, db, ps[0].Code, "main", checkin.Exit)

	t.Run("Pending", func(t *testing.T) {
		evs, err := db.Pending(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		hlcs := MustHLCs(t, db)
		want := []wire.Event{
			{Seq: 1, Door: "main", Direction: "entry", Method: "badge", Code: ps[0].Code, Person: ps[0].ID,
				Decision: "admit", Reason: "admitted", From: checkin.Outside, Location: "venue"},
			{Seq: 2, Door: "main", Direction: "entry", Method: "badge", Code: "C-9999", Decision: "deny", Reason: "unknown_badge"},
			{Seq: 3, Door: "main", Direction: "entry", Method: "adjust", Decision: "admit", Reason: "admitted",
				Note: "a child without a badge", From: checkin.Outside, Location: "venue", Delta: 1},
			{Seq: 4, Door: "main", Direction: "entry", Method: "undo", From: checkin.Outside, Location: "venue", Delta: -1, Undoes: 3},
			{Seq: 5, Door: "main", Direction: "exit", Method: "badge", Code: ps[0].Code, Person: ps[0].ID,
				Decision: "exit", Reason: "exit_recorded", From: "venue", Location: checkin.Outside},
		}
		if len(evs) != len(want) {
			t.Fatalf("%d pending events, want %d: %+v", len(evs), len(want), evs)
		}
		for i := range want {
			w := want[i]
			w.HLC, w.At = uint64(hlcs[i]), at.UnixMilli()
			if w.Method == "undo" { // the decision and reason are DecideUndo's
				w.Decision, w.Reason, w.Space = evs[i].Decision, evs[i].Reason, evs[i].Space
			}
			if w.Method == "adjust" {
				w.Decision, w.Reason, w.Space = evs[i].Decision, evs[i].Reason, evs[i].Space
			}
			if !reflect.DeepEqual(evs[i], w) {
				t.Errorf("event %d:\n got %+v\nwant %+v", i+1, evs[i], w)
			}
			if err := evs[i].Check(); err != nil {
				t.Errorf("event %d fails the server's check: %v", i+1, err)
			}
		}
	})
	t.Run("Limit", func(t *testing.T) {
		evs, err := db.Pending(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 2 {
			t.Errorf("Pending(2) = %+v, want seq 1 and 2", evs)
		}
	})
	t.Run("MarkPushed", func(t *testing.T) {
		MustWaiting(t, db, 5)
		if err := db.MarkPushed(ctx, 3); err != nil {
			t.Fatal(err)
		}
		MustWaiting(t, db, 2)
		evs, err := db.Pending(ctx, 100)
		if err != nil || len(evs) != 2 || evs[0].Seq != 4 {
			t.Errorf("pending after the mark: %+v, %v; want seq 4 and 5", evs, err)
		}
		// A late answer to an older push does not move the mark back.
		if err := db.MarkPushed(ctx, 1); err != nil {
			t.Fatal(err)
		}
		MustWaiting(t, db, 2)
	})
	t.Run("MarkPushedBeyondLog", func(t *testing.T) {
		if err := db.MarkPushed(ctx, 6); checkin.ErrorCode(err) != checkin.EINVALID {
			t.Errorf("MarkPushed past the log: %v, want code %s", err, checkin.EINVALID)
		}
		MustWaiting(t, db, 2)
	})
	t.Run("NewScanWaits", func(t *testing.T) {
		if err := db.MarkPushed(ctx, 5); err != nil {
			t.Fatal(err)
		}
		MustWaiting(t, db, 0)
		MustAdmit(t, db, ps[1].Code, "main")
		MustWaiting(t, db, 1)
	})
}

// MustWaiting checks the count of scans waiting for the server.
func MustWaiting(tb testing.TB, db *store.DB, want int) {
	tb.Helper()
	n, err := db.Waiting(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if n != want {
		tb.Errorf("%d scans waiting, want %d", n, want)
	}
}
