package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"usher/checkin"
	"usher/demo"
	"usher/store"
)

// catchUps counts the screen's catch-ups with the database, each several
// queries.
type catchUps struct {
	Backend
	refreshes, standings int
}

func (c *catchUps) Refresh(ctx context.Context) error {
	c.refreshes++
	return c.Backend.Refresh(ctx)
}

func (c *catchUps) Standing(ctx context.Context) (checkin.Standing, error) {
	c.standings++
	return c.Backend.Standing(ctx)
}

// An open screen nobody uses ticks a few times a second for hours: a
// tick with nothing committed since the last must not query the
// database beyond its version (it read the log and the kiosk's standing
// at every tick, a share of the idle screen's CPU). A scan by another
// process on the same file is still taken in at the next tick.
func TestIdleTicksReadNothing(t *testing.T) {
	clk := newClock()
	a := test.NewTempApp(t)
	path := filepath.Join(t.TempDir(), "kiosk.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = clk.Now
	if _, err := db.Load(context.Background(), demo.Event(), roster()); err != nil {
		t.Fatal(err)
	}
	b := &catchUps{Backend: db}
	w := test.NewTempWindow(t, nil)
	k, err := New(w, b, Options{Door: doorBallroom, SetTheme: a.Settings().SetTheme})
	if err != nil {
		t.Fatal(err)
	}
	k.Now = clk.Now
	h := &harness{t: t, ctx: context.Background(), clock: clk, db: db, w: w, k: k}

	h.advance(time.Second) // the first tick catches up
	refreshes, standings := b.refreshes, b.standings
	for range 20 {
		h.advance(time.Second)
	}
	if b.refreshes != refreshes || b.standings != standings {
		t.Errorf("20 idle ticks caught up with the database %d times and read the standing %d times, want 0",
			b.refreshes-refreshes, b.standings-standings)
	}

	other, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := other.Scan(context.Background(), checkin.Scan{Code: ada.Code, Door: doorBallroom, Direction: checkin.Entry}); err != nil || d.Kind != checkin.Admit {
		t.Fatalf("setup: admit at another process: %+v, %v", d, err)
	}
	other.Close()
	h.advance(time.Second)
	if got := h.gaugeText(ballroom); got != "1 / 800" {
		t.Errorf("ballroom gauge = %q after another process admitted Ada, want 1 / 800", got)
	}
	if b.refreshes != refreshes+1 {
		t.Errorf("the tick after another process's scan caught up %d times, want once", b.refreshes-refreshes)
	}
}
