package app

import "time"

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
