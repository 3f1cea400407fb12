package badge_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"usher/badge"
	"usher/checkin"
	"usher/demo"
)

var (
	validFrom  = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	validUntil = time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC)
)

// MustSheet returns a sheet for the demo event with a fresh signing key,
// which it adds to the event's keys, and the keys to verify with.
func MustSheet(tb testing.TB, layout string) (badge.Sheet, map[string]ed25519.PublicKey) {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	ev := demo.Event()
	id := badge.KeyID(pub)
	ev.Keys = append(ev.Keys, checkin.Key{ID: id, Public: pub})
	return badge.Sheet{Layout: layout, Event: ev, Key: priv, From: validFrom, Until: validUntil},
		map[string]ed25519.PublicKey{id: pub}
}

// DecodeQR reads the one QR code in img with gozxing, an implementation
// independent of the encoder. gozxing's finder-pattern search now and
// then (about 1 % of badge codes) takes a run of data modules for a
// finder pattern and gives up, where zbar reads the same image; a
// scanner sees a badge at any angle, so DecodeQR tries the image turned
// by each quarter turn before it fails.
func DecodeQR(tb testing.TB, img image.Image) *gozxing.Result {
	tb.Helper()
	var errs []error
	for turn := range 4 {
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			tb.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
		if err == nil {
			return res
		}
		errs = append(errs, fmt.Errorf("turned %d°: %w", 90*turn, err))
		img = quarterTurn(img)
	}
	tb.Fatalf("no QR code found: %v", errs)
	return nil
}

func quarterTurn(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Max.Y-1-y, x-b.Min.X, img.At(x, y))
		}
	}
	return out
}

// SymbolMM measures a decoded QR symbol, quiet zone excluded, in mm at
// dpi: the finder patterns' centres are 7 modules short of the symbol's
// width apart.
func SymbolMM(tb testing.TB, res *gozxing.Result, dpi float64) float64 {
	tb.Helper()
	q, err := badge.QR(res.GetText())
	if err != nil {
		tb.Fatal(err)
	}
	n := float64(17 + 4*q.VersionNumber)
	pts := res.GetResultPoints() // bottom left, top left, top right
	if len(pts) < 3 {
		tb.Fatalf("%d result points", len(pts))
	}
	across := gozxing.ResultPoint_Distance(pts[1], pts[2])
	down := gozxing.ResultPoint_Distance(pts[1], pts[0])
	return (across + down) / 2 / (n - 7) * n / dpi * 25.4
}

// RenderPage renders one page of a PDF at 300 dpi with poppler's
// pdftoppm, the way a printer driver would.
func RenderPage(tb testing.TB, pdf []byte, page int) image.Image {
	tb.Helper()
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		tb.Fatal("pdftoppm not found: install poppler-utils (make test does, through scripts/deps.sh)")
	}
	dir := tb.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		tb.Fatal(err)
	}
	p := strconv.Itoa(page)
	if out, err := exec.Command(bin, "-r", "300", "-f", p, "-l", p, "-png", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
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

// Crop cuts a rectangle in mm out of a page rendered at 300 dpi.
func Crop(img image.Image, r badge.Rect) image.Image {
	px := func(mm float64) int { return int(math.Round(mm / 25.4 * 300)) }
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(px(r.X), px(r.Y), px(r.X+r.W), px(r.Y+r.H)))
}

