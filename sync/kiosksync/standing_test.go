package kiosksync_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/demo"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/wire"
)

// MustStanding returns a kiosk's standing.
func MustStanding(tb testing.TB, db *store.DB) checkin.Standing {
	tb.Helper()
	s, err := db.Standing(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// MustKioskAt opens a kiosk database at path, to open it again later.
func MustKioskAt(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// A kiosk the center revoked learns it from the center's 401 and stops
// admitting: every later scan is logged as a kiosk_revoked denial, after
// a restart too, until it is enrolled again with a new code; then it
// admits, and the center gets none of the scans made meanwhile.
func TestRevokedKioskAdmitsNobody(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	path := filepath.Join(t.TempDir(), "kiosk.db")
	db := MustKioskAt(t, path)
	if err := kiosksync.Enroll(ctx, db, c.MustCode(t, "main"), c.client); err != nil {
		t.Fatal(err)
	}
	s := c.syncer(db, time.Now())
	if r := MustScan(t, db, c.people[0].Code, "main", checkin.Entry); r != checkin.Admitted {
		t.Fatalf("before the revocation: %s", r)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	old := MustID(t, db).KioskID
	if err := c.db.RevokeKiosk(ctx, old); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "the sync after the revocation", s.Sync(ctx), checkin.EUNAUTHORIZED)
	if st := MustStanding(t, db); !st.Revoked {
		t.Fatalf("standing %+v after the center's 401, want revoked", st)
	}
	for i, p := range c.people[1:3] {
		d, err := db.Scan(ctx, checkin.Scan{Code: p.Code, Door: "main", Direction: checkin.Entry})
		if err != nil || d.Kind != checkin.Deny || d.Reason != checkin.KioskRevoked {
			t.Fatalf("scan %d after the revocation: %+v, %v; want a kiosk_revoked denial", i, d, err)
		}
		if n := MustCount(t, db, `SELECT count(*) FROM scans WHERE seq = ? AND decision = 'deny' AND reason = 'kiosk_revoked'`, d.Seq); n != 1 {
			t.Errorf("scan %d: the denial is not in the log", i)
		}
	}
	// On the spot too: a door asking the center for a right learns it.
	if _, err := s.AskRights(ctx); checkin.ErrorCode(err) != checkin.EUNAUTHORIZED {
		t.Errorf("asking for rights at a revoked kiosk: %v", err)
	}
	db.Close()
	db = MustKioskAt(t, path)
	if r := MustScan(t, db, c.people[3].Code, "main", checkin.Entry); r != checkin.KioskRevoked {
		t.Errorf("after a restart: %s, want %s", r, checkin.KioskRevoked)
	}
	if st := c.syncer(db, time.Now()).Status(); st.String() == "online" {
		t.Errorf("status %q of a revoked kiosk", st)
	}

	if err := kiosksync.Enroll(ctx, db, c.MustCode(t, "main"), c.client); err != nil {
		t.Fatalf("enrolling the revoked kiosk again: %v", err)
	}
	if st := MustStanding(t, db); st.Revoked || st.KeptLocal != 3 {
		t.Errorf("standing %+v after enrolling again, want not revoked and the 3 denials kept local", st)
	}
	s = c.syncer(db, time.Now())
	if r := MustScan(t, db, c.people[4].Code, "main", checkin.Entry); r != checkin.Admitted {
		t.Errorf("enrolled again: %s, want admitted", r)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.String() != "online" {
		t.Errorf("status %q after enrolling again, want online", st)
	}
	id := MustID(t, db).KioskID
	if id == old {
		t.Fatalf("enrolled again under the same id %s", id)
	}
	if n := c.MustScansAt(t, id); n != 1 {
		t.Errorf("the center holds %d scans of the new identity, want only the 1 made since", n)
	}
	if n := c.MustScansAt(t, old); n != 1 {
		t.Errorf("the center holds %d scans of the revoked identity, want the 1 pushed before", n)
	}
}

// A 401 without the center's error code is not the center's: a proxy or
// a captive portal. The kiosk is offline, not revoked.
func TestUnauthorizedByAProxy(t *testing.T) {
	ctx := context.Background()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Log in to the venue Wi-Fi", http.StatusUnauthorized)
	}))
	t.Cleanup(proxy.Close)
	db := MustKioskDB(t)
	if _, err := db.Load(ctx, demo.Event(), demo.Roster(5)); err != nil {
		t.Fatal(err)
	}
	if err := db.Enroll(ctx, store.Identity{URL: proxy.URL, KioskID: "K-1", Token: "t", Door: "main", EventID: "demo"}); err != nil {
		t.Fatal(err)
	}
	s := kiosksync.New(db, proxy.Client())
	s.Log = log.New(io.Discard, "", 0)
	wantCode(t, "a proxy's 401", s.Sync(ctx), checkin.EOFFLINE)
	if st := MustStanding(t, db); st.Revoked {
		t.Errorf("standing %+v after a proxy's 401", st)
	}
	if st := s.Status(); st.Revoked {
		t.Errorf("status %+v after a proxy's 401", st)
	}
}

// forkingCenter is a real center whose push answer says what the center
// says of a restored or copied kiosk: the events are stored, the log
// forked, and every badge scan refused.
func forkingCenter(tb testing.TB, c *center) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.PathPush {
			c.api.ServeHTTP(w, r)
			return
		}
		body := io.Reader(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		var req wire.PushRequest
		if err := json.NewDecoder(body).Decode(&req); err != nil || len(req.Events) == 0 {
			http.Error(w, fmt.Sprint(err), http.StatusBadRequest)
			return
		}
		resp := wire.PushResponse{Accepted: len(req.Events), Through: req.Events[len(req.Events)-1].Seq,
			ServerHLC: uint64(time.Now().UnixMilli()) << 16, ServerTime: time.Now().UnixMilli(), Forked: true}
		for _, e := range req.Events {
			if e.Method == string(checkin.ByBadge) {
				resp.Refused = append(resp.Refused, wire.Refusal{Seq: e.Seq, Why: "a claim beyond the rights granted"})
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// A push answered Forked is recorded durably and shown, and refused
// events are logged with why; the kiosk scans and syncs on.
func TestForkedLog(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 10)
	srv := forkingCenter(t, c)
	token, err := c.db.CreateEnrollment(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	db := MustKioskAt(t, path)
	if err := kiosksync.Enroll(ctx, db, wire.EnrollCode{URL: srv.URL, Door: "main", Token: token}.String(), srv.Client()); err != nil {
		t.Fatal(err)
	}
	d, err := db.Scan(ctx, checkin.Scan{Code: c.people[0].Code, Door: "main", Direction: checkin.Entry})
	if err != nil || d.Reason != checkin.Admitted {
		t.Fatalf("before the push: %+v, %v", d, err)
	}
	var logged bytes.Buffer
	s := kiosksync.New(db, srv.Client())
	s.Log = log.New(&logged, "", 0)
	res, err := s.Round(ctx)
	if err != nil {
		t.Fatalf("a round answered forked: %v", err)
	}
	if res.Refused != 1 {
		t.Errorf("result %+v, want 1 refused", res)
	}
	st := s.Status()
	if !st.Online || !st.Forked || st.Refused != 1 {
		t.Errorf("status %+v, want online, forked, 1 refused", st)
	}
	if got, want := st.String(), "online — log restored or copied: enroll again — 1 event refused by the center"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	for _, want := range []string{
		fmt.Sprintf("the center refused event %d of this kiosk's log: a claim beyond the rights granted", d.Seq),
		"restored from a backup or copied",
	} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logged.String())
		}
	}
	// It scans on, and the alarm holds after a restart.
	if r := MustScan(t, db, c.people[1].Code, "main", checkin.Entry); r != checkin.Admitted {
		t.Errorf("a forked kiosk: %s, want admitted", r)
	}
	db.Close()
	db = MustKioskAt(t, path)
	if st := MustStanding(t, db); !st.Forked || st.Revoked {
		t.Errorf("standing %+v after a restart, want forked", st)
	}
	if r := MustScan(t, db, c.people[2].Code, "main", checkin.Entry); r != checkin.Admitted {
		t.Errorf("a forked kiosk after a restart: %s, want admitted", r)
	}
	s = kiosksync.New(db, srv.Client())
	s.Log = log.New(io.Discard, "", 0)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.Status().Forked {
		t.Errorf("status %+v after a restart, want forked", s.Status())
	}
	// Enrolled again, the alarm ends.
	if err := kiosksync.Enroll(ctx, db, c.MustCode(t, "main"), c.client); err != nil {
		t.Fatalf("enrolling the forked kiosk again: %v", err)
	}
	if st := MustStanding(t, db); st.Forked {
		t.Errorf("standing %+v after enrolling again", st)
	}
}

// Enrolling a database that already holds scans (here made standalone)
// sends none of them: they stay in the kiosk's log, the enrollment says
// how many, and the scans after it reach the center.
func TestEnrollUsedDatabase(t *testing.T) {
	ctx := context.Background()
	c := MustCenter(t, 30)
	db := MustKioskDB(t)
	if _, err := db.Load(ctx, demo.Event(), c.people); err != nil {
		t.Fatal(err)
	}
	for _, p := range c.people[:12] {
		if r := MustScan(t, db, p.Code, "main", checkin.Entry); r != checkin.Admitted {
			t.Fatalf("standalone: %s", r)
		}
	}
	if err := kiosksync.Enroll(ctx, db, c.MustCode(t, "main"), c.client); err != nil {
		t.Fatal(err)
	}
	st := MustStanding(t, db)
	if got, want := st.KeptNote(), "12 scans made before this enrollment stay on this kiosk and are not sent."; got != want {
		t.Errorf("enrollment note %q, want %q", got, want)
	}
	s := c.syncer(db, time.Now())
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	id := MustID(t, db).KioskID
	if n := c.MustScansAt(t, id); n != 0 {
		t.Errorf("the center holds %d scans of the kiosk after its first sync, want none of the 12 made before", n)
	}
	if n := MustCount(t, db, `SELECT count(*) FROM scans WHERE method != 'rights'`); n != 12 {
		t.Errorf("the kiosk's log holds %d scans, want the 12 still", n)
	}
	if r := MustScan(t, db, c.people[20].Code, "main", checkin.Entry); r != checkin.Admitted {
		t.Fatalf("enrolled: %s", r)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.MustScansAt(t, id); n != 1 {
		t.Errorf("the center holds %d scans of the kiosk, want the 1 made since the enrollment", n)
	}
	if st := s.Status(); st.Waiting != 0 || st.String() != "online" {
		t.Errorf("status %+v (%s), want online with nothing waiting", st, st)
	}
	if got := c.MustStatus(t).Occupancy["venue"]; got != 1 {
		t.Errorf("the center counts %d in the venue, want the 1 admitted since the enrollment", got)
	}
}

func TestStatusStringStanding(t *testing.T) {
	since := time.Date(2026, 6, 1, 14, 2, 0, 0, time.Local)
	for _, c := range []struct {
		name string
		st   kiosksync.Status
		want string
	}{
		{"Forked", kiosksync.Status{Online: true, Forked: true}, "online — log restored or copied: enroll again"},
		{"ForkedOffline", kiosksync.Status{Forked: true, Since: since, Waiting: 2},
			"offline since 14:02 — log restored or copied: enroll again — 2 scans waiting"},
		{"RevokedAndForked", kiosksync.Status{Revoked: true, Forked: true}, "this kiosk was revoked"},
		{"OneRefused", kiosksync.Status{Online: true, Refused: 1}, "online — 1 event refused by the center"},
		{"Refused", kiosksync.Status{Online: true, Refused: 3, Waiting: 4}, "online — 3 events refused by the center"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.st.String(); got != c.want {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
}
