package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/checkin"
	"usher/demo"
)

// Someone who forgot their badge is found by name and admitted with a
// reason: logged as a manual admission and counted like any other.
func TestSearchAndAdmit(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF3)
	if !h.k.search.box.Visible() {
		t.Fatal("F3 did not open the name search")
	}
	if h.focused() != fyne.Focusable(h.k.search.query) {
		t.Fatal("the search field does not have the focus")
	}
	h.typeText("ovela")
	if len(h.k.search.results) != 1 || h.k.search.results[0].ID != ada.ID {
		t.Fatalf("search results = %+v, want Ada Lovelace only", h.k.search.results)
	}
	if got := h.k.search.line(0); got != "Ada Lovelace · Attendee · Acme Corp" {
		t.Errorf("result line = %q", got)
	}
	h.key(fyne.KeyReturn)
	if !h.k.note.box.Visible() {
		t.Fatal("Enter on a match did not ask for a reason")
	}
	if got := h.k.note.prompt.Text; got != "Admit Ada Lovelace without a badge: why?" {
		t.Errorf("note prompt = %q", got)
	}
	if h.focused() != fyne.Focusable(h.k.note.entry) {
		t.Fatal("the reason field does not have the focus")
	}
	h.k.note.entry.SetText("")
	h.enter("Forgot badge at hotel")
	h.wantPanel(toneAdmit, "Ada Lovelace · Attendee", "Welcome, Ada Lovelace (admitted by name).")
	if got := h.occ(venue); got != 1 {
		t.Errorf("venue occupancy = %d, want 1", got)
	}
	r := h.last()
	if r.Method != string(checkin.ByName) || r.Reason != string(checkin.AdmittedManual) || r.Decision != "admit" ||
		r.Note != "Forgot badge at hotel" || r.Person.String != ada.ID || r.Code != "" || r.Location.String != venue {
		t.Errorf("logged %+v", r)
	}
	if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
		t.Error("the scanner input did not get the focus back")
	}
}

// With the default reason, Enter twice admits.
func TestSearchDefaultReason(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF3)
	h.typeText("Turing")
	h.key(fyne.KeyReturn)
	h.key(fyne.KeyReturn)
	h.wantPanel(toneAdmit, "Alan Turing · Attendee", "Welcome, Alan Turing (admitted by name).")
	if r := h.last(); r.Note != "Forgot badge" {
		t.Errorf("note = %q, want the default", r.Note)
	}
}

func TestSearchPicksWithArrows(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF3)
	h.typeText("Speaker 0")
	if n := len(h.k.search.results); n != 9 {
		t.Fatalf("%d results, want 9", n)
	}
	h.key(fyne.KeyDown)
	h.key(fyne.KeyDown)
	h.key(fyne.KeyUp)
	h.key(fyne.KeyReturn)
	if got := h.k.note.prompt.Text; got != "Admit Speaker 02 without a badge: why?" {
		t.Errorf("note prompt = %q, want Speaker 02", got)
	}
}

// Someone already inside is shown as such in the list, and admitting
// them again by name goes through anti-passback like a badge.
func TestSearchShowsWhoIsInside(t *testing.T) {
	h := MustKiosk(t, Options{Door: doorBallroom})
	h.admitDirect(doorBallroom, ada.Code)
	h.key(fyne.KeyF3)
	h.typeText("Ada")
	if got := h.k.search.line(0); got != "Ada Lovelace · Attendee · Acme Corp · inside Grand Ballroom" {
		t.Errorf("result line = %q", got)
	}
	h.key(fyne.KeyReturn)
	h.key(fyne.KeyReturn)
	h.wantPanel(toneDeny, "Ada Lovelace · Attendee", "Ada Lovelace is already inside Grand Ballroom.")
}

