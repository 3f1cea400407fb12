package checkin

// Conflicts the center finds merging the kiosks' logs: what no single
// kiosk could see. They are reported, never rewritten (docs/design.md
// "Sync"). centralstore lists them beside those it finds of its own
// (claims it refused, implausible stamps, forked logs).
const (
	// DoubleAdmission: admitted into an anti-passback space while already
	// inside it by another door's scan (a kiosk was offline).
	DoubleAdmission = "double_admission"
	// ExitWithoutAdmission: an exit of someone no kiosk recorded inside.
	ExitWithoutAdmission = "exit_without_admission"
	// RevokedAdmitted: admitted on a badge revoked, or a person removed,
	// before the scan.
	RevokedAdmitted = "revoked_admitted"
)

// MergedEvent is one event of the merged log, as the conflict rules
// read it.
type MergedEvent struct {
	Person   string // "" for a headcount change
	Code     string // the code scanned: a roster code, a signed badge, or "" by name
	Decision Kind
	To       string // where the event moved the person
	At       int64  // when, in Unix milliseconds
	Closes   int64  // how many stays the event closed (docs/design.md "Presence")
}

// ConflictOf says which conflict, if any, m is, given the merged state
// before it; "" for none. revokedBefore reports whether an admission of
// person at at, by code, came after a revocation of that credential. In
// this order: an admission after a revocation is RevokedAdmitted; an
// admission into an anti-passback space the person is already inside is
// DoubleAdmission; an exit that closed no stay is ExitWithoutAdmission.
// An event of nobody (a headcount change) is none.
func (e *Event) ConflictOf(st *State, m MergedEvent, revokedBefore func(person, code string, at int64) bool) string {
	if m.Person == "" {
		return ""
	}
	switch m.Decision {
	case Admit:
		if revokedBefore(m.Person, m.Code, m.At) {
			return RevokedAdmitted
		}
		if s := e.Space(m.To); s != nil && s.AntiPassback && e.within(st.Location(m.Person), m.To) {
			return DoubleAdmission
		}
	case Leave:
		if m.Closes == 0 {
			return ExitWithoutAdmission
		}
	}
	return ""
}
