package centralstore

import (
	"context"
	"sync"
	"time"
)

// Waking kiosks (GET /v1/wait, sync/PROTOCOL.md "Waking a kiosk"): a
// kiosk's loop keeps one request waiting at the center, which answers it
// as soon as there is news for that kiosk: a notice to credit a right, or
// a right to give back for a door where someone waits. The kiosk then
// syncs at once instead of at its next tick, so a place freed or held at
// one door reaches the door that needs it within a round trip. This is
// the one thing a server process keeps in memory; it is only a hurry: a
// kiosk waiting on another process learns the same at its next round.

// wakeups holds, per kiosk, a signal that stays set until the kiosk's
// next wait takes it, so news between two waits is not lost.
type wakeups struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

func (w *wakeups) of(kiosk string) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = map[string]chan struct{}{}
	}
	c := w.ch[kiosk]
	if c == nil {
		c = make(chan struct{}, 1)
		w.ch[kiosk] = c
	}
	return c
}

// Wait blocks until there is news for kiosk, at most d or until ctx
// ends, and reports whether there is.
func (db *DB) Wait(ctx context.Context, kiosk string, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-db.wakeups.of(kiosk):
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// wake tells each kiosk there is news for it, after the transaction that
// made the news has committed.
func (db *DB) wake(kiosks []string) {
	for _, k := range kiosks {
		select {
		case db.wakeups.of(k) <- struct{}{}:
		default: // already set
		}
		if db.Woken != nil {
			db.Woken(k)
		}
	}
}
