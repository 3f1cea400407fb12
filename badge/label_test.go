package badge

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"usher/assets"
	"usher/checkin"
	"usher/eventfile"
)

// The label printer layouts: each writes one badge a page, the page the
// media's size (62 × 100 mm tape, A6), and the badge's QR, quiet zone
// included, on the page, above the band and QRSymbolMM across.
func TestLabelLayouts(t *testing.T) {
	ev, err := eventfile.Parse("demo/event.toml", assets.DemoEvent)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		w, h float64
	}{{"label-62x100", 62, 100}, {"a6", 105, 148}} {
		t.Run(c.name, func(t *testing.T) {
			l, err := FindLayout(c.name)
			if err != nil {
				t.Fatal(err)
			}
			if l.PerPage() != 1 || l.PageW != c.w || l.PageH != c.h {
				t.Fatalf("%s: %d a page on %g×%g mm, want 1 on %g×%g", c.name, l.PerPage(), l.PageW, l.PageH, c.w, c.h)
			}
			p := checkin.Person{ID: "P1", Name: "Katherine Berners-Lee", Company: "Stark Industries", Category: "speaker"}
			for _, modules := range []int{29, 53, 57, 69} {
				d := layoutBadge(l.Badge(0), ev, p, modules)
				q := d.QR
				if q.X < 0 || q.Y < 0 || q.X+q.W > c.w || q.Y+q.H > c.h {
					t.Errorf("%d modules: QR %+v is off the %g×%g mm page", modules, q, c.w, c.h)
				}
				if band := d.Rects[0].Rect; q.Y+q.H > band.Y {
					t.Errorf("%d modules: QR %+v runs into the band at %.1f mm", modules, q, band.Y)
				}
				// A tall badge gives the QR the room the text leaves: at
				// least 35 mm of symbol on the label (scannable from arm's
				// length), and never under QRSymbolMM.
				sym := q.W * float64(modules-2*QuietZone) / float64(modules)
				if sym < 35 || sym < QRSymbolMM {
					t.Errorf("%d modules: QR symbol %.1f mm across, want 35 mm or more", modules, sym)
				}
				// No text runs into the QR's quiet zone or off the page.
				for _, tx := range d.Texts {
					wd := textWidth(tx.Face, tx.Text, tx.Size)
					if tx.X < 0 || tx.X+wd > c.w+1e-6 {
						t.Errorf("text %q (%.1f mm wide at x %.1f) leaves the %g mm page", tx.Text, wd, tx.X, c.w)
					}
					if tx.Y > q.Y && tx.Y < q.Y+q.H && tx.Color != d.Rects[0].Color {
						t.Errorf("text %q at y %.1f is inside the QR's square %.1f–%.1f", tx.Text, tx.Y, q.Y, q.Y+q.H)
					}
				}
				// The name is whole, not cut.
				for _, tx := range d.Texts {
					if tx.Face == bold && tx.Color == black && strings.HasSuffix(tx.Text, "…") {
						t.Errorf("the name is cut: %q", tx.Text)
					}
				}
			}

			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			ev.Keys = append(ev.Keys, checkin.Key{ID: KeyID(pub), Public: pub})
			from := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
			s := Sheet{Layout: c.name, Event: ev, Key: priv, From: from, Until: from.AddDate(0, 0, 3)}
			var b bytes.Buffer
			if err := s.Write(&b, []checkin.Person{p}, nil); err != nil {
				t.Fatal(err)
			}
			pages, w, h := pdfPageSize(t, b.Bytes())
			if pages != 1 {
				t.Errorf("%d pages, want 1", pages)
			}
			if mm := func(pt float64) float64 { return pt / 72 * 25.4 }; abs(mm(w)-c.w) > 0.5 || abs(mm(h)-c.h) > 0.5 {
				t.Errorf("page %.1f×%.1f mm, want %g×%g", mm(w), mm(h), c.w, c.h)
			}
		})
	}
}

func abs(v float64) float64 { return max(v, -v) }

// pdfPageSize asks poppler's pdfinfo for a PDF's page count and the first
// page's size in points.
func pdfPageSize(tb testing.TB, pdf []byte) (pages int, w, h float64) {
	tb.Helper()
	bin, err := exec.LookPath("pdfinfo")
	if err != nil {
		tb.Fatal("pdfinfo not found: install poppler-utils (make test does, through scripts/deps.sh)")
	}
	cmd := exec.Command(bin, "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(out)
	s := regexp.MustCompile(`(?m)^Page size:\s+([0-9.]+) x ([0-9.]+) pts`).FindSubmatch(out)
	if m == nil || s == nil {
		tb.Fatalf("pdfinfo gave no page count or size:\n%s", out)
	}
	pages, _ = strconv.Atoi(string(m[1]))
	w, _ = strconv.ParseFloat(string(s[1]), 64)
	h, _ = strconv.ParseFloat(string(s[2]), 64)
	return pages, w, h
}