// PDFPages asks poppler's pdfinfo how many pages a PDF has, which also
// checks that it parses.
func PDFPages(tb testing.TB, pdf []byte) int {
	tb.Helper()
	bin, err := exec.LookPath("pdfinfo")
	if err != nil {
		tb.Fatal("pdfinfo not found: install poppler-utils (make test does, through scripts/deps.sh)")
	}
	cmd := exec.Command(bin, "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		tb.Fatalf("pdfinfo: %v: %s", err, stderr.String())
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(out)
	if m == nil {
		tb.Fatalf("pdfinfo gave no page count:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func TestLayouts(t *testing.T) {
	want := map[string]int{"insert-4x3": 1, "a4-labels": 8, "letter-labels": 6, "label-62x100": 1, "a6": 1}
	names := badge.Layouts()
	if len(names) != len(want) || names[0] != "insert-4x3" {
		t.Fatalf("Layouts() = %q, want insert-4x3 first and %d layouts", names, len(want))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			l, err := badge.FindLayout(name)
			if err != nil {
				t.Fatal(err)
			}
			if l.PerPage() != want[name] {
				t.Errorf("%d badges a page, want %d", l.PerPage(), want[name])
			}
			var rects []badge.Rect
			for i := range l.PerPage() {
				r := l.Badge(i)
				if r.X < 0 || r.Y < 0 || r.X+r.W > l.PageW+1e-9 || r.Y+r.H > l.PageH+1e-9 {
					t.Errorf("badge %d at %+v is off the %g×%g mm page", i, r, l.PageW, l.PageH)
				}
				for j, o := range rects {
					if r.X < o.X+o.W-1e-9 && o.X < r.X+r.W-1e-9 && r.Y < o.Y+o.H-1e-9 && o.Y < r.Y+r.H-1e-9 {
						t.Errorf("badges %d and %d overlap", j, i)
					}
				}
				rects = append(rects, r)
			}
			if l.Badge(l.PerPage()) != l.Badge(0) {
				t.Error("the first badge of page 2 is not where the first of page 1 is")
			}
		})
	}
	if _, err := badge.FindLayout("a5-poster"); checkin.ErrorCode(err) != checkin.EINVALID {
		t.Errorf("unknown layout: %v", err)
	}
	if l, err := badge.FindLayout(""); err != nil || l.Name != "insert-4x3" {
		t.Errorf("default layout %q, %v", l.Name, err)
	}
}

// Every layout writes a PDF that poppler reads, with as many pages as
// its badges need, and on the rendered first page every QR decodes to
// its code and measures at least 25 mm across, quiet zone excluded.
func TestWriteLayouts(t *testing.T) {
	people := demo.Roster(13)
	for _, name := range badge.Layouts() {
		t.Run(name, func(t *testing.T) {
			s, _ := MustSheet(t, name)
			var codes []string
			s.OnBadge = func(i int, p checkin.Person, code string, _ []byte) {
				if i != len(codes) || p.ID != people[i].ID {
					t.Errorf("OnBadge(%d, %s) out of order", i, p.ID)
				}
				codes = append(codes, code)
			}
			var done []int
			var b bytes.Buffer
			if err := s.Write(&b, people, func(n int) { done = append(done, n) }); err != nil {
				t.Fatal(err)
			}
			pdf := b.Bytes()
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("output starts %q", pdf[:min(8, len(pdf))])
			}
			l, _ := badge.FindLayout(name)
			if got, want := PDFPages(t, pdf), l.Pages(len(people)); got != want {
				t.Errorf("%d pages, want %d", got, want)
			}
			if len(codes) != len(people) || len(done) != len(people) || done[len(done)-1] != len(people) {
				t.Errorf("%d badges reported, progress %v", len(codes), done)
			}
			page := RenderPage(t, pdf, 1)
			for i := range min(l.PerPage(), len(people)) {
				res := DecodeQR(t, Crop(page, l.Badge(i)))
				if res.GetText() != codes[i] {
					t.Errorf("badge %d: QR says %q, want %q", i, res.GetText(), codes[i])
				}
				lo, hi := 25.0, badge.QRSymbolMM+0.5
				if l.BadgeH > l.BadgeW { // a tall badge's QR takes the room left (layoutTall)
					lo, hi = 35, l.BadgeW
				}
				if mm := SymbolMM(t, res, 300); mm < lo || mm > hi {
					t.Errorf("badge %d: QR symbol %.2f mm wide, want %.1f to %.1f", i, mm, lo, hi)
				}
			}
		})
	}
}

// The PNG images the PDF embeds decode to exactly the badge codes, which
// verify for the event.
func TestEmbeddedQRImagesDecode(t *testing.T) {
	people := demo.Roster(20)
	s, keys := MustSheet(t, "a4-labels")
	n := 0
	s.OnBadge = func(i int, p checkin.Person, code string, qrPNG []byte) {
		n++
		img, err := png.Decode(bytes.NewReader(qrPNG))
		if err != nil {
			t.Fatalf("badge %d: %v", i, err)
		}
		got := DecodeQR(t, img).GetText()
		want, err := badge.Code(s.Event, p, s.Key, s.From, s.Until)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || code != want {
			t.Errorf("badge %d (%s): QR %q, OnBadge code %q, want %q", i, p.ID, got, code, want)
		}
		pl, err := badge.Verify(got, s.Event.ID, keys, validFrom.Add(time.Hour))
		if err != nil || pl.Person != p.ID || pl.Category != p.Category {
			t.Errorf("badge %d: Verify = %+v, %v", i, pl, err)
		}
	}
	if err := s.Write(io.Discard, people, nil); err != nil {
		t.Fatal(err)
	}
	if n != len(people) {
		t.Errorf("OnBadge called %d times for %d people", n, len(people))
	}
}

