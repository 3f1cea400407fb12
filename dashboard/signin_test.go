package dashboard_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/centralstore"
	"usher/dashboard"
	"usher/internal/syncbuf"
	"usher/sync/server"
)

// signInCenter is a center with two organizers and the dashboard over
// it, on a clock the test moves, logging JSON to log.
type signInCenter struct {
	db  *centralstore.DB
	h   http.Handler
	now time.Time
	log *syncbuf.Buffer
}

const (
	maria, mariaPassword = "maria", "maria's long password 81c2"
	bob, bobPassword     = "bob", "bob's long password 5e07"
)

// mustSignInCenter makes the center with organizers, each a name and a
// password.
func mustSignInCenter(t *testing.T, organizers ...[2]string) *signInCenter {
	t.Helper()
	db, err := centralstore.Open(filepath.Join(t.TempDir(), "center.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, o := range organizers {
		if _, err := db.AddOrganizer(t.Context(), o[0], o[1]); err != nil {
			t.Fatal(err)
		}
	}
	c := &signInCenter{db: db, now: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), log: &syncbuf.Buffer{}}
	db.Now = func() time.Time { return c.now }
	c.h = dashboard.New(db, slog.New(slog.NewJSONHandler(c.log, nil)))
	return c
}

// signIn posts the form from address from (host only).
func (c *signInCenter) signIn(from, name, password string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, dashboard.PathLogin,
		strings.NewReader(url.Values{"name": {name}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req.RemoteAddr = from + ":40000"
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, req)
	return w
}

func want429(tb testing.TB, what string, w *httptest.ResponseRecorder, retry string) {
	tb.Helper()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != retry ||
		!strings.Contains(w.Body.String(), "Too many failed sign-ins") || len(w.Result().Cookies()) > 0 {
		tb.Errorf("%s: %d, Retry-After %q, cookies %v; want 429 after %s s, saying why, and no cookie\n%s",
			what, w.Code, w.Header().Get("Retry-After"), w.Result().Cookies(), retry, w.Body)
	}
}

func wantSignedIn(tb testing.TB, what string, w *httptest.ResponseRecorder) {
	tb.Helper()
	if w.Code != http.StatusSeeOther || len(w.Result().Cookies()) != 1 {
		tb.Errorf("%s: %d, cookies %v; want 303 and a session", what, w.Code, w.Result().Cookies())
	}
}

// Sign-in is throttled by name and by address (the connection's, not
// X-Forwarded-For): after three wrong passwords the name and the address
// wait a second, then two, and so on, answered 429 with Retry-After and
// no password check. A flood against one name is refused at once, so an
// organizer of another name at another address signs in meanwhile. A
// success clears the name and the address.
func TestSignInThrottle(t *testing.T) {
	c := mustSignInCenter(t, [2]string{maria, mariaPassword}, [2]string{bob, bobPassword})
	const guesser, office, cafe = "10.0.0.66", "10.0.0.10", "10.0.0.20"
	for i := range 3 {
		if w := c.signIn(guesser, maria, fmt.Sprint("guess ", i)); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, w.Code)
		}
	}
	want429(t, "a fourth guess", c.signIn(guesser, maria, "guess 3"), "1")
	want429(t, "maria's right password, from elsewhere, while her name waits", c.signIn(office, maria, mariaPassword), "1")
	want429(t, "another name from the guesser's address", c.signIn(guesser, "carol", "whatever"), "1")
	want429(t, "the guesser, claiming another address", c.signIn(guesser, "dave", "whatever", "X-Forwarded-For", cafe), "1")

	// A flood against maria's name while bob signs in: the flood never
	// reaches a password check, bob is not held back.
	var wg sync.WaitGroup
	flood := make([]*httptest.ResponseRecorder, 50)
	for i := range flood {
		wg.Go(func() { flood[i] = c.signIn(fmt.Sprintf("10.1.0.%d", i), maria, "flood") })
	}
	wantSignedIn(t, "bob from another address during the flood", c.signIn(cafe, bob, bobPassword, "X-Forwarded-For", guesser))
	wg.Wait()
	for i, w := range flood {
		if w.Code != http.StatusTooManyRequests {
			t.Errorf("flood request %d: %d, want 429", i, w.Code)
		}
	}

	// Once the wait is over, a wrong password doubles it; the right one
	// after that clears the name.
	c.now = c.now.Add(time.Second)
	if w := c.signIn(guesser, maria, "guess 4"); w.Code != http.StatusUnauthorized {
		t.Fatalf("a guess after the wait: %d, want 401", w.Code)
	}
	want429(t, "the next guess", c.signIn(guesser, maria, "guess 5"), "2")
	c.now = c.now.Add(2 * time.Second)
	wantSignedIn(t, "maria after the wait", c.signIn(office, maria, mariaPassword))
	// Her success cleared her name and her address, not the guesser's.
	if w := c.signIn(guesser, "carol", "whatever"); w.Code != http.StatusUnauthorized {
		t.Fatalf("a guess from the guesser's address after its wait: %d, want 401", w.Code)
	}
	want429(t, "the guesser's next one", c.signIn(guesser, "carol", "whatever"), "4")
}

// A burst of parallel guesses at one name, each from its own address,
// is cut at the free failures: the rest are refused without a password
// check, though none of the first had failed yet when they came.
func TestSignInBurst(t *testing.T) {
	c := mustSignInCenter(t) // an unknown name costs a password check all the same
	var wg sync.WaitGroup
	burst := make([]*httptest.ResponseRecorder, 30)
	for i := range burst {
		wg.Go(func() { burst[i] = c.signIn(fmt.Sprintf("10.2.0.%d", i), maria, "burst") })
	}
	wg.Wait()
	codes := map[int]int{}
	for _, w := range burst {
		codes[w.Code]++
	}
	if codes[http.StatusUnauthorized] != server.FreeFailures || codes[http.StatusTooManyRequests] != len(burst)-server.FreeFailures {
		t.Errorf("a burst of %d guesses answered %v; want %d checked (401) and the rest 429", len(burst), codes, server.FreeFailures)
	}
}

// The sign-in log names who signed in and from where, and who failed
// when the name is one signed in with before, never a password: a
// failed name that may be a password typed in the wrong field is
// withheld.
func TestSignInLog(t *testing.T) {
	c := mustSignInCenter(t, [2]string{maria, mariaPassword})
	c.signIn("10.0.0.10", maria, "not maria's password 6d1f")
	c.signIn("10.0.0.10", mariaPassword, mariaPassword) // the password typed in both fields
	wantSignedIn(t, "maria", c.signIn("10.0.0.10", maria, mariaPassword))
	c.signIn("10.0.0.10", maria, "another wrong one 90ab")
	log := c.log.String()
	for _, secret := range []string{mariaPassword, "not maria's password 6d1f", "another wrong one 90ab"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q:\n%s", secret, log)
		}
	}
	for _, want := range []string{
		`"level":"WARN","msg":"sign-in failed","name":"(withheld`,
		`"level":"INFO","msg":"organizer signed in","name":"maria","remote":"10.0.0.10:40000"`,
		`"level":"WARN","msg":"sign-in failed","name":"maria","remote":"10.0.0.10:40000"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log has no %s:\n%s", want, log)
		}
	}
}
