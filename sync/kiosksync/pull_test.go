package kiosksync_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/kiosksync"
	"usher/sync/wire"
)

// breaker bounds every wait of these tests on the kiosk or the server:
// reached, it means the kiosk hung, not that it was slow.
const breaker = time.Minute

// holdAtMost bounds how long a test holds a kiosk's write lock waiting
// for a request that a kiosk which does not ask ahead never sends: under
// the kiosk's busy_timeout (5 s), so its transaction then goes on and
// the test fails on what it checks rather than on a busy database.
const holdAtMost = 2 * time.Second

// The enrollment these tests watch: four pages of pageSize people (the
// center cuts them short), the last one partly full.
const (
	pullPages = 4
	pageSize  = 40
)

// relay answers a pull request with the center's own answer, changed by
// edit when it is not nil, and returns the page it sent.
func (c *center) relay(tb testing.TB, w http.ResponseWriter, r *http.Request, edit func(*wire.PullResponse)) wire.PullResponse {
	r = r.Clone(r.Context())
	r.Header.Del("Accept-Encoding") // plain JSON, to read
	rec := httptest.NewRecorder()
	c.api.ServeHTTP(rec, r)
	var page wire.PullResponse
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil {
		tb.Errorf("the center answered a pull %d: %s", rec.Code, rec.Body)
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return page
	}
	body := rec.Body.Bytes()
	if edit != nil {
		edit(&page)
		body, _ = json.Marshal(page)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
	return page
}

// pullAsked is one pull request as the center saw it.
type pullAsked struct {
	from   int64 // the cursor asked from
	stored int64 // the kiosk's stored cursor when the request came
	answer wire.PullResponse
}

// kioskFile is a fresh kiosk database and its file, for a second
// connection that holds its write lock.
func kioskFile(tb testing.TB) (*store.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "kiosk.db")
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

// writeLock holds a kiosk database's write lock from another connection,
// as a second process writing would: the kiosk's next transaction waits
// (busy_timeout) until release. Releasing twice is harmless.
func writeLock(tb testing.TB, path string) (release func()) {
	tb.Helper()
	sdb, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := sdb.Conn(context.Background())
	if err == nil {
		_, err = conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`)
	}
	if err != nil {
		sdb.Close()
		tb.Fatalf("hold the kiosk's write lock: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), `ROLLBACK`)
			conn.Close()
			sdb.Close()
		})
	}
	tb.Cleanup(release)
	return release
}

// mustCursor returns a kiosk's stored pull cursor.
func mustCursor(tb testing.TB, db *store.DB) int64 {
	tb.Helper()
	cur, err := db.Cursor(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return cur
}

// fromOf is the cursor a pull request asks from.
func fromOf(tb testing.TB, r *http.Request) int64 {
	tb.Helper()
	from, err := strconv.ParseInt(r.URL.Query().Get("cursor"), 10, 64)
	if err != nil {
		tb.Errorf("pull request %s: %v", r.URL, err)
	}
	return from
}

// enrollAsync enrolls db at door main in the background, over hc (the
// center's client when nil); the channel gives Enroll's error.
func (c *center) enrollAsync(ctx context.Context, tb testing.TB, db *store.DB, hc *http.Client) <-chan error {
	code := c.MustCode(tb, "main")
	if hc == nil {
		hc = c.client
	}
	done := make(chan error, 1)
	go func() { done <- kiosksync.Enroll(ctx, db, code, hc) }()
	return done
}

// linger is how long a lingering request takes to end once cancelled.
const linger = 300 * time.Millisecond

// lingering is a transport whose requests, once cancelled, take linger
// more to end, as on a slow network: a pull that returned without
// waiting for the page it asked ahead would leave its fetch running, for
// noFetchLeft to find.
type lingering struct{ http.RoundTripper }

func (l lingering) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.RoundTripper.RoundTrip(r)
	if r.Context().Err() != nil {
		time.Sleep(linger)
	}
	return resp, err
}

// lingeringClient is the center's client with a lingering transport.
func (c *center) lingeringClient() *http.Client {
	return &http.Client{Transport: lingering{c.client.Transport}, Timeout: c.client.Timeout}
}

// mustReturn waits for Enroll's error: a kiosk that does not return has
// hung.
func mustReturn(tb testing.TB, done <-chan error) error {
	tb.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(breaker):
		tb.Fatalf("Enroll has not returned after %s", breaker)
		return nil
	}
}

// noFetchLeft fails when a page fetch of the pull still runs: a pull
// that returned waits for the one it asked ahead.
func noFetchLeft(tb testing.TB) {
	tb.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		// One in runtime.goexit1 has sent its page and is on its way out.
		if bytes.Contains(g, []byte("created by usher/sync/kiosksync.pull ")) && !bytes.Contains(g, []byte("runtime.goexit1(")) {
			tb.Errorf("a page fetch outlived the pull:\n%s", g)
		}
	}
}

// mustAnswer waits for what a hook found.
func mustAnswer(tb testing.TB, found <-chan bool) bool {
	tb.Helper()
	select {
	case ok := <-found:
		return ok
	case <-time.After(2 * breaker):
		tb.Fatalf("the server's hook has not returned after %s", 2*breaker)
		return false
	}
}

// waitCancelled blocks a request's answer until the kiosk gives up on it,
// and reports whether it did.
func waitCancelled(r *http.Request) bool {
	select {
	case <-r.Context().Done():
		return true
	case <-time.After(breaker):
		return false
	}
}

// TestEnrollPullAhead checks an enrolling kiosk's pull, which asks for
// each page while it applies the one before: pages are still applied in
// order, each with its cursor; a failed page stops the pull with the
// pages before it applied and nothing after, a failed apply or a
// cancelled context stops the request in flight, and nothing of the pull
// runs on after it returns.
func TestEnrollPullAhead(t *testing.T) {
	ctx := context.Background()
	n := (pullPages-1)*pageSize + 17
	c := MustCenter(t, n)
	c.MaxPage(pageSize)
	// rosterAt counts the people a kiosk holds.
	rosterAt := func(db *store.DB) int {
		return MustCount(t, db, `SELECT count(*) FROM people WHERE removed = 0`)
	}

	t.Run("PagesInOrder", func(t *testing.T) {
		db, path := kioskFile(t)
		var (
			mu      sync.Mutex
			asked   []pullAsked
			release func()
		)
		c.OnPull(func(i int, w http.ResponseWriter, r *http.Request) bool {
			a := pullAsked{from: fromOf(t, r), stored: mustCursor(t, db)}
			switch i {
			case 1:
				// Page 1 cannot be applied until page 2 is asked for:
				// the kiosk must ask while it applies.
				mu.Lock()
				release = writeLock(t, path)
				time.AfterFunc(holdAtMost, release)
				mu.Unlock()
			case 2:
				mu.Lock()
				release()
				mu.Unlock()
			}
			a.answer = c.relay(t, w, r, nil)
			mu.Lock()
			asked = append(asked, a)
			mu.Unlock()
			return true
		})
		defer c.OnPull(nil)
		if err := mustReturn(t, c.enrollAsync(ctx, t, db, nil)); err != nil {
			t.Fatalf("Enroll: %v", err)
		}
		noFetchLeft(t)
		mu.Lock()
		defer mu.Unlock()
		if len(asked) != pullPages {
			t.Fatalf("%d pull requests, want %d pages", len(asked), pullPages)
		}
		if asked[1].stored != 0 {
			t.Errorf("page 2 asked for with the kiosk's cursor at %d: after page 1 was applied, not while", asked[1].stored)
		}
		var prev int64
		for i, a := range asked {
			if a.from != prev {
				t.Errorf("request %d asks from cursor %d, want %d: the cursor of the page before", i+1, a.from, prev)
			}
			if a.stored > a.from {
				t.Errorf("request %d asks from cursor %d with the kiosk's cursor at %d, past it", i+1, a.from, a.stored)
			}
			if more := i < pullPages-1; a.answer.More != more || len(a.answer.People) == 0 {
				t.Errorf("page %d: more %v with %d people, want more %v", i+1, a.answer.More, len(a.answer.People), more)
			}
			prev = a.answer.Cursor
		}
		if got := mustCursor(t, db); got != prev {
			t.Errorf("the kiosk's cursor %d after enrolling, want the last page's %d", got, prev)
		}
		if got := rosterAt(db); got != n {
			t.Errorf("%d people after enrolling, want %d", got, n)
		}
	})

	for _, fail := range []struct {
		name string
		do   func(w http.ResponseWriter)
	}{
		{"HTTP500", func(w http.ResponseWriter) { http.Error(w, "the center failed", http.StatusInternalServerError) }},
		{"ConnectionDropped", func(w http.ResponseWriter) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			conn.Close()
		}},
	} {
		t.Run("Page3"+fail.name, func(t *testing.T) {
			db, _ := kioskFile(t)
			var (
				mu    sync.Mutex
				page2 int64 // the cursor page 3 is asked from
			)
			// From page 3 on, every request fails: the client's transport
			// sends a GET again once when a reused connection drops.
			c.OnPull(func(i int, w http.ResponseWriter, r *http.Request) bool {
				if i < 3 {
					return false
				}
				if i == 3 {
					mu.Lock()
					page2 = fromOf(t, r)
					mu.Unlock()
				}
				fail.do(w)
				return true
			})
			err := mustReturn(t, c.enrollAsync(ctx, t, db, nil))
			c.OnPull(nil)
			noFetchLeft(t)
			wantCode(t, "a center failing on page 3", err, checkin.EOFFLINE)
			if !MustID(t, db).Enrolled() {
				t.Fatalf("not enrolled after a failed first pull")
			}
			mu.Lock()
			defer mu.Unlock()
			if got := mustCursor(t, db); page2 == 0 || got != page2 {
				t.Errorf("the kiosk's cursor %d after page 3 failed, want page 2's %d", got, page2)
			}
			if got := rosterAt(db); got != 2*pageSize {
				t.Errorf("%d people after page 3 failed, want pages 1 and 2's %d", got, 2*pageSize)
			}
			// The next round finishes the pull.
			if err := c.syncer(db, time.Now()).Sync(ctx); err != nil {
				t.Fatalf("the round after the failed enrollment: %v", err)
			}
			if got := rosterAt(db); got != n {
				t.Errorf("%d people after the next round, want %d", got, n)
			}
			if rest, err := c.db.Pull(ctx, "", mustCursor(t, db), 10); err != nil || rest.More || len(rest.People) > 0 {
				t.Errorf("the center has more after the kiosk's cursor: %+v, %v", rest, err)
			}
		})
	}

	t.Run("ApplyFails", func(t *testing.T) {
		// Page 2 is one the kiosk refuses; page 3, asked for meanwhile,
		// is in flight when it does.
		db, path := kioskFile(t)
		var (
			mu      sync.Mutex
			page1   int64
			release func()
			asked3  bool
		)
		cancelled := make(chan bool, 1) // page 3's request given up by the kiosk
		c.OnPull(func(i int, w http.ResponseWriter, r *http.Request) bool {
			switch i {
			case 2:
				mu.Lock()
				page1 = fromOf(t, r)
				// Page 2 cannot be refused before page 3 is asked for.
				release = writeLock(t, path)
				time.AfterFunc(holdAtMost, release)
				mu.Unlock()
				c.relay(t, w, r, func(p *wire.PullResponse) { p.People[0].Category = "no-such-category" })
				return true
			case 3:
				mu.Lock()
				asked3 = true
				release()
				mu.Unlock()
				cancelled <- waitCancelled(r)
				return true
			}
			return false
		})
		defer c.OnPull(nil)
		err := mustReturn(t, c.enrollAsync(ctx, t, db, c.lingeringClient()))
		noFetchLeft(t)
		wantCode(t, "a page the kiosk refuses", err, checkin.EINVALID)
		if !strings.Contains(checkin.ErrorMessage(err), "no-such-category") {
			t.Errorf("error %q, want the refused page's reason", checkin.ErrorMessage(err))
		}
		if got := rosterAt(db); got != pageSize {
			t.Errorf("%d people after page 2 was refused, want page 1's %d", got, pageSize)
		}
		mu.Lock()
		defer mu.Unlock()
		if got := mustCursor(t, db); page1 == 0 || got != page1 {
			t.Errorf("the kiosk's cursor %d after page 2 was refused, want page 1's %d", got, page1)
		}
		if !asked3 {
			t.Fatalf("page 3 was not asked for while page 2 was applied")
		}
		if !mustAnswer(t, cancelled) {
			t.Errorf("page 3's request was not given up when page 2 was refused")
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		db, _ := kioskFile(t)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cancelled := make(chan bool, 1) // page 2's request given up by the kiosk
		c.OnPull(func(i int, w http.ResponseWriter, r *http.Request) bool {
			if i != 2 {
				return false
			}
			cancel()
			cancelled <- waitCancelled(r)
			return true
		})
		defer c.OnPull(nil)
		err := mustReturn(t, c.enrollAsync(ctx, t, db, c.lingeringClient()))
		noFetchLeft(t)
		if err == nil {
			t.Fatalf("Enroll with its context cancelled mid-pull returned no error")
		}
		if !mustAnswer(t, cancelled) {
			t.Errorf("the request in flight was not given up when the context was cancelled")
		}
		// Page 1 was applied whole or not at all.
		switch cur, got := mustCursor(t, db), rosterAt(db); {
		case cur == 0 && got == 0:
		case cur > 0 && got == pageSize:
		default:
			t.Errorf("cursor %d with %d people after a cancelled pull, want page 1 applied whole or not at all", cur, got)
		}
	})
}
