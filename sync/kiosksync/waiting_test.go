package kiosksync_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"usher/checkin"
	"usher/sync/wire"
)

// TestWaitingReported: each pull tells the center how many scans wait at
// the kiosk, and the center's status shows it. A kiosk whose push is
// refused (a log row the server would not take, stuck before two later
// scans) still pulls, and the center learns that 3 scans are waiting
// there; once the kiosk pushes them all, it learns 0.
func TestWaitingReported(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	kiosk := MustID(t, db).KioskID
	s := c.syncer(db, time.Now())
	waitingAtCenter := func() int64 {
		t.Helper()
		for _, k := range c.MustStatus(t).Kiosks {
			if k.ID == kiosk {
				return k.Waiting
			}
		}
		t.Fatalf("the center does not know kiosk %s", kiosk)
		return 0
	}

	MustScan(t, db, c.people[0].Code, "main", checkin.Entry)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if w := waitingAtCenter(); w != 0 {
		t.Errorf("after a good round the center says %d scans wait at the kiosk", w)
	}

	if _, err := db.SQL().Exec(`INSERT INTO scans (at, door, direction, method, code, decision, reason, hlc)
		VALUES (1, 'main', 'entry', 'badge', 'x', '', 'unknown_badge', 1)`); err != nil {
		t.Fatal(err)
	}
	MustScan(t, db, c.people[1].Code, "main", checkin.Entry)
	MustScan(t, db, c.people[2].Code, "main", checkin.Entry)
	wantCode(t, "a push of a row the server would refuse", s.Sync(ctx), checkin.EINVALID)
	if got := s.Status().Waiting; got != 3 {
		t.Fatalf("the kiosk says %d scans wait, want 3", got)
	}
	if w := waitingAtCenter(); w != 3 {
		t.Errorf("the center says %d scans wait at the kiosk, want 3", w)
	}

	// The bad row mended, everything goes, and the center hears 0.
	if _, err := db.SQL().Exec(`UPDATE scans SET decision = 'deny' WHERE code = 'x'`); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if w := waitingAtCenter(); w != 0 {
		t.Errorf("after everything was pushed the center says %d scans wait", w)
	}
}

// TestWaitingRefused: a pull whose waiting count is not a whole number
// ≥ 0 is refused with 400 and changes nothing.
func TestWaitingRefused(t *testing.T) {
	c := MustCenter(t, 10)
	db := c.MustKiosk(t, "main")
	id := MustID(t, db)
	for _, w := range []string{"-1", "many", "1.5", "99999999999999999999"} {
		req, err := http.NewRequest(http.MethodGet, c.url+wire.PathPull+"?cursor=0&waiting="+w, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+id.Token)
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("waiting=%s: %d, want 400", w, resp.StatusCode)
		}
	}
	for _, k := range c.MustStatus(t).Kiosks {
		if k.Waiting != 0 {
			t.Errorf("kiosk %s: %d waiting after refused pulls", k.ID, k.Waiting)
		}
	}
}
