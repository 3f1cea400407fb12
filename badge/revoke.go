package badge

import (
	"math"

	"usher/checkin"
)

// AllSerials, as a revocation's serial, revokes the person: every signed
// badge of theirs whatever its serial, printed or still to be printed,
// and with them their roster code and their admission by name. A
// revocation file writes it "*" or "all" (roster.ReadRevocations).
//
// Any other serial revokes the person's signed badges of that serial
// and below: the badge lost and the older ones it had replaced. Serial
// 0 revokes nothing printed (Code prints serial 1 and up), so
// CheckRevocations refuses it rather than let it revoke nothing.
//
// AllSerials is the largest serial, so "that serial and below" covers
// every badge; on the wire it is the number 4294967295. A kiosk too old
// to know it revokes only a badge of exactly that serial.
const AllSerials = math.MaxUint32

// RevokesPerson reports whether r revokes every credential of its
// person: roster code, signed badges and admission by name.
func RevokesPerson(r checkin.Revocation) bool { return r.Serial == AllSerials }

// Revokes reports whether r revokes person's signed badge of serial.
func Revokes(r checkin.Revocation, person string, serial uint32) bool {
	return r.PersonID == person && serial <= r.Serial
}

// CheckRevocations refuses, with EINVALID, a revocation that names
// nobody, or serial 0: no printed badge has it, so it would revoke
// nothing while the list said it did.
func CheckRevocations(revoked []checkin.Revocation) error {
	for _, r := range revoked {
		switch {
		case r.PersonID == "":
			return checkin.Errorf(checkin.EINVALID, "a revocation names no person")
		case r.Serial == 0:
			return checkin.Errorf(checkin.EINVALID,
				"the revocation of %s has serial 0, which is on no printed badge: revoke serial 1 and up, or the person (every serial)", r.PersonID)
		}
	}
	return nil
}
