package checkin

import "fmt"

// Standing is what a kiosk knows of how its center regards it: whether it
// is enrolled and for which door, and what the center last said of it.
// The center trusts no kiosk: it believes only the events it can check,
// and a kiosk it no longer trusts at all must stop admitting on rights
// it can no longer be sure of.
type Standing struct {
	Enrolled bool
	Door     string // the door the center enrolled this kiosk for
	// Revoked: the center refused this kiosk's token. Every scan is a
	// denial until the kiosk is enrolled again.
	Revoked bool
	// Forked: the center holds other events under this kiosk's sequence
	// numbers: its database was restored from a backup or copied. Its
	// scans still count; it must be enrolled again.
	Forked bool
	// KeptLocal counts the scans made before this enrollment (standalone,
	// or under an earlier one) that were never sent: they stay in the
	// kiosk's log and are never sent under its new identity.
	KeptLocal int
}

// revokedMessage is what door staff are told at a revoked kiosk.
const revokedMessage = "This kiosk was revoked: admit nobody, call the organizer."

// Decide has the last word on a decision the event's rules made at this
// kiosk. At a revoked kiosk every scan and staff action becomes a denial
// with reason KioskRevoked that keeps who it was about and moves nobody:
// it is logged like any decision, so the door's record stays whole.
// Otherwise d stands.
func (s Standing) Decide(d Decision) Decision {
	if !s.Revoked {
		return d
	}
	return Decision{Kind: Deny, Reason: KioskRevoked, Message: revokedMessage, Person: d.Person, From: d.From, To: d.From}
}

// KeptNote says what became of the scans made before this enrollment;
// "" when there were none.
func (s Standing) KeptNote() string {
	switch s.KeptLocal {
	case 0:
		return ""
	case 1:
		return "1 scan made before this enrollment stays on this kiosk and is not sent."
	default:
		return fmt.Sprintf("%d scans made before this enrollment stay on this kiosk and are not sent.", s.KeptLocal)
	}
}
