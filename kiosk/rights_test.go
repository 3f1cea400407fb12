package kiosk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	centralcmd "usher/central"
	"usher/centralstore"
	"usher/checkin"
	"usher/kiosk"
	"usher/sync/server"
)

// MustCentralRun runs an usher-central command and fails the test unless
// it exits 0.
func MustCentralRun(tb testing.TB, args ...string) string {
	tb.Helper()
	var out, errOut bytes.Buffer
	if code := centralcmd.Run(args, &out, &errOut); code != 0 {
		tb.Fatalf("usher-central %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// TestThreeDoorsOffline is the README's walk-through: a salon with a
// fire-code limit of 10 and three doors, a kiosk at each. The kiosks
// enroll and sync while the center runs; then the center stops, and each
// `usher scan` admits its share and no more: 2 of the 10 at each door,
// whichever enrolled first. The center's pool for doors that run out
// while it answers (3, one per door) and the rounding (1) stay with the
// center, so 6 people get in while it is away.
func TestThreeDoorsOffline(t *testing.T) {
	dir := t.TempDir()
	centerDB := filepath.Join(dir, "center.db")
	MustCentralRun(t, "import", "--db", centerDB, "--event", "../docs/salon/event.toml", "--roster", "../docs/salon/roster.csv")
	db, err := centralstore.Open(centerDB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(server.New(db, log.New(io.Discard, "", 0)))
	doors := []string{"salon-a", "salon-b", "salon-c"}
	for _, d := range doors {
		out := MustCentralRun(t, "enroll", "--db", centerDB, "--door", d, "--server", srv.URL, "--qr", filepath.Join(dir, d+".png"))
		lines := strings.Split(strings.TrimSpace(out), "\n")
		MustRun(t, "", "enroll", "--db", filepath.Join(dir, d+".db"), lines[len(lines)-1])
	}
	for range 2 {
		for _, d := range doors {
			MustRun(t, "", "sync", "--db", filepath.Join(dir, d+".db"))
		}
	}
	srv.Close() // the center is gone: the kiosks are on their own

	admitted, next := 0, 1
	for _, d := range doors {
		var codes []string
		for range 6 {
			codes = append(codes, fmt.Sprintf("CODE-%02d", next))
			next++
		}
		r := run(t, strings.Join(codes, "\n")+"\n", "scan", "--db", filepath.Join(dir, d+".db"))
		if r.code != 0 {
			t.Fatalf("usher scan at %s: exit %d\n%s", d, r.code, r.stderr)
		}
		here := 0
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		for i := 0; dec.More(); i++ {
			var o kiosk.Output
			if err := dec.Decode(&o); err != nil {
				t.Fatal(err)
			}
			switch {
			case o.Decision == checkin.Admit:
				if here < i {
					t.Errorf("%s admitted %s after a denial", d, o.Code)
				}
				here++
			case o.Reason != checkin.OutOfCapacity && o.Reason != checkin.RoomFull:
				t.Errorf("%s: %s got %s (%s); want an admission or a capacity denial", d, o.Code, o.Reason, o.Message)
			}
		}
		if here != 2 {
			t.Errorf("%s admitted %d of 6: each door should hold its share, 2 of the 10 places", d, here)
		}
		admitted += here
	}
	if admitted != 6 {
		t.Fatalf("the three doors admitted %d people into a salon for 10, want their shares, 6", admitted)
	}
	// A fourth round of scans anywhere is denied too.
	r := run(t, "CODE-30\n", "scan", "--db", filepath.Join(dir, "salon-a.db"))
	if !strings.Contains(r.stdout, `"decision":"deny"`) {
		t.Fatalf("an 11th person was not denied: %s", r.stdout)
	}
}

// salon enrolls a kiosk at each of the salon's three doors with a center
// on loopback, and syncs them until the salon's 10 rights are shared out.
type salon struct {
	dir, center string
	srv         *httptest.Server
	down        atomic.Bool // the center answers 503, as if unreachable
}

func MustSalon(t *testing.T) *salon {
	t.Helper()
	s := &salon{dir: t.TempDir()}
	s.center = filepath.Join(s.dir, "center.db")
	MustCentralRun(t, "import", "--db", s.center, "--event", "../docs/salon/event.toml", "--roster", "../docs/salon/roster.csv")
	db, err := centralstore.Open(s.center)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	api := server.New(db, log.New(io.Discard, "", 0))
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	for _, d := range []string{"a", "b", "c"} {
		out := MustCentralRun(t, "enroll", "--db", s.center, "--door", "salon-"+d, "--server", s.srv.URL, "--qr", filepath.Join(s.dir, d+".png"))
		lines := strings.Split(strings.TrimSpace(out), "\n")
		MustRun(t, "", "enroll", "--db", s.db(d), lines[len(lines)-1])
	}
	s.sync(t, "a", "b", "c", "a", "b", "c")
	return s
}

func (s *salon) db(door string) string { return filepath.Join(s.dir, "salon-"+door+".db") }

func (s *salon) sync(t *testing.T, doors ...string) {
	t.Helper()
	for _, d := range doors {
		MustRun(t, "", "sync", "--db", s.db(d))
	}
}

// scan scans one code at a door and returns the decision.
func (s *salon) scan(t *testing.T, door, code string, exit bool) kiosk.Output {
	t.Helper()
	args := []string{"scan", "--db", s.db(door)}
	if exit {
		args = append(args, "--exit")
	}
	r := run(t, code+"\n", args...)
	var o kiosk.Output
	if err := json.Unmarshal([]byte(r.stdout), &o); err != nil {
		t.Fatalf("usher %s: %v\n%s%s", strings.Join(args, " "), err, r.stdout, r.stderr)
	}
	return o
}

// TestCapLoweredWhileInside: the fire marshal lowers the salon from 10
// to 5 while 8 people are inside. Once the kiosks have synced, no door
// admits anyone until fewer than 5 are inside — not even with the rights
// that exits earn them — and then admissions resume up to the new cap.
func TestCapLoweredWhileInside(t *testing.T) {
	s := MustSalon(t)
	for i, door := range []string{"a", "a", "a", "a", "b", "b", "b", "b"} {
		if o := s.scan(t, door, fmt.Sprintf("CODE-%02d", i+1), false); o.Decision != checkin.Admit {
			t.Fatalf("CODE-%02d at %s: %s (%s)", i+1, door, o.Reason, o.Message)
		}
	}
	s.sync(t, "a", "b", "c")
	out := MustCentralRun(t, "space", "cap", "--db", s.center, "salon", "5")
	t.Logf("usher-central space cap salon 5:\n%s", out)
	s.sync(t, "a", "b", "c", "a", "b", "c")

	denied := func(step, door string) {
		t.Helper()
		if o := s.scan(t, door, "CODE-20", false); o.Decision != checkin.Deny {
			t.Fatalf("%s: CODE-20 at %s was admitted (%s)", step, door, o.Message)
		}
	}
	for _, d := range []string{"a", "b", "c"} {
		denied("8 inside, cap 5", d)
	}
	// With the center away, three leave by the door that admitted them: 5
	// are still inside, and the rights their exits earn are owed to the
	// center, not spent again here.
	s.down.Store(true)
	for _, code := range []string{"CODE-01", "CODE-02", "CODE-03"} {
		if o := s.scan(t, "a", code, true); o.Reason != checkin.ExitRecorded {
			t.Fatalf("exit of %s: %s", code, o.Reason)
		}
	}
	denied("5 inside, center away", "a")
	s.down.Store(false)
	s.sync(t, "a", "b", "c", "a", "b", "c")
	for _, d := range []string{"a", "b", "c"} {
		denied("5 inside, cap 5", d)
	}
	// One more leaves: now there is room for one.
	if o := s.scan(t, "a", "CODE-04", true); o.Reason != checkin.ExitRecorded {
		t.Fatalf("exit of CODE-04: %s", o.Reason)
	}
	if o := s.scan(t, "a", "CODE-20", false); o.Decision != checkin.Admit {
		t.Fatalf("4 inside, cap 5: CODE-20 at a: %s (%s)", o.Reason, o.Message)
	}
	s.sync(t, "a", "b", "c", "a", "b", "c")
	for _, d := range []string{"a", "b", "c"} {
		if o := s.scan(t, d, "CODE-21", false); o.Decision != checkin.Deny {
			t.Fatalf("5 inside, cap 5: CODE-21 admitted at %s", d)
		}
	}
}

// TestMovedKioskGetsRights: a kiosk enrolled at the main entrance is
// carried to Hall B's door. Scanning there under its old enrollment is
// refused before any scan (the center would believe none of them); once
// retired at the main entrance and enrolled with a code for Hall B, a
// sync brings Hall B's rights and it admits.
func TestMovedKioskGetsRights(t *testing.T) {
	c := MustCentral(t, 30, nil)
	path := filepath.Join(t.TempDir(), "k.db")
	MustRun(t, "", "enroll", "--db", path, c.MustCode(t, "main"))
	if r := run(t, c.people[0].Code+"\n", "scan", "--db", path, "--door", "hall-b"); r.code == 0 || r.stdout != "" ||
		!strings.Contains(r.stderr, `enrolled for door "main"`) {
		t.Fatalf("scan at another door: exit %d, out %q, err %q; want refused before scanning", r.code, r.stdout, r.stderr)
	}
	// Its identity at the main entrance is not for another door: the
	// organizer retires it (its rights go back), the kiosk hears so at
	// its next sync, and is enrolled with a code for Hall B.
	if r := run(t, "", "enroll", "--db", path, c.MustCode(t, "hall-b")); r.code == 0 {
		t.Fatal("a kiosk the center trusts was enrolled again")
	}
	st, err := c.db.Status(context.Background())
	if err != nil || len(st.Kiosks) != 1 {
		t.Fatalf("kiosks %+v, %v", st.Kiosks, err)
	}
	if _, err := c.db.RetireKiosk(context.Background(), st.Kiosks[0].ID); err != nil {
		t.Fatal(err)
	}
	run(t, "", "sync", "--db", path)
	MustRun(t, "", "enroll", "--db", path, c.MustCode(t, "hall-b"))
	MustRun(t, "", "sync", "--db", path)
	again := MustDecisions(t, MustRun(t, c.people[1].Code+"\n", "scan", "--db", path))
	if again[0].Decision != checkin.Admit {
		t.Fatalf("after enrolling at the new door: %s (%s)", again[0].Reason, again[0].Message)
	}
}
