package app

import (
	"fmt"
	"time"
)

// PIN lockout: after maxTries wrong PINs in a row staff mode locks for
// firstLock, and each further lockout lasts twice as long as the last.
const (
	maxTries  = 5
	firstLock = time.Minute
)

type lockout struct {
	fails    int
	lockouts int
	until    time.Time
}

// remaining returns how long the lock still holds at now, or 0.
func (l *lockout) remaining(now time.Time) time.Duration {
	if now.Before(l.until) {
		return l.until.Sub(now)
	}
	return 0
}

// fail records a wrong PIN and reports how many tries are left before a
// lockout (0 means it has just locked).
func (l *lockout) fail(now time.Time) int {
	l.fails++
	if l.fails < maxTries {
		return maxTries - l.fails
	}
	l.fails = 0
	l.until = now.Add(firstLock << l.lockouts)
	l.lockouts++
	return 0
}

// succeed resets the count after a right PIN.
func (l *lockout) succeed() { l.fails, l.lockouts = 0, 0 }

// String encodes the lockout for the kiosk's settings, so restarting the
// kiosk does not clear it.
func (l *lockout) String() string {
	return fmt.Sprintf("%d %d %d", l.fails, l.lockouts, l.until.UnixMilli())
}

// parse restores a lockout saved by String; anything else leaves l as it
// is.
func (l *lockout) parse(s string) {
	var fails, lockouts int
	var until int64
	if n, _ := fmt.Sscanf(s, "%d %d %d", &fails, &lockouts, &until); n == 3 && fails >= 0 && lockouts >= 0 && lockouts < 32 {
		l.fails, l.lockouts, l.until = fails, lockouts, time.UnixMilli(until)
	}
}
