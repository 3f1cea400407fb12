package app

import (
	"testing"

	"usher/checkin"
	"usher/store"
)

// A kiosk the center revoked says so in place of READY, through scans
// and holds, and every scan is a logged denial, until it is enrolled
// again.
func TestRevokedScreen(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.limitByRights(doorMain, 10, 10)
	if err := h.db.MarkRevoked(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.advance(tickEvery)
	h.wantPanel(toneRevoked, "This kiosk was revoked: admit nobody, call the organizer.",
		"Every scan is denied until this kiosk is enrolled again.")
	h.scan(ada.Code)
	h.wantPanel(toneDeny, "Ada Lovelace · Attendee", "This kiosk was revoked: admit nobody, call the organizer.")
	if r := h.last(); r.Decision != "deny" || r.Reason != string(checkin.KioskRevoked) {
		t.Errorf("logged %+v", r)
	}
	if got := h.occ(venue); got != 0 {
		t.Errorf("venue occupancy %d, want 0", got)
	}
	h.advance(holdBad)
	h.wantPanel(toneRevoked, "This kiosk was revoked: admit nobody, call the organizer.",
		"Every scan is denied until this kiosk is enrolled again.")

	if err := h.db.Enroll(h.ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-again", Token: "t2",
		Door: doorMain, EventID: h.db.Event().ID}); err != nil {
		t.Fatal(err)
	}
	h.advance(tickEvery)
	h.wantReady()
}

// A kiosk whose log forked shows the alarm above the gauges and scans on
// as before.
func TestForkedAlarm(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.limitByRights(doorMain, 10, 10)
	if h.k.forked.Visible() {
		t.Fatal("the fork alarm shows before any fork")
	}
	if err := h.db.MarkForked(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.advance(tickEvery)
	const alarm = "This kiosk's log was restored or copied: enroll it again; its scans still count."
	if !h.k.forked.Visible() || h.k.forkedText.Text != alarm {
		t.Fatalf("fork alarm visible %v, %q; want %q", h.k.forked.Visible(), h.k.forkedText.Text, alarm)
	}
	h.wantReady()
	h.scan(ada.Code)
	h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace.")
	if !h.k.forked.Visible() {
		t.Error("the fork alarm went away with a scan")
	}
}

// An enrolled kiosk does not change door: the center would refuse the
// other door's scans and rights. Staff are told how to move it; one that
// was started at another door goes back to its own.
func TestChangeDoorEnrolled(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.limitByRights(doorMain, 10, 10)
	h.advance(tickEvery)
	h.unlockStaff()
	h.staffKey('6')
	if got := h.k.door.ID; got != doorMain {
		t.Errorf("door %s after Change door, want %s", got, doorMain)
	}
	h.wantPanel(toneWarn, "This kiosk is enrolled for door "+mainDoorName+".",
		"To move it, the organizer retires it at the center; then enroll it with a code for the other door.")
	if saved, _ := h.db.Setting(h.ctx, settingDoor); saved != "" && saved != doorMain {
		t.Errorf("saved door %q", saved)
	}

	h.open(Options{Door: doorBallroom})
	h.unlockStaff()
	h.staffKey('6')
	if got := h.k.door.ID; got != doorMain {
		t.Errorf("door %s after Change door at another door, want back to %s", got, doorMain)
	}
}

// Enrolling in staff mode says how many scans stay local, and moves the
// screen to the door the code is for.
func TestEnrollKeepsLocal(t *testing.T) {
	var h *harness
	h = MustKiosk(t, Options{Enroll: func(code string, done func(error)) {
		done(h.db.Enroll(h.ctx, store.Identity{URL: "http://center.invalid", KioskID: "K-1", Token: "t",
			Door: doorBallroom, EventID: h.db.Event().ID}))
	}})
	h.scan(ada.Code)
	h.advance(holdGood)
	h.scan(unknownCode)
	h.advance(holdBad)
	h.unlockStaff()
	h.wedge("USHER-ENROLL:eyJ1cmwiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAifQ")
	h.wantPanel(toneAdmit, "Enrolled", "2 scans made before this enrollment stay on this kiosk and are not sent.")
	if got := h.k.door.ID; got != doorBallroom {
		t.Errorf("door %s after enrolling for %s", got, doorBallroom)
	}
}
