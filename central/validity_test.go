package central_test

import (
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"usher/badge"
)

// eventTable matches the [event] table of an event file, up to the blank
// line after it; session a [[session]] table.
var (
	eventTable = regexp.MustCompile(`(?s)\[event\]\n.*?\n\n`)
	session    = regexp.MustCompile(`\[\[session\]\]\n(.+\n)*`)
)

// withEventTable writes a copy of the demo's event file whose [event]
// table holds lines (after id and name), without the schedule (whose
// sessions must fall on the event's days), and returns its path.
func (d demoEvent) withEventTable(tb testing.TB, lines ...string) string {
	tb.Helper()
	data, err := os.ReadFile(d.event)
	if err != nil {
		tb.Fatal(err)
	}
	table := "[event]\nid = \"demo\"\nname = \"Demo Conference\"\n" + strings.Join(append(lines, ""), "\n") + "\n"
	if !eventTable.Match(data) {
		tb.Fatal("the demo event file has no [event] table")
	}
	path := filepath.Join(tb.TempDir(), "event.toml")
	data = session.ReplaceAll(eventTable.ReplaceAll(data, []byte(table)), nil)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// MustBadgePNG runs badge-png for the demo's second person with the
// event file event and extra flags, and returns the payload of the
// badge's QR and stdout.
func (d demoEvent) MustBadgePNG(tb testing.TB, event string, extra ...string) (badge.Payload, string) {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "p2.png")
	code, stdout, stderr := run(append([]string{"badge-png", "--event", event, "--roster", d.roster, "--key", d.key,
		"--person", "P000002", "--out", out}, extra...)...)
	if code != 0 {
		tb.Fatalf("badge-png: exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	pl, _, _, err := badge.Parse(decodeQR(tb, img))
	if err != nil {
		tb.Fatal(err)
	}
	return pl, stdout
}

// TestBadgeValidityDefaults checks what badges are valid for when no
// --valid-from or --valid-until is given: the event's days, from the
// start of the first to the end of the last in the event file's UTC
// offset, however far ahead they are printed; with no dates in the event
// file, from today on without end. The flags still override.
func TestBadgeValidityDefaults(t *testing.T) {
	d := MustDemo(t, 3)
	dated := d.withEventTable(t, "start = 2030-05-14T08:00:00+02:00", "end = 2030-05-15T18:00:00+02:00")
	undated := d.withEventTable(t)
	firstDay := time.Date(2030, 5, 14, 0, 0, 0, 0, time.FixedZone("", 2*3600))
	afterLastDay := time.Date(2030, 5, 16, 0, 0, 0, 0, time.FixedZone("", 2*3600))
	today := time.Now().UTC().Truncate(24 * time.Hour)
	day := func(s string) time.Time {
		t, _ := time.Parse(time.DateOnly, s)
		return t
	}
	for _, c := range []struct {
		name        string
		event       string
		flags       []string
		from, until time.Time // until zero: no end
		stdout      string
	}{
		{"EventDays", dated, nil, firstDay, afterLastDay, "valid 2030-05-14T00:00:00+02:00 to 2030-05-16T00:00:00+02:00"},
		{"NoDates", undated, nil, today, time.Time{}, "valid from " + today.Format(time.RFC3339) + ", with no end"},
		{"Flags", dated, []string{"--valid-from", "2030-05-01", "--valid-until", "2030-05-02"}, day("2030-05-01"), day("2030-05-03"), ""},
		{"FromFlagUntilEventEnd", dated, []string{"--valid-from", "2030-05-10"}, day("2030-05-10"), afterLastDay, ""},
		{"UntilFlagFromEventStart", dated, []string{"--valid-until", "2030-05-20"}, firstDay, day("2030-05-21"), ""},
		{"UntilFlagNoDates", undated, []string{"--valid-until", "2030-05-20"}, today, day("2030-05-21"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			pl, stdout := d.MustBadgePNG(t, c.event, c.flags...)
			if !pl.From.Equal(c.from) || !pl.Until.Equal(c.until) {
				t.Errorf("valid %v to %v, want %v to %v", pl.From, pl.Until, c.from, c.until)
			}
			if !strings.Contains(stdout, c.stdout) {
				t.Errorf("stdout %q does not say %q", stdout, c.stdout)
			}
		})
	}

	// Printed two weeks ahead, a badge for the dated event admits on the
	// event's days, and the undated event's badge for years.
	pl, _ := d.MustBadgePNG(t, dated)
	for _, at := range []time.Time{firstDay, firstDay.Add(9 * time.Hour), afterLastDay.Add(-time.Second)} {
		if _, err := badge.Verify(mustCode(t, d, dated), d.ev.ID, d.keys, at); err != nil {
			t.Errorf("the dated event's badge at %v: %v (valid %v to %v)", at, err, pl.From, pl.Until)
		}
	}
	if _, err := badge.Verify(mustCode(t, d, undated), d.ev.ID, d.keys, time.Now().AddDate(5, 0, 0)); err != nil {
		t.Errorf("the undated event's badge in five years: %v", err)
	}
}

// mustCode prints the demo's second person's badge for event and
// returns its code.
func mustCode(tb testing.TB, d demoEvent, event string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "p2.png")
	if code, _, stderr := run("badge-png", "--event", event, "--roster", d.roster, "--key", d.key, "--person", "P000002", "--out", out); code != 0 {
		tb.Fatalf("badge-png: exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	return decodeQR(tb, img)
}

// TestBadgeValidityErrors: a validity that is no period is refused, and
// badges already expired when printed are printed with a warning.
func TestBadgeValidityErrors(t *testing.T) {
	d := MustDemo(t, 3)
	dated := d.withEventTable(t, "start = 2030-05-14T08:00:00+02:00", "end = 2030-05-15T18:00:00+02:00")
	out := filepath.Join(t.TempDir(), "badges.pdf")
	code, _, stderr := run("badges", "--event", dated, "--roster", d.roster, "--key", d.key, "--out", out, "--valid-from", "2030-05-17")
	if code == 0 || !strings.Contains(stderr, "--valid-from 2030-05-17") || !strings.Contains(stderr, "2030-05-15") {
		t.Errorf("--valid-from after the event's last day: exit %d, %q", code, stderr)
	}
	past := d.withEventTable(t, "start = 2020-05-14T08:00:00+02:00", "end = 2020-05-15T18:00:00+02:00")
	code, _, stderr = run("badges", "--event", past, "--roster", d.roster, "--key", d.key, "--out", out)
	if code != 0 || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "expired") {
		t.Errorf("badges for an event in the past: exit %d, want 0 and a warning: %q", code, stderr)
	}
}