func TestPNG(t *testing.T) {
	p := checkin.Person{ID: "E1", Name: "Fernando Corbató", Company: "MIT", Category: "speaker", Tags: []string{"workshop-a"}}
	for _, tc := range []struct {
		layout string
		w, h   int
	}{{"", 1200, 900}, {"a4-labels", 1170, 800}} {
		t.Run("layout="+tc.layout, func(t *testing.T) {
			s, keys := MustSheet(t, tc.layout)
			b, code, err := s.PNG(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if sz := img.Bounds().Size(); sz.X != tc.w || sz.Y != tc.h {
				t.Errorf("image %v, want %d×%d (300 dpi)", sz, tc.w, tc.h)
			}
			if !bytes.Contains(b[:64], []byte("pHYs")) {
				t.Error("no pHYs chunk: the PNG does not say its resolution")
			}
			res := DecodeQR(t, img)
			if res.GetText() != code {
				t.Errorf("QR %q, want %q", res.GetText(), code)
			}
			if mm := SymbolMM(t, res, badge.DPI); mm < 25 {
				t.Errorf("QR symbol %.2f mm wide, want at least 25", mm)
			}
			if _, err := badge.Verify(code, s.Event.ID, keys, validFrom); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	people := demo.Roster(3)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name   string
		change func(*badge.Sheet)
		people []checkin.Person
	}{
		{"ErrLayout", func(s *badge.Sheet) { s.Layout = "poster" }, people},
		{"ErrKeyNotInEvent", func(s *badge.Sheet) { s.Key = other }, people},
		{"ErrNoPeople", func(*badge.Sheet) {}, nil},
		{"ErrValidity", func(s *badge.Sheet) { s.Until = s.From.Add(-time.Hour) }, people},
		{"ErrNoValidity", func(s *badge.Sheet) { s.From = time.Time{} }, people},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := MustSheet(t, "a4-labels")
			tc.change(&s)
			var b bytes.Buffer
			err := s.Write(&b, tc.people, nil)
			if checkin.ErrorCode(err) != checkin.EINVALID {
				t.Errorf("error %v (code %q), want an EINVALID error", err, checkin.ErrorCode(err))
			}
			if b.Len() > 0 {
				t.Errorf("%d bytes written despite the error", b.Len())
			}
			if tc.name != "ErrNoPeople" {
				if _, _, err := s.PNG(people[0]); err == nil {
					t.Error("PNG: no error")
				}
			}
		})
	}
	t.Run("ErrPersonTooLong", func(t *testing.T) {
		s, _ := MustSheet(t, "")
		p := people[1]
		p.ID = string(bytes.Repeat([]byte("x"), 100))
		err := s.Write(io.Discard, []checkin.Person{people[0], p}, nil)
		if err == nil || !strings.Contains(err.Error(), p.ID) {
			t.Errorf("error %v does not name the person", err)
		}
	})
}

func TestCategoryColors(t *testing.T) {
	ev := demo.Event()
	seen := map[[3]uint8]string{}
	for _, c := range ev.Categories {
		band, text := badge.CategoryColors(ev, c.ID)
		if r := badge.Contrast(band, text); r < 4.5 {
			t.Errorf("%s: contrast %.2f below 4.5", c.ID, r)
		}
		k := [3]uint8{band.R, band.G, band.B}
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share the band colour %v", other, c.ID, band)
		}
		seen[k] = c.ID
	}
	ev.Categories[0].Color = "#ffe600"
	if band, text := badge.CategoryColors(ev, ev.Categories[0].ID); band.R != 0xff || band.G != 0xe6 || band.B != 0 || text.R != 0 {
		t.Errorf("event colour #ffe600: band %v, text %v; want the colour with black text", band, text)
	}
	ev.Categories[0].Color = "#102040"
	if _, text := badge.CategoryColors(ev, ev.Categories[0].ID); text.R != 255 {
		t.Errorf("dark band: text %v, want white", text)
	}
	// Whatever the colour, black or white reaches 4.5:1.
	for v := 0; v < 1<<12; v++ {
		ev.Categories[0].Color = fmt.Sprintf("#%x%x%x%x%x%x", v>>8, v>>8, v>>4&15, v>>4&15, v&15, v&15)
		band, text := badge.CategoryColors(ev, ev.Categories[0].ID)
		if r := badge.Contrast(band, text); r < 4.5 {
			t.Fatalf("%s: contrast %.2f", ev.Categories[0].Color, r)
		}
	}
}

func TestMissingGlyphs(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want string
	}{
		{"Fernando Corbató", ""},
		{"Анастасия Ковалевская", ""},
		{"Ζωή Παπαδοπούλου", ""},
		{"Zoë Ødegaard-Łukasiewicz", ""},
		{"山田 太郎", "山田太郎"},
		{"Ali علي", "علي"},
	} {
		if got := string(badge.MissingGlyphs(tc.s)); got != tc.want {
			t.Errorf("MissingGlyphs(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// countingWriter counts the bytes of the PDF without keeping them.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// BenchmarkBadgesPDF prints the badges of a 10,000-person event on A4
// label sheets; bytes is the size of the PDF.
func BenchmarkBadgesPDF(b *testing.B) {
	people := demo.Roster(10000)
	s, _ := MustSheet(b, "a4-labels")
	var size int64
	for b.Loop() {
		var w countingWriter
		if err := s.Write(&w, people, nil); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(size), "bytes")
}
