package checkin_test

import (
	"testing"

	"usher/checkin"
)

// TestConflictOf: the center's conflict rules over one merged event, with
// ada and bo inside the ballroom (anti-passback) and bo's badge revoked
// at 100.
func TestConflictOf(t *testing.T) {
	f := MustFixture(t)
	st := checkin.NewState(f.ev)
	st.Move("ada", "ballroom")
	st.Move("bo", "ballroom")
	revokedBefore := func(person, code string, at int64) bool { return person == "bo" && code == "BO-1" && at > 100 }
	for _, c := range []struct {
		name string
		m    checkin.MergedEvent
		want string
	}{
		{"Admitted", checkin.MergedEvent{Person: "cy", Code: "CY-1", Decision: checkin.Admit, To: "ballroom", At: 200}, ""},
		{"RevokedAdmitted", checkin.MergedEvent{Person: "bo", Code: "BO-1", Decision: checkin.Admit, To: "venue", At: 200}, checkin.RevokedAdmitted},
		{"AdmittedBeforeTheRevocation", checkin.MergedEvent{Person: "bo", Code: "BO-1", Decision: checkin.Admit, To: "venue", At: 50}, ""},
		{"DoubleAdmission", checkin.MergedEvent{Person: "ada", Code: "ADA-1", Decision: checkin.Admit, To: "ballroom", At: 200}, checkin.DoubleAdmission},
		// Inside the ballroom is inside the venue, which allows re-entry.
		{"AgainWithoutAntiPassback", checkin.MergedEvent{Person: "ada", Code: "ADA-1", Decision: checkin.Admit, To: "venue", At: 200}, ""},
		{"RevokedFirst", checkin.MergedEvent{Person: "bo", Code: "BO-1", Decision: checkin.Admit, To: "ballroom", At: 200}, checkin.RevokedAdmitted},
		{"ExitWithoutAdmission", checkin.MergedEvent{Person: "cy", Decision: checkin.Leave, To: checkin.Outside, At: 200}, checkin.ExitWithoutAdmission},
		{"ExitClosingAStay", checkin.MergedEvent{Person: "ada", Decision: checkin.Leave, To: checkin.Outside, At: 200, Closes: 1}, ""},
		{"Headcount", checkin.MergedEvent{Decision: checkin.Leave, To: checkin.Outside, At: 200}, ""},
		{"Denial", checkin.MergedEvent{Person: "bo", Code: "BO-1", Decision: checkin.Deny, To: "venue", At: 200}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := f.ev.ConflictOf(st, c.m, revokedBefore); got != c.want {
				t.Errorf("ConflictOf(%+v) = %q, want %q", c.m, got, c.want)
			}
		})
	}
}
