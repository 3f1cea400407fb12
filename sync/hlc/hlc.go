// Package hlc is a hybrid logical clock (Kulkarni et al., 2014): a
// timestamp that follows physical time where clocks agree, never goes
// backwards, and still orders events across kiosks whose clocks are
// skewed. A timestamp packs milliseconds since the Unix epoch in its high
// 48 bits and a logical counter in its low 16.
package hlc

import (
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock reading.
type Timestamp uint64

const logicalBits = 16

// Make builds a timestamp from wall time and a logical counter.
func Make(t time.Time, logical uint16) Timestamp {
	return Timestamp(uint64(t.UnixMilli())<<logicalBits | uint64(logical))
}

// Time returns the timestamp's physical part.
func (ts Timestamp) Time() time.Time { return time.UnixMilli(int64(ts >> logicalBits)) }

// Logical returns the timestamp's logical counter.
func (ts Timestamp) Logical() uint16 { return uint16(ts) }

// Clock issues timestamps. The zero Clock is not ready: use New.
type Clock struct {
	mu   sync.Mutex
	now  func() time.Time
	last Timestamp
}

// New returns a clock reading now (time.Now when nil), that will never
// issue a timestamp at or below last (the newest one already issued,
// read back from a log after a restart).
func New(now func() time.Time, last Timestamp) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now, last: last}
}

// Now issues a timestamp for a local event: the wall clock if it is ahead
// of every timestamp seen, else the last one plus one.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tick(Make(c.now(), 0))
}

// Observe takes in a timestamp received from elsewhere, so that later
// local timestamps order after it, and returns the clock's new reading.
func (c *Clock) Observe(remote Timestamp) Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tick(max(Make(c.now(), 0), remote))
}

func (c *Clock) tick(t Timestamp) Timestamp {
	if t <= c.last {
		t = c.last + 1
	}
	c.last = t
	return t
}

// Ahead reports how far ts is ahead of now: positive when a kiosk's clock
// (or a forged timestamp) runs ahead of the server's.
func Ahead(ts Timestamp, now time.Time) time.Duration { return ts.Time().Sub(now) }
