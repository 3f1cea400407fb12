package central_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"usher/badge"
	"usher/central"
	"usher/checkin"
	"usher/demo"
	"usher/eventfile"
	"usher/roster"
)

// demoEvent is a demo event written to a temporary folder, loaded back.
type demoEvent struct {
	dir, event, roster, key string
	ev                      *checkin.Event
	people                  []checkin.Person
	priv                    ed25519.PrivateKey
	keys                    map[string]ed25519.PublicKey
}

func MustDemo(tb testing.TB, n int) demoEvent {
	tb.Helper()
	d := demoEvent{dir: tb.TempDir()}
	if err := demo.Write(d.dir, n); err != nil {
		tb.Fatal(err)
	}
	d.event, d.roster, d.key = filepath.Join(d.dir, "event.toml"), filepath.Join(d.dir, "roster.csv"), filepath.Join(d.dir, "keys", "signing.key")
	var err error
	if d.ev, err = eventfile.Load(d.event); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Open(d.roster)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if d.people, _, err = roster.Read(f, d.roster, d.ev); err != nil {
		tb.Fatal(err)
	}
	if d.priv, err = badge.LoadKey(d.key); err != nil {
		tb.Fatal(err)
	}
	d.keys = map[string]ed25519.PublicKey{}
	for _, k := range d.ev.Keys {
		d.keys[k.ID] = k.Public
	}
	return d
}

// run runs usher-central and returns its exit code, stdout and stderr.
func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := central.Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// decodeQR reads the one QR code in img with gozxing, trying each
// quarter turn: its finder-pattern search now and then (about 1 % of
// badge codes) takes data modules for a finder pattern, where zbar reads
// the same image, and a scanner sees a badge at any angle anyway.
func decodeQR(tb testing.TB, img image.Image) string {
	tb.Helper()
	var errs []error
	for turn := range 4 {
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			tb.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
		if err == nil {
			return res.GetText()
		}
		errs = append(errs, fmt.Errorf("turned %d°: %w", 90*turn, err))
		b := img.Bounds()
		turned := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				turned.Set(b.Max.Y-1-y, x-b.Min.X, img.At(x, y))
			}
		}
		img = turned
	}
	tb.Fatalf("no QR code found: %v", errs)
	return ""
}

// renderPage renders a page of a PDF file at 300 dpi with poppler's
// pdftoppm, as a printer driver would.
func renderPage(tb testing.TB, pdf string, page int) image.Image {
	tb.Helper()
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		tb.Fatal("pdftoppm not found: install poppler-utils (make test does, through scripts/deps.sh)")
	}
	prefix := filepath.Join(tb.TempDir(), "page")
	p := fmt.Sprint(page)
	if out, err := exec.Command(bin, "-r", "300", "-f", p, "-l", p, "-png", "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

func crop(img image.Image, r badge.Rect) image.Image {
	px := func(mm float64) int { return int(math.Round(mm / 25.4 * 300)) }
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(px(r.X), px(r.Y), px(r.X+r.W), px(r.Y+r.H)))
}

// Every badge on the first page of the demo event's A4 label sheet, as
// poppler renders it at 300 dpi, carries in its QR exactly the code
// badge.Code makes for that person, and the code verifies for the event.
func TestBadgesPDFDecodes(t *testing.T) {
	d := MustDemo(t, 20)
	out := filepath.Join(d.dir, "badges.pdf")
	code, stdout, stderr := run("badges", "--event", d.event, "--roster", d.roster, "--key", d.key, "--out", out,
		"--layout", "a4-labels", "--valid-from", "2026-05-04", "--valid-until", "2026-05-07")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "20 badges on 3 pages") {
		t.Errorf("stdout %q does not say 20 badges on 3 pages", stdout)
	}
	from := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC) // the end of the last day
	l, err := badge.FindLayout("a4-labels")
	if err != nil {
		t.Fatal(err)
	}
	page := renderPage(t, out, 1)
	for i := range l.PerPage() {
		p := d.people[i]
		got := decodeQR(t, crop(page, l.Badge(i)))
		want, err := badge.Code(d.ev, p, d.priv, from, until)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("badge %d (%s): QR %q, want %q", i, p.ID, got, want)
			continue
		}
		pl, err := badge.Verify(got, d.ev.ID, d.keys, from.Add(3*24*time.Hour))
		if err != nil || pl.Person != p.ID {
			t.Errorf("badge %d (%s): Verify = %+v, %v", i, p.ID, pl, err)
		}
	}
}

