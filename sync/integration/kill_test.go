package integration_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/wire"
)

// TestServerKilledMidPush is the third loopback test: the center
// runs as an `usher-central serve` process and is SIGKILLed twice while a
// kiosk with thousands of waiting events pushes them, each time a new
// process is started on the same database and address, and in the end
// every event is there exactly once.
//
//  1. The kill comes while the second batch is on the wire (half its
//     body sent), after the first was acknowledged: the center keeps the
//     first batch and nothing of the second.
//  2. After a restart, the kill comes after the center stored the batch
//     but before the kiosk read the answer: the kiosk must send the
//     batch again, and the center must not store it twice.
//
// The kills are placed by the kiosk's own transport, which tells the test
// what is on the wire: no sleeping, no guessing.
func TestServerKilledMidPush(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		c := MustCenter(t, dsn, 60)
		proc := MustStartCentral(t, dsn, "127.0.0.1:0")
		tp := &tap{base: &http.Transport{}}
		hc := newClient(t, tp)
		kiosk := MustEnroll(t, c.MustCode(t, proc.url, "main"), hc)

		n := 3*wire.MaxPushEvents + 456
		for i := range n {
			code := fmt.Sprintf("U-NOSUCH%06d", i)
			dir := checkin.Entry
			if i%3 != 0 {
				p := c.people[i%len(c.people)]
				code = p.Code
				if i%2 == 0 {
					dir = checkin.Exit
				}
			}
			MustScan(t, kiosk, code, "main", dir)
		}
		// The log holds the grant of the kiosk's first rights, from its
		// enrollment, and then the n scans: the first batch carries the
		// grant, so whatever waits after it is scans.
		logged := n + 1
		if kl := MustKioskLog(t, kiosk); len(kl) != logged || !isRights(kl[0]) || countScans(kl) != n {
			t.Fatalf("the kiosk logged %d events, %d of them scans; want %d: its first grant, then %d scans", len(kl), countScans(kl), logged, n)
		}
		s := newSyncer(kiosk, hc)
		round := func() <-chan error {
			done := make(chan error, 1)
			go func() {
				_, err := s.Round(ctx)
				done <- err
			}()
			return done
		}

		// 1. Killed with the second batch half-sent.
		cut := tp.cutPush(2)
		done := round()
		awaitSignal(t, cut.reached, done, "the second push on the wire")
		if got := len(MustCentralEvents(t, dsn)); got != wire.MaxPushEvents {
			t.Errorf("the second push on the wire: the center holds %d events, want the first batch (%d)", got, wire.MaxPushEvents)
		}
		mustWaiting(t, kiosk, logged-wire.MaxPushEvents, "the second push on the wire")
		proc.Kill(t)
		close(cut.release)
		wantCode(t, "the round the kill cut", <-done, checkin.EOFFLINE)
		hc.CloseIdleConnections()
		if got := len(MustCentralEvents(t, dsn)); got != wire.MaxPushEvents {
			t.Errorf("after the kill: the center holds %d events, want the first batch (%d)", got, wire.MaxPushEvents)
		}
		mustWaiting(t, kiosk, logged-wire.MaxPushEvents, "after the kill")
		if st := s.Status(); st.Online || st.Waiting != logged-wire.MaxPushEvents {
			t.Errorf("after the kill: status %+v, want offline with %d waiting", st, logged-wire.MaxPushEvents)
		}

		// 2. A new server on the same address; killed after storing the
		// next batch, before the kiosk read the answer.
		proc = MustStartCentral(t, dsn, proc.addr)
		lost := tp.losePushAnswer(3)
		done = round()
		awaitSignal(t, lost.reached, done, "the third push answered")
		if got := len(MustCentralEvents(t, dsn)); got != 2*wire.MaxPushEvents {
			t.Errorf("the third push answered: the center holds %d events, want two batches (%d)", got, 2*wire.MaxPushEvents)
		}
		proc.Kill(t)
		close(lost.release)
		wantCode(t, "the round whose answer was lost", <-done, checkin.EOFFLINE)
		hc.CloseIdleConnections()
		mustWaiting(t, kiosk, logged-wire.MaxPushEvents, "after the lost answer")

		// 3. Back for good: the rest goes up, the batch whose answer was
		// lost as duplicates.
		proc = MustStartCentral(t, dsn, proc.addr)
		res := MustRound(t, "after the restarts", s)
		// The round ends by giving back what the kiosk holds above its
		// share of the venue (it has admitted people since its first
		// grant): a rights row, pushed in its own request.
		returned := len(MustKioskLog(t, kiosk)) - logged
		if returned != 1 || !isRights(MustKioskLog(t, kiosk)[logged]) {
			t.Errorf("after the restarts: %d rows logged after the scans, want one rights row", returned)
		}
		logged += returned
		if res.Pushed != logged-wire.MaxPushEvents || res.Accepted != logged-2*wire.MaxPushEvents {
			t.Errorf("after the restarts: %+v, want %d sent, %d of them new", res, logged-wire.MaxPushEvents, logged-2*wire.MaxPushEvents)
		}
		mustWaiting(t, kiosk, 0, "after the restarts")
		if st := s.Status(); !st.Online || st.Waiting != 0 {
			t.Errorf("after the restarts: status %+v, want online", st)
		}
		CheckCenterHolds(t, c, []*store.DB{kiosk})
		if res := MustRound(t, "once more", s); res.Pushed != 0 {
			t.Errorf("once more: %+v, want nothing sent", res)
		}
		if got := tp.pushes(); got != 1+1+1+3+1 {
			t.Errorf("%d push requests, want 7: one acknowledged, one cut, one whose answer was lost, three after, one of the rights given back", got)
		}
	})
}

