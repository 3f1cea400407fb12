package server

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Throttle holds back clients that keep failing to prove who they are:
// wrong kiosk tokens and enrollment codes here, wrong passwords at the
// dashboard's sign-in. Each key (an address, an organizer's name) may
// fail FreeFailures times; from then on every failure shuts it for
// FirstDelay, doubled at each further failure up to MaxDelay. A success
// clears the key; a key that has not failed for Forget starts afresh.
// It keeps at most MaxKeys keys, dropping those that failed longest ago,
// so a flood of new addresses costs memory only up to that bound.
type Throttle struct {
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*list.Element // of *held
	lru  list.List                // most recent failure first
}

// The throttle's policy. A person who mistypes a password three times
// waits a second; a script guessing all day waits MaxDelay between tries.
const (
	FreeFailures = 3
	FirstDelay   = time.Second
	MaxDelay     = 4 * time.Minute
	Forget       = 15 * time.Minute
	MaxKeys      = 10_000
)

// held is one key's record.
type held struct {
	key   string
	fails int
	last  time.Time // of the latest failure
	until time.Time // shut until then
}

// NewThrottle returns a throttle on clock now: the center's clock
// (centralstore.DB.Now), which tests move.
func NewThrottle(now func() time.Time) *Throttle {
	return &Throttle{now: now, keys: map[string]*list.Element{}}
}

// Wait returns how long the first shut key of keys stays shut, 0 when
// none is.
func (t *Throttle) Wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.wait(t.now(), keys)
}

func (t *Throttle) wait(now time.Time, keys []string) time.Duration {
	var d time.Duration
	for _, k := range keys {
		if e, ok := t.keys[k]; ok {
			d = max(d, e.Value.(*held).until.Sub(now))
		}
	}
	return d
}

// Fail records a failure of each key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail(t.now(), keys)
}

func (t *Throttle) fail(now time.Time, keys []string) {
	for _, k := range keys {
		e, ok := t.keys[k]
		if !ok {
			if t.lru.Len() >= MaxKeys {
				t.drop(t.lru.Back())
			}
			e = t.lru.PushFront(&held{key: k})
			t.keys[k] = e
		}
		h := e.Value.(*held)
		if now.Sub(h.last) > Forget {
			h.fails = 0
		}
		h.fails++
		h.last = now
		if n := h.fails - FreeFailures; n >= 0 {
			d := MaxDelay
			if n < 16 {
				d = min(FirstDelay<<n, MaxDelay)
			}
			h.until = now.Add(d)
		}
		t.lru.MoveToFront(e)
	}
	// What failed longest ago goes first: it holds nobody back now.
	for b := t.lru.Back(); b != nil; b = t.lru.Back() {
		h := b.Value.(*held)
		if now.Sub(h.last) <= Forget || h.until.After(now) {
			break
		}
		t.drop(b)
	}
}

func (t *Throttle) drop(e *list.Element) {
	delete(t.keys, e.Value.(*held).key)
	t.lru.Remove(e)
}

// Attempt is Wait and, when no key is shut, Fail, in one step: the
// attempt counts as failed until Succeed clears it, so that a burst of
// parallel guesses cannot all start before the first has failed. It
// returns the wait when a key is shut (and records nothing).
func (t *Throttle) Attempt(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if d := t.wait(now, keys); d > 0 {
		return d
	}
	t.fail(now, keys)
	return 0
}

// Succeed clears each key's failures.
func (t *Throttle) Succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if e, ok := t.keys[k]; ok {
			t.drop(e)
		}
	}
}

// Len returns how many keys the throttle keeps.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}

// RemoteHost is the address r's connection came from, to throttle by:
// never a header the client writes, such as X-Forwarded-For. An IPv6
// address stands for its /64, which one client commonly holds whole.
func RemoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// RetryAfter is d as the whole seconds of a Retry-After header, rounded
// up so a client that waits that long is let in.
func RetryAfter(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