func TestSearchStatus(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF3)
	if got := h.k.search.status.Text; got != "Type at least two letters." {
		t.Errorf("status = %q", got)
	}
	h.typeText("Zz")
	if got := h.k.search.status.Text; got != "Nobody on the roster matches." {
		t.Errorf("status = %q", got)
	}
	h.key(fyne.KeyReturn)
	if h.k.note.box.Visible() {
		t.Error("Enter with no match asked for a reason")
	}
	h.key(fyne.KeyEscape)
	h.wantReady()
	if h.w.Canvas().Focused() != fyne.Focusable(h.k.entry) {
		t.Error("Esc did not give the focus back to the scanner input")
	}
	if n := len(h.rows()); n != 0 {
		t.Errorf("%d rows logged, want 0", n)
	}
}

// An empty reason is refused on the screen, before the store, when there
// is no suggested reason to take (an override has none).
func TestNoteRequired(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.k.note.open("Why?", "", false, func(string) { t.Error("an empty reason was passed on") })
	h.key(fyne.KeyReturn)
	if !h.k.note.box.Visible() {
		t.Fatal("an empty reason was accepted")
	}
	if got := h.k.note.status.Text; got != "A reason is required (at most 500 characters)." {
		t.Errorf("status = %q", got)
	}
	if n := len(h.rows()); n != 0 {
		t.Errorf("%d rows logged, want 0", n)
	}
}

// Typing a reason over the suggested one must not glue the two together
// ("Lost itForgot badge"): the suggestion is replaced, or the typing goes
// after it.
func TestNoteTypingOverDefault(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF3)
	h.typeText("Lovelace")
	h.key(fyne.KeyReturn)
	if got := h.k.note.entry.PlaceHolder; got != "Forgot badge" {
		t.Fatalf("suggested reason = %q", got)
	}
	h.enter("Badge left at hotel")
	got := h.last().Note
	if got != "Badge left at hotel" && !strings.HasPrefix(got, "Forgot badge") {
		t.Errorf("logged reason = %q: the typed reason went in front of the suggested one; "+
			"want it to replace the suggestion (select it on open) or follow it (cursor at the end)", got)
	}
}

// A reason of only spaces is no reason: the screen asks again, as for an
// empty one, instead of closing the form and showing the store's refusal
// as a red DENY.
func TestNoteBlankRequired(t *testing.T) {
	h := MustKiosk(t, Options{})
	h.key(fyne.KeyF3)
	h.typeText("Lovelace")
	h.key(fyne.KeyReturn)
	h.k.note.entry.SetText("   ")
	h.key(fyne.KeyReturn)
	if !h.k.note.box.Visible() {
		t.Errorf("a blank reason closed the form; panel shows %s %q", h.k.panel.word.Text, h.k.panel.msg)
	}
	if got := h.k.note.status.Text; got != "A reason is required (at most 500 characters)." {
		t.Errorf("status = %q", got)
	}
	if h.k.panel.word.Text == toneDeny.word {
		t.Error("a staff typing slip is shown as DENY at the door")
	}
}

// A person whose ticket was refunded is still on the roster: the name
// search says their ticket is not valid, and their badge is denied with
// the reason the ticketing system gave.
func TestRefundedTicket(t *testing.T) {
	h := MustKiosk(t, Options{})
	people := roster()
	people[0].Revoked = "refunded ticket"
	if people[0].ID != ada.ID {
		t.Fatalf("the roster starts with %s, not Ada", people[0].ID)
	}
	if _, err := h.db.Load(h.ctx, demo.Event(), people); err != nil {
		t.Fatal(err)
	}
	h.scan(ada.Code)
	h.wantPanel(toneDeny, "Ada Lovelace · Attendee", "This badge is no longer valid: refunded ticket. Send to the registration desk.")
	if r := h.last(); r.Reason != string(checkin.Revoked) || r.Decision != "deny" {
		t.Errorf("logged %+v", r)
	}
	h.advance(10 * time.Second)
	h.key(fyne.KeyF3)
	h.typeText("ovela")
	if len(h.k.search.results) != 1 {
		t.Fatalf("search results = %+v, want Ada Lovelace", h.k.search.results)
	}
	if got := h.k.search.line(0); got != "Ada Lovelace · Attendee · Acme Corp · NOT VALID: refunded ticket" {
		t.Errorf("result line = %q", got)
	}
	if got := h.occ(venue); got != 0 {
		t.Errorf("venue occupancy = %d, want 0", got)
	}
}
