package checkin

import (
	"slices"
	"unicode/utf8"
)

// Person is someone on the roster. Everyone counts toward occupancy,
// whatever their category.
type Person struct {
	ID       string // the roster's own id (external id)
	Name     string
	Company  string
	Email    string
	Category string
	Tags     []string
	Code     string // the badge code the roster gives this person
	Serial   uint32 // the current badge serial: signed badges with a lower one are revoked
	// Revoked says why this person's ticket is not valid ("refunded
	// ticket", "unpaid order"), as the ticketing system's export or API
	// reported it; "" while it is valid. Every credential of theirs is
	// then denied entry with reason revoked and this text, and lets them
	// out. A later roster where the ticket is valid again clears it.
	Revoked string
}

// Equal reports whether p and q say the same of a person: every field
// but ID, which the stores have matched already when they ask (a stored
// person and a roster's row of the same id). A roster row Equal to the
// stored person changes nothing and is counted unchanged.
func (p Person) Equal(q Person) bool {
	return p.Name == q.Name && p.Company == q.Company && p.Email == q.Email && p.Category == q.Category &&
		p.Code == q.Code && p.Serial == q.Serial && p.Revoked == q.Revoked && slices.Equal(p.Tags, q.Tags)
}

// Badge is what a scanned code resolves to: the person it belongs to
// (nil when the code is on no roster) and whether it has been revoked
// (replaced by a reprint, or the person removed from the roster).
type Badge struct {
	Person  *Person
	Revoked bool
	// Problem is set for a signed badge that is not good: forged_badge,
	// unknown_key, wrong_event, expired_badge, badge_not_yet_valid, or
	// not_entitled for a category the event does not let in.
	Problem Reason
}

// MaxCodeLen bounds a badge code. Scanners type codes of a few dozen
// characters; anything far longer is a misread or a paste, not a badge.
const MaxCodeLen = 256

// PlausibleCode reports whether s could be a badge code: non-empty,
// bounded, valid UTF-8, printable and without spaces at either end.
func PlausibleCode(s string) bool {
	if s == "" || len(s) > MaxCodeLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return false
		}
	}
	return s[0] != ' ' && s[len(s)-1] != ' '
}

// Revocation revokes a person's signed badges of Serial and below (a
// lost or stolen badge and the ones it replaced), or with Serial
// badge.AllSerials the person: every credential of theirs.
type Revocation struct {
	PersonID string
	Serial   uint32
}

// Printable reports whether s is valid UTF-8 without control characters:
// what an id, a name or a tag may be.
func Printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
