package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/checkin"
	"usher/store"
)

// stripRow is what one row of the recent strip shows.
type stripRow struct {
	word, who, why string
	tone           tone
}

// strip is what the recent strip lists, newest first: every row holding
// a decision, whether or not the window is tall enough to show it.
func (h *harness) strip() []stripRow {
	h.t.Helper()
	var out []stripRow
	for _, r := range h.k.recent.rows[:h.k.recent.n] {
		out = append(out, stripRow{r.word.Text, r.whoText, r.whyText, r.tone})
	}
	return out
}

// wantStrip checks the strip's rows, newest first, against want: each
// "WORD who · reason" with who as the row shows it after the time.
func (h *harness) wantStrip(want ...string) {
	h.t.Helper()
	var got []string
	for _, r := range h.strip() {
		_, who, _ := strings.Cut(r.who, "  ")
		got = append(got, r.word+" "+who+" · "+r.why)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Errorf("strip =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// wantToday checks the strip's count of the door's entries and exits.
func (h *harness) wantToday(in, out int) {
	h.t.Helper()
	if got, want := h.k.recent.todayText, fmt.Sprintf("This door today: %d in · %d out", in, out); got != want {
		h.t.Errorf("today = %q, want %q", got, want)
	}
}

// A deny replaced on the panel by the next person's admit a moment later
// is still in the strip, in the deny colour, with its time.
func TestRecentDenyStays(t *testing.T) {
	h := MustKiosk(t, Options{Door: doorMain})
	h.scan(unknownCode)
	denyAt := h.clock.Now()
	h.advance(800 * time.Millisecond)
	h.scan(ada.Code)
	h.wantPanel(toneAdmit, ada.Name+" · Attendee", "Welcome, "+ada.Name+".")
	h.wantStrip(
		"ADMIT "+ada.Name+" · admitted",
		"DENY unknown code · badge not on the roster",
	)
	rows := h.strip()
	if len(rows) != 2 {
		t.Fatalf("strip has %d rows, want 2", len(rows))
	}
	if rows[1].tone.bg != toneDeny.bg || h.k.recent.rows[1].mark.FillColor != toneDeny.bg {
		t.Errorf("the deny row is marked %v, want the deny colour %v", h.k.recent.rows[1].mark.FillColor, toneDeny.bg)
	}
	if rows[0].tone.bg != toneAdmit.bg {
		t.Errorf("the admit row is marked %v, want the admit colour", rows[0].tone.bg)
	}
	if want := denyAt.Local().Format("15:04:05") + "  unknown code"; rows[1].who != want {
		t.Errorf("deny row = %q, want %q", rows[1].who, want)
	}
	if !h.k.recent.rows[1].mark.Visible() || !h.k.recent.rows[1].word.Visible() {
		t.Error("the deny row is hidden at 1024×600")
	}
}

// Twelve decisions: the strip lists the last ten, newest first, all of
// them on a tall screen and as many as fit on the smallest.
func TestRecentLastTen(t *testing.T) {
	h := MustKiosk(t, Options{Door: doorMain})
	var want []string
	for i := 1; i <= 12; i++ {
		h.advance(2 * time.Second)
		code := fmt.Sprintf("U-NOBODY%04d", i)
		h.scan(code)
		if i > 2 {
			want = append([]string{"DENY unknown code · badge not on the roster"}, want...)
		}
	}
	h.wantStrip(want...)
	if h.k.recent.n != recentRows {
		t.Fatalf("strip holds %d rows, want %d", h.k.recent.n, recentRows)
	}
	rows := h.k.recent.rows
	newest := start.Add(24 * time.Second).Local().Format("15:04:05")
	if !strings.HasPrefix(rows[0].whoText, newest+"  ") {
		t.Errorf("newest row at %q, want %s", rows[0].whoText, newest)
	}
	if oldest := start.Add(6 * time.Second).Local().Format("15:04:05"); !strings.HasPrefix(rows[9].whoText, oldest+"  ") {
		t.Errorf("oldest row at %q, want %s (the third scan)", rows[9].whoText, oldest)
	}
	if h.k.recent.shown < 4 {
		t.Errorf("only %d rows shown at 1024×600, want at least 4", h.k.recent.shown)
	}
	h.w.Resize(fyne.NewSize(1920, 1080))
	if h.k.recent.shown != recentRows {
		t.Errorf("%d rows shown at 1920×1080, want %d", h.k.recent.shown, recentRows)
	}
}

// The strip and the counts come from the log: closing the screen and
// the database and opening them again shows the same.
func TestRecentSurvivesRestart(t *testing.T) {
	h := MustKiosk(t, Options{Door: doorMain})
	h.scan(ada.Code)
	h.advance(holdGood)
	h.scan(unknownCode)
	h.advance(holdBad)
	h.k.switchDirection()
	h.scan(ada.Code)
	before := h.strip()
	beforeToday := h.k.recent.todayText
	if len(before) != 3 {
		t.Fatalf("strip has %d rows after 3 scans, want 3", len(before))
	}

	var path string
	if err := h.db.SQL().QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = h.clock.Now
	h.db = db
	h.open(Options{Door: doorMain})
	h.k.Tick() // the screen's clock is now the test's: today is the test's day

	if after := h.strip(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("strip after reopening =\n%v\nwant\n%v", after, before)
	}
	if got := h.k.recent.todayText; got != beforeToday {
		t.Errorf("today after reopening = %q, want %q", got, beforeToday)
	}
	h.wantToday(1, 1)
}

// An undone scan is not counted today; the strip shows the undo, and the
// scan it took back marked undone.
func TestRecentUndoneNotCounted(t *testing.T) {
	h := MustKiosk(t, Options{Door: doorMain})
	h.scan(ada.Code)
	h.advance(holdGood)
	h.scan(alan.Code)
	h.wantToday(2, 0)
	h.unlockStaff()
	h.staffKey('2') // undo
	h.key(fyne.KeyReturn)
	if got := h.last(); !got.Undoes.Valid {
		t.Fatalf("no undo was recorded: %+v", got)
	}
	h.wantToday(1, 0)
	h.wantStrip(
		"WARN "+alan.Name+" · undo of the scan before",
		"ADMIT "+alan.Name+" · admitted · undone",
		"ADMIT "+ada.Name+" · admitted",
	)
}

// Another door's scans, recorded in the same database, are neither in
// this door's strip nor in its counts.
func TestRecentOtherDoor(t *testing.T) {
	h := MustKiosk(t, Options{Door: doorMain})
	h.scan(ada.Code)
	h.admitDirect(doorBallroom, ada.Code)
	h.admitDirect(doorMain, grace.Code)
	h.admitDirect(doorBallroom, grace.Code)
	h.advance(holdGood)
	h.scan(unknownCode)
	h.wantStrip(
		"DENY unknown code · badge not on the roster",
		"ADMIT "+grace.Name+" · admitted",
		"ADMIT "+ada.Name+" · admitted",
	)
	h.wantToday(2, 0)
}

// Every reason a decision can carry has words in the strip.
func TestEveryReasonHasWords(t *testing.T) {
	for _, r := range checkin.Reasons {
		if reasons[r] == "" {
			t.Errorf("reason %s has no words for the recent strip", r)
		}
	}
}
