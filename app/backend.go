// Package app is the kiosk's screen (Fyne): the scan view door staff
// live in, name search for a forgotten badge, and the PIN-guarded staff
// mode. It runs no SQL and no HTTP: everything goes through Backend.
package app

import (
	"context"
	"time"

	"usher/checkin"
)

// Backend is what the screen needs of the kiosk's database. The store
// implements it; every decision it returns is already durable.
type Backend interface {
	Event() *checkin.Event
	Occupancy() map[string]int
	// PresenceAge is when the center last counted the spaces (its clock):
	// an enrolled kiosk's Occupancy is that figure plus this kiosk's own
	// moves since. ok is false when there is no such figure (a standalone
	// kiosk, or one not yet pulled), whose Occupancy is its own count.
	PresenceAge() (at time.Time, ok bool)
	Refresh(ctx context.Context) error // catch up with other processes' scans
	// DataVersion is a number that changes whenever anything is committed
	// to the kiosk's database, by this kiosk or another process: the
	// screen catches up (Refresh, Standing) only when it moved. Returns
	// an error only when the database cannot be read.
	DataVersion(ctx context.Context) (int64, error)
	Location(personID string) string
	Scan(ctx context.Context, scan checkin.Scan) (checkin.Decision, error)
	Adjust(ctx context.Context, door string, delta int, note string) (checkin.Decision, error)
	Undo(ctx context.Context, door string, within time.Duration) (checkin.Decision, error)
	Search(ctx context.Context, query string, limit int) ([]checkin.Person, error)
	// Identify says whose code is, as a scan would, recording nothing (a
	// badge desk prints rather than admits).
	Identify(ctx context.Context, code string) (checkin.Badge, error)
	// Recent is the last n decisions at door, newest first, read from the
	// log (so the same after a restart); capacity-rights rows left out.
	// Returns an error only when the log cannot be read.
	Recent(ctx context.Context, door string, n int) ([]recentScan, error)
	// DoorToday counts the admissions (in) and exits (out) at door since
	// since, leaving out scans an undo took back. Returns an error only
	// when the log cannot be read.
	DoorToday(ctx context.Context, door string, since time.Time) (in, out int, err error)
	HasPIN(ctx context.Context) (bool, error)
	SetPIN(ctx context.Context, pin string) error
	CheckPIN(ctx context.Context, pin string) (bool, error)
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
	// Standing is how the center regards this kiosk: enrolled for which
	// door, revoked, its log forked; the zero Standing when standalone.
	Standing(ctx context.Context) (checkin.Standing, error)
}