// awaitSignal waits until the tap reached the point the test acts at, or
// fails when the round ended first or nothing happened for a minute.
func awaitSignal(tb testing.TB, reached <-chan struct{}, done <-chan error, what string) {
	tb.Helper()
	select {
	case <-reached:
	case err := <-done:
		tb.Fatalf("%s: the round ended first: %v", what, err)
	case <-time.After(time.Minute):
		tb.Fatalf("%s: not reached in a minute", what)
	}
}

func mustWaiting(tb testing.TB, db *store.DB, want int, what string) {
	tb.Helper()
	n, err := db.Waiting(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if n != want {
		tb.Errorf("%s: the kiosk counts %d scans waiting, want %d", what, n, want)
	}
}

// tap is the kiosk's transport, which holds one chosen push at a chosen
// point on the wire until the test has acted: half its body sent, or its
// answer received but not yet handed to the kiosk.
type tap struct {
	base *http.Transport

	mu     sync.Mutex
	n      int // push requests so far
	target int // the push to hold, counting from 1
	hold   *hold
	lose   bool // hold the answer (and then lose it) rather than the body
}

// hold is one held push: reached is closed when it is at its point,
// release lets it go on (to fail).
type hold struct {
	reached, release chan struct{}
}

var errKilled = errors.New("the server was killed")

func (t *tap) arm(n int, lose bool) *hold {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.target, t.lose = n, lose
	t.hold = &hold{reached: make(chan struct{}), release: make(chan struct{})}
	return t.hold
}

// cutPush holds push n with half its body sent; released, the body ends
// in an error.
func (t *tap) cutPush(n int) *hold { return t.arm(n, false) }

// losePushAnswer holds push n's answer; released, the kiosk gets an error
// instead, as when the server dies before its answer leaves.
func (t *tap) losePushAnswer(n int) *hold { return t.arm(n, true) }

func (t *tap) pushes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

func (t *tap) CloseIdleConnections() { t.base.CloseIdleConnections() }

func (t *tap) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path != wire.PathPush {
		return t.base.RoundTrip(req)
	}
	t.mu.Lock()
	t.n++
	var h *hold
	if t.n == t.target {
		h = t.hold
	}
	lose := t.lose
	t.mu.Unlock()
	switch {
	case h == nil:
		return t.base.RoundTrip(req)
	case lose:
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("the held push failed by itself: %d, %v", resp.StatusCode, err)
		}
		close(h.reached)
		<-h.release
		return nil, errKilled
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	cut := req.Clone(req.Context())
	cut.Body, cut.GetBody, cut.ContentLength = pr, nil, int64(len(body))
	go func() {
		// The write returns once the transport has taken the half.
		pw.Write(body[:len(body)/2])
		close(h.reached)
		<-h.release
		pw.CloseWithError(errKilled)
	}()
	return t.base.RoundTrip(cut)
}
