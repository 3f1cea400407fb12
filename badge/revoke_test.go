package badge_test

import (
	"testing"

	"usher/badge"
	"usher/checkin"
)

// TestRevokes: a revocation of a serial revokes that serial and below
// of its person only; one of badge.AllSerials revokes every serial and
// the person.
func TestRevokes(t *testing.T) {
	lost := checkin.Revocation{PersonID: "P1", Serial: 2}
	whole := checkin.Revocation{PersonID: "P1", Serial: badge.AllSerials}
	for _, c := range []struct {
		name   string
		r      checkin.Revocation
		person string
		serial uint32
		want   bool
	}{
		{"SerialItself", lost, "P1", 2, true},
		{"OlderSerial", lost, "P1", 1, true},
		{"NewerSerial", lost, "P1", 3, false},
		{"OtherPerson", lost, "P2", 1, false},
		{"PersonFirstSerial", whole, "P1", 1, true},
		{"PersonLastSerial", whole, "P1", badge.AllSerials, true},
		{"PersonOtherPerson", whole, "P2", 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := badge.Revokes(c.r, c.person, c.serial); got != c.want {
				t.Errorf("Revokes(%+v, %s, %d) = %v, want %v", c.r, c.person, c.serial, got, c.want)
			}
		})
	}
	if badge.RevokesPerson(lost) || !badge.RevokesPerson(whole) {
		t.Error("RevokesPerson: only a revocation of every serial revokes the person")
	}
}

// TestCheckRevocations: a list is refused for a revocation of serial 0,
// which revokes no printed badge, or of nobody.
func TestCheckRevocations(t *testing.T) {
	for _, c := range []struct {
		name string
		list []checkin.Revocation
		want string
	}{
		{"OK", []checkin.Revocation{{PersonID: "P1", Serial: 1}, {PersonID: "P2", Serial: badge.AllSerials}}, ""},
		{"Empty", nil, ""},
		{"ErrSerialZero", []checkin.Revocation{{PersonID: "P1", Serial: 1}, {PersonID: "P2", Serial: 0}}, checkin.EINVALID},
		{"ErrNobody", []checkin.Revocation{{Serial: 3}}, checkin.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := checkin.ErrorCode(badge.CheckRevocations(c.list)); got != c.want {
				t.Errorf("CheckRevocations(%+v): code %q, want %q", c.list, got, c.want)
			}
		})
	}
}
