package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/sync/server"
	"usher/sync/wire"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time      { return c.t }
func (c *fakeClock) Add(d time.Duration) { c.t = c.t.Add(d) }

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func wantWait(tb testing.TB, th *server.Throttle, key string, want time.Duration) {
	tb.Helper()
	if got := th.Wait(key); got != want {
		tb.Errorf("%s waits %v, want %v", key, got, want)
	}
}

// The throttle lets FreeFailures failures of a key pass, then shuts it
// for FirstDelay, twice that after the next failure, and so on up to
// MaxDelay. A success clears the key, and so does a quiet Forget.
// Attempt counts a try as failed as it starts. It keeps at most MaxKeys.
func TestThrottle(t *testing.T) {
	t.Run("Backoff", func(t *testing.T) {
		clock := newFakeClock()
		th := server.NewThrottle(clock.Now)
		for range server.FreeFailures - 1 {
			th.Fail("a")
			wantWait(t, th, "a", 0)
		}
		th.Fail("a")
		wantWait(t, th, "a", server.FirstDelay)
		wantWait(t, th, "b", 0)
		if got := th.Wait("b", "a"); got != server.FirstDelay {
			t.Errorf("b and a wait %v, want a's %v", got, server.FirstDelay)
		}
		clock.Add(server.FirstDelay / 4)
		wantWait(t, th, "a", server.FirstDelay*3/4)
		want := server.FirstDelay
		for range 20 {
			clock.Add(th.Wait("a"))
			wantWait(t, th, "a", 0)
			th.Fail("a")
			want = min(2*want, server.MaxDelay)
			wantWait(t, th, "a", want)
		}
		if want != server.MaxDelay {
			t.Fatalf("the delay reached %v, not the cap", want)
		}
		th.Succeed("a")
		wantWait(t, th, "a", 0)
		th.Fail("a")
		wantWait(t, th, "a", 0)
	})

	t.Run("Forget", func(t *testing.T) {
		clock := newFakeClock()
		th := server.NewThrottle(clock.Now)
		th.Fail("a")
		th.Fail("a")
		clock.Add(server.Forget + time.Second)
		th.Fail("a")
		wantWait(t, th, "a", 0)
		if th.Len() != 1 {
			t.Errorf("%d keys kept, want 1", th.Len())
		}
	})

	t.Run("Attempt", func(t *testing.T) {
		clock := newFakeClock()
		th := server.NewThrottle(clock.Now)
		for i := range server.FreeFailures {
			if d := th.Attempt("name maria", "address 10.0.0.1"); d != 0 {
				t.Fatalf("attempt %d waits %v", i+1, d)
			}
		}
		if d := th.Attempt("name maria", "address 10.0.0.2"); d != server.FirstDelay {
			t.Errorf("an attempt past the free ones, for a name that failed, waits %v, want %v", d, server.FirstDelay)
		}
		if d := th.Attempt("name bob", "address 10.0.0.2"); d != 0 {
			t.Errorf("another name from another address waits %v", d)
		}
		th.Succeed("name bob", "address 10.0.0.2")
		clock.Add(server.FirstDelay)
		th.Attempt("name maria", "address 10.0.0.1")
		th.Succeed("name maria", "address 10.0.0.1")
		wantWait(t, th, "name maria", 0)
		if th.Len() != 0 {
			t.Errorf("%d keys kept after every one succeeded", th.Len())
		}
	})

	t.Run("Bounded", func(t *testing.T) {
		clock := newFakeClock()
		th := server.NewThrottle(clock.Now)
		for i := range server.MaxKeys + 500 {
			th.Fail(fmt.Sprint("address ", i))
		}
		if th.Len() > server.MaxKeys {
			t.Errorf("%d keys kept, want at most %d", th.Len(), server.MaxKeys)
		}
		clock.Add(server.Forget + time.Second)
		th.Fail("address x")
		if th.Len() != 1 {
			t.Errorf("%d keys kept a quiet Forget later, want the one that failed since", th.Len())
		}
	})
}

