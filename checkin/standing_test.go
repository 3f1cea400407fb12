package checkin_test

import (
	"testing"

	"usher/checkin"
)

// standingCases decide a scan at a kiosk in a standing: revoked, every
// scan is a denial that moves nobody; otherwise the event's rules stand.
var standingCases = []struct {
	name     string
	standing checkin.Standing
	scan     checkin.Scan
	want     checkin.Reason
}{
	{name: "KioskRevoked", standing: checkin.Standing{Enrolled: true, Door: "main", Revoked: true},
		scan: entry("ADA-1", "main"), want: checkin.KioskRevoked},
	{name: "KioskRevokedExit", standing: checkin.Standing{Enrolled: true, Door: "main", Revoked: true},
		scan: exit("ADA-1", "main"), want: checkin.KioskRevoked},
	{name: "KioskRevokedOverride", standing: checkin.Standing{Enrolled: true, Door: "main", Revoked: true},
		scan: override(entry("ADA-1", "main")), want: checkin.KioskRevoked},
	// A forked kiosk scans as before: its scans still count.
	{name: "ForkedAdmits", standing: checkin.Standing{Enrolled: true, Door: "main", Forked: true},
		scan: entry("ADA-1", "main"), want: checkin.Admitted},
	{name: "StandaloneAdmits", scan: entry("ADA-1", "main"), want: checkin.Admitted},
}

func TestStandingDecide(t *testing.T) {
	f := MustFixture(t)
	for _, tc := range standingCases {
		t.Run(tc.name, func(t *testing.T) {
			st := checkin.NewState(f.ev)
			if tc.scan.Direction == checkin.Exit {
				st.Move("ada", "venue")
			}
			d := tc.standing.Decide(f.ev.Decide(tc.scan, f.badge(tc.scan), st))
			if d.Reason != tc.want {
				t.Fatalf("reason %s (%s), want %s", d.Reason, d.Message, tc.want)
			}
			if tc.want != checkin.KioskRevoked {
				return
			}
			if d.Kind != checkin.Deny || d.Moves() || d.Message != "This kiosk was revoked: admit nobody, call the organizer." {
				t.Errorf("decision %+v, want a denial that moves nobody and says why", d)
			}
			if d.Person == nil || d.Person.ID != "ada" {
				t.Errorf("person %+v, want Ada: the log says who came", d.Person)
			}
		})
	}
}

func TestKeptNote(t *testing.T) {
	for n, want := range map[int]string{
		0:  "",
		1:  "1 scan made before this enrollment stays on this kiosk and is not sent.",
		12: "12 scans made before this enrollment stay on this kiosk and are not sent.",
	} {
		if got := (checkin.Standing{KeptLocal: n}).KeptNote(); got != want {
			t.Errorf("KeptNote of %d: %q, want %q", n, got, want)
		}
	}
}