// badge-png writes one person's badge whose QR decodes to their code,
// valid by default for the demo event's day (2026-05-14, at UTC+2).
func TestBadgePNG(t *testing.T) {
	d := MustDemo(t, 5)
	out := filepath.Join(d.dir, "p2.png")
	code, stdout, stderr := run("badge-png", "--event", d.event, "--roster", d.roster, "--key", d.key, "--person", "P000002", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, out) {
		t.Errorf("stdout %q does not name the file", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz != image.Pt(1200, 900) {
		t.Errorf("image %v, want 1200×900 (4×3 in at 300 dpi)", sz)
	}
	got := decodeQR(t, img)
	day := time.Date(2026, 5, 14, 0, 0, 0, 0, time.FixedZone("", 2*3600))
	pl, err := badge.Verify(got, d.ev.ID, d.keys, day.Add(12*time.Hour))
	if err != nil || pl.Person != "P000002" {
		t.Fatalf("Verify = %+v, %v", pl, err)
	}
	if !pl.From.Equal(day) || !pl.Until.Equal(day.AddDate(0, 0, 1)) {
		t.Errorf("valid %v to %v, want the demo event's day, %v to %v", pl.From, pl.Until, day, day.AddDate(0, 0, 1))
	}
	want, err := badge.Code(d.ev, d.people[1], d.priv, pl.From, pl.Until)
	if err != nil || got != want {
		t.Errorf("QR %q, want %q (%v)", got, want, err)
	}
}

// Every layout: a PDF with as many pages as the badges need.
func TestBadgesLayouts(t *testing.T) {
	d := MustDemo(t, 7)
	for _, name := range badge.Layouts() {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(d.dir, name+".pdf")
			code, _, stderr := run("badges", "--event", d.event, "--roster", d.roster, "--key", d.key, "--out", out, "--layout", name)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			pdf, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			l, _ := badge.FindLayout(name)
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || bytes.Count(pdf, []byte("<</Type /Page\n")) != l.Pages(7) {
				t.Errorf("not a PDF of %d pages", l.Pages(7))
			}
		})
	}
	out := filepath.Join(d.dir, "one.pdf")
	if code, stdout, stderr := run("badges", "--event", d.event, "--roster", d.roster, "--key", d.key, "--out", out, "--person", "P000007"); code != 0 || !strings.Contains(stdout, "1 badge on 1 page") {
		t.Errorf("--person: exit %d, %q, %s", code, stdout, stderr)
	}
}

// A failing command exits non-zero, says what is wrong and where, and
// leaves no output file, not even a temporary one; an older file at the
// output path stays as it was.
func TestBadgesErrors(t *testing.T) {
	d := MustDemo(t, 5)
	otherDir := t.TempDir()
	if _, _, err := badge.NewKey(otherDir); err != nil {
		t.Fatal(err)
	}
	otherKey := filepath.Join(otherDir, "signing.key")
	// A roster whose last person's id is too long for a badge code: the
	// PDF fails after the first badges are placed.
	longID := filepath.Join(d.dir, "long-id.csv")
	csv, err := os.ReadFile(d.roster)
	if err != nil {
		t.Fatal(err)
	}
	csv = append(csv, []byte(strings.Repeat("X", 70)+",Ada Lovelace,attendee,U-LONGIDLONGID"+strings.Repeat(",", len(roster.Header)-4)+"\n")...)
	if err := os.WriteFile(longID, csv, 0o644); err != nil {
		t.Fatal(err)
	}

	base := func(cmd, out string) []string {
		return []string{cmd, "--event", d.event, "--roster", d.roster, "--key", d.key, "--out", out}
	}
	for _, tc := range []struct {
		name  string
		cmd   string
		extra []string
		want  []string // in stderr
	}{
		{"ErrUnknownPerson", "badges", []string{"--person", "P999999"}, []string{`"P999999"`, d.roster}},
		{"ErrUnknownPersonPNG", "badge-png", []string{"--person", "P999999"}, []string{`"P999999"`, d.roster}},
		{"ErrWrongKey", "badges", []string{"--key", otherKey}, []string{otherKey, d.event, "not among", "[[key]]"}},
		{"ErrWrongKeyPNG", "badge-png", []string{"--key", otherKey, "--person", "P000001"}, []string{otherKey, "not among"}},
		{"ErrNoKeyFile", "badges", []string{"--key", filepath.Join(d.dir, "nope.key")}, []string{"nope.key"}},
		{"ErrBadLayout", "badges", []string{"--layout", "poster"}, []string{`"poster"`, "a4-labels"}},
		{"ErrBadFrom", "badges", []string{"--valid-from", "2026-13-01"}, []string{"--valid-from", "2026-13-01"}},
		{"ErrBadUntil", "badges", []string{"--valid-until", "next week"}, []string{"--valid-until", "next week"}},
		{"ErrUntilBeforeFrom", "badges", []string{"--valid-from", "2026-05-04", "--valid-until", "2026-05-03"}, []string{"before"}},
		{"ErrBadgeTooLong", "badges", []string{"--roster", longID}, []string{strings.Repeat("X", 70)}},
		{"ErrPNGNoPerson", "badge-png", nil, []string{"usage", "--person"}},
		{"ErrExtraArg", "badges", []string{"extra"}, []string{"usage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			code, _, stderr := run(append(base(tc.cmd, out), tc.extra...)...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	t.Run("KeepsOldFile", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "badges.pdf")
		if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := run(append(base("badges", out), "--roster", longID)...); code == 0 {
			t.Fatal("exit 0")
		}
		if b, _ := os.ReadFile(out); string(b) != "old" {
			t.Errorf("the old file now holds %d bytes", len(b))
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	})
	t.Run("ErrNoFolder", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "missing", "badges.pdf")
		code, _, stderr := run(base("badges", out)...)
		if code == 0 || !strings.Contains(stderr, out) {
			t.Errorf("exit %d, %q", code, stderr)
		}
	})
}

func TestBadgesUsage(t *testing.T) {
	code, stdout, _ := run("help")
	if code != 0 || !strings.Contains(stdout, "badges --event") || !strings.Contains(stdout, "badge-png") {
		t.Errorf("usage does not list badges and badge-png:\n%s", stdout)
	}
}