// The address throttled is the connection's: a header cannot change it.
// An IPv6 client is its /64.
func TestRemoteHost(t *testing.T) {
	for _, c := range []struct{ remote, xff, want string }{
		{"10.0.0.1:4242", "", "10.0.0.1"},
		{"10.0.0.1:4242", "192.0.2.9", "10.0.0.1"},
		{"[::ffff:10.0.0.1]:4242", "", "10.0.0.1"},
		{"[2001:db8:1:2:3:4:5:6]:4242", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:80", "", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:80", "", "fe80::/64"},
		{"", "", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := server.RemoteHost(r); got != c.want {
			t.Errorf("RemoteHost(%q, X-Forwarded-For %q) = %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
}

// An address that keeps sending wrong kiosk tokens or enrollment codes
// gets 429 with Retry-After, without its request being looked at (a
// good token or code from it waits too), while kiosks at other addresses
// go on; X-Forwarded-For changes nothing. Once it waits, a good token
// clears it.
func TestKioskAPIThrottle(t *testing.T) {
	c := MustAPICenter(t, filepath.Join(t.TempDir(), "central.db"))
	clock := newFakeClock()
	c.db.Now = clock.Now
	h := server.NewHandler(c.db, server.Config{Log: discardLog()})
	send := func(from, method, path, token, body string) (int, http.Header, wire.Error) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.RemoteAddr = from + ":5000"
		req.Header.Set("X-Forwarded-For", "10.9.9.9")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var e wire.Error
		json.Unmarshal(w.Body.Bytes(), &e)
		return w.Code, w.Header(), e
	}
	pull := wire.PathPull + "?cursor=0"
	const guesser, kiosk = "10.0.0.66", "10.0.0.7"

	for i := range server.FreeFailures {
		if status, _, e := send(guesser, "GET", pull, fmt.Sprint("wrong-", i), ""); status != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d %+v, want 401", i+1, status, e)
		}
	}
	check429 := func(what string, status int, hd http.Header, e wire.Error, retry string) {
		t.Helper()
		if status != http.StatusTooManyRequests || hd.Get("Retry-After") != retry || !strings.Contains(e.Message, "try again in "+retry+"s") {
			t.Errorf("%s: %d, Retry-After %q, %+v; want 429 after %s s, saying so", what, status, hd.Get("Retry-After"), e, retry)
		}
	}
	status, hd, e := send(guesser, "GET", pull, "wrong-again", "")
	check429("a guess past the free ones", status, hd, e, "1")
	status, hd, e = send(guesser, "GET", pull, c.kiosk.Token, "")
	check429("a good token from the guesser's address", status, hd, e, "1")
	code, err := c.db.CreateEnrollment(t.Context(), "main")
	if err != nil {
		t.Fatal(err)
	}
	status, hd, e = send(guesser, "POST", wire.PathEnroll, "", `{"token":"`+code+`"}`)
	check429("a good enrollment code from the guesser's address", status, hd, e, "1")
	if status, _, e := send(kiosk, "GET", pull, c.kiosk.Token, ""); status != http.StatusOK {
		t.Errorf("a kiosk at another address: %d %+v, want 200", status, e)
	}

	// The next failure doubles the wait.
	clock.Add(server.FirstDelay)
	if status, _, e := send(guesser, "POST", wire.PathEnroll, "", `{"token":"not-a-code"}`); status != http.StatusUnauthorized {
		t.Fatalf("a wrong enrollment code after the wait: %d %+v, want 401", status, e)
	}
	status, hd, e = send(guesser, "POST", wire.PathEnroll, "", `{"token":"`+code+`"}`)
	check429("the good code after another failure", status, hd, e, "2")

	// The code was not used up while refused; after the wait it enrolls,
	// and a good token clears the address.
	clock.Add(2 * server.FirstDelay)
	if status, _, e := send(guesser, "POST", wire.PathEnroll, "", `{"token":"`+code+`"}`); status != http.StatusOK {
		t.Fatalf("the good code after the wait: %d %+v, want 200", status, e)
	}
	for i := range server.FreeFailures {
		if status, _, e := send(guesser, "GET", pull, "", ""); status != http.StatusUnauthorized {
			t.Fatalf("no token %d after a success: %d %+v, want 401", i+1, status, e)
		}
	}

	// Refused before it is read: a throttled body is not inflated.
	req := httptest.NewRequest("POST", wire.PathPush, noRead{t})
	req.RemoteAddr = guesser + ":5000"
	req.Header.Set("Content-Encoding", "gzip")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusTooManyRequests {
		t.Errorf("a push from the throttled address: %d %s", w.Code, w.Body)
	}
}

// logged decodes the JSON lines of a log.
func logged(tb testing.TB, b *bytes.Buffer) []map[string]any {
	tb.Helper()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return out
		} else if err != nil {
			tb.Fatalf("log: %v\n%s", err, b)
		}
		out = append(out, m)
	}
}
