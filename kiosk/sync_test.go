package kiosk_test

import (
	"context"
	"database/sql"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/store"
	"usher/sync/server"
	"usher/sync/wire"
)

// central is a real central server on loopback with the demo event and
// a demo roster.
type central struct {
	db     *centralstore.DB
	path   string // the central database's file
	srv    *httptest.Server
	people []checkin.Person
}

// MustCentral starts a central server with an n-person roster.
func MustCentral(tb testing.TB, n int, handler func(http.Handler) http.Handler) *central {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "central.db")
	db, err := centralstore.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	c := &central{db: db, path: path, people: demo.Roster(n)}
	if _, err := db.Import(context.Background(), demo.Event(), c.people, nil); err != nil {
		tb.Fatal(err)
	}
	api := server.New(db, log.New(io.Discard, "", 0))
	if handler != nil {
		api = handler(api)
	}
	c.srv = httptest.NewServer(api)
	tb.Cleanup(c.srv.Close)
	return c
}

// MustCode returns a new enrollment code for door.
func (c *central) MustCode(tb testing.TB, door string) string {
	tb.Helper()
	token, err := c.db.CreateEnrollment(context.Background(), door)
	if err != nil {
		tb.Fatal(err)
	}
	return wire.EnrollCode{URL: c.srv.URL, Door: door, Token: token}.String()
}

// MustScans returns how many scans the center holds in all: events but
// the rows that only move capacity rights (method "rights": a grant
// applied, rights given back, an exit elsewhere credited), which an
// enrolled kiosk logs and pushes too.
func (c *central) MustScans(tb testing.TB) int64 {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+c.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE method <> 'rights'`).Scan(&n); err != nil {
		tb.Fatalf("count the center's scans: %v", err)
	}
	return n
}

// MustWaiting returns how many scans of the kiosk database at path wait
// for the server.
func MustWaiting(tb testing.TB, path string) int {
	tb.Helper()
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	n, err := db.Waiting(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestEnrollScanSync runs the commands a script would: enroll a new
// kiosk database, scan (pushed when the input ends), change the roster
// at the center and sync.
func TestEnrollScanSync(t *testing.T) {
	c := MustCentral(t, 30, nil)
	path := filepath.Join(t.TempDir(), "kiosk", "k.db")

	out := MustRun(t, "", "enroll", "--db", path, c.MustCode(t, "main"))
	for _, want := range []string{"enrolled as kiosk K-", "door main", "event demo"} {
		if !strings.Contains(out, want) {
			t.Errorf("usher enroll printed %q, want %q in it", out, want)
		}
	}
	// The code may come before the flags too.
	MustRun(t, "", "enroll", c.MustCode(t, "east"), "--db", filepath.Join(t.TempDir(), "k2.db"))

	codes := []string{c.people[0].Code, c.people[1].Code, "U-NOSUCHBADGE"}
	outs := MustDecisions(t, MustRun(t, strings.Join(codes, "\n")+"\n", "scan", "--db", path, "--door", "main"))
	if len(outs) != len(codes) || outs[0].Reason != checkin.Admitted || outs[2].Reason != checkin.UnknownBadge {
		t.Fatalf("decisions %s", reasons(outs))
	}
	if got := c.MustScans(t); got != int64(len(codes)) {
		t.Errorf("the center holds %d scans after usher scan ended, want %d", got, len(codes))
	}
	if n := MustWaiting(t, path); n != 0 {
		t.Errorf("%d scans waiting after usher scan ended, want 0", n)
	}

	// P3 leaves the roster at the center.
	if _, err := c.db.Import(context.Background(), demo.Event(), append(c.people[:2:2], c.people[3:]...), nil); err != nil {
		t.Fatal(err)
	}
	out = MustRun(t, "", "sync", "--db", path)
	for _, want := range []string{"pushed 0 scans", "1 people changed", "online"} {
		if !strings.Contains(out, want) {
			t.Errorf("usher sync printed %q, want %q in it", out, want)
		}
	}
	// Without --door an enrolled kiosk scans at the door it was enrolled for.
	outs = MustDecisions(t, MustRun(t, c.people[2].Code+"\n", "scan", "--db", path))
	if outs[0].Reason != checkin.Revoked {
		t.Errorf("P3 after the center removed them: %s, want %s", outs[0].Reason, checkin.Revoked)
	}

	t.Run("ServerDown", func(t *testing.T) {
		c.srv.Close()
		r := run(t, c.people[3].Code+"\n", "scan", "--db", path, "--door", "main")
		if r.code != 0 || len(MustDecisions(t, r.stdout)) != 1 {
			t.Errorf("usher scan with the server down: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "1 scan waits") {
			t.Errorf("usher scan with the server down: stderr %q, want the count waiting", r.stderr)
		}
		r = run(t, "", "sync", "--db", path)
		if r.code != 1 || !strings.Contains(r.stderr, "cannot reach") || !strings.Contains(r.stdout, "1 scan waiting") {
			t.Errorf("usher sync with the server down: exit %d, stdout %q, stderr %q; want 1 and why", r.code, r.stdout, r.stderr)
		}
		if n := MustWaiting(t, path); n != 1 {
			t.Errorf("%d scans waiting, want 1", n)
		}
	})
}

// TestScanServerHangs checks that a server that never answers delays no
// decision, and holds `usher scan` at the end of its input only briefly.
func TestScanServerHangs(t *testing.T) {
	hang, stop := make(chan struct{}), make(chan struct{})
	c := MustCentral(t, 10, func(api http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			default:
				api.ServeHTTP(w, r) // enrollment works
				return
			}
			// Read the body, so the server notices the client leave.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		})
	})
	t.Cleanup(func() { close(stop) }) // before the server's Close waits for handlers
	path := filepath.Join(t.TempDir(), "k.db")
	MustRun(t, "", "enroll", "--db", path, c.MustCode(t, "main"))
	close(hang)
	start := time.Now()
	r := run(t, c.people[0].Code+"\n"+c.people[1].Code+"\n", "scan", "--db", path, "--door", "main")
	if r.code != 0 || len(MustDecisions(t, r.stdout)) != 2 {
		t.Errorf("usher scan: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("usher scan took %s with a hanging server", d)
	}
	if !strings.Contains(r.stderr, "did not answer in time") {
		t.Errorf("stderr %q, want why the last sync failed", r.stderr)
	}
}

func TestSyncUsage(t *testing.T) {
	k := MustKiosk(t)
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"EnrollWithoutCode", []string{"enroll", "--db", k.db}, 2, "CODE"},
		{"EnrollWithoutDB", []string{"enroll", "USHER-ENROLL:x"}, 2, "--db"},
		{"EnrollTwoCodes", []string{"enroll", "--db", k.db, "A", "B"}, 2, `"B"`},
		{"EnrollBadCode", []string{"enroll", "--db", filepath.Join(t.TempDir(), "n.db"), "U-ABCDEF"}, 1, "USHER-ENROLL:"},
		{"SyncWithoutDB", []string{"sync"}, 2, "--db"},
		{"SyncMissingDB", []string{"sync", "--db", filepath.Join(t.TempDir(), "nope.db")}, 1, "nope.db"},
		{"SyncNotEnrolled", []string{"sync", "--db", k.db}, 1, "not enrolled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, "", c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", r.code, r.stderr, c.code, c.stderr)
			}
		})
	}
}
