package badge

import (
	"strings"
	"testing"

	"usher/assets"
	"usher/checkin"
	"usher/eventfile"
)

// Whatever the name and company, every text of a badge stays inside the
// badge, out of the QR and its quiet zone and out of the band (but the
// band's own text, inside it); the name takes at most two lines and is
// never smaller than 8 pt on a 4×3 in badge.
func TestLayoutBadgeFits(t *testing.T) {
	ev, err := eventfile.Parse("demo/event.toml", assets.DemoEvent)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{
		"Li", "Ada Lovelace", "Katherine Berners-Lee", "Fernando Corbató", "Анастасия Ковалевская",
		"Zoë Ødegaard-Łukasiewicz", "Wolfeschlegelsteinhausenbergerdorff",
		"Maria del Carmen Fernández de la Rosa y Álvarez de Toledo y Mendoza",
		strings.Repeat("W", 80), "山田 太郎",
	}
	companies := []string{"", "MIT", "Wolfeschlegelsteinhausenbergerdorff Industrial Holdings International GmbH & Co. KG"}
	for _, name := range Layouts() {
		l, _ := FindLayout(name)
		r := l.Badge(l.PerPage() - 1)
		for _, n := range names {
			for _, c := range companies {
				for _, modules := range []int{29, 53, 57, 69} {
					p := checkin.Person{ID: "P1", Name: n, Company: c, Category: "sponsor-comp"}
					d := layoutBadge(r, ev, p, modules)
					checkDesign(t, name+"/"+n+"/"+c, r, d, modules)
				}
			}
		}
	}
}

func checkDesign(t *testing.T, what string, r Rect, d design, modules int) {
	t.Helper()
	const eps = 1e-6
	band := d.Rects[0].Rect
	if d.QR.X < r.X || d.QR.Y < r.Y || d.QR.X+d.QR.W > r.X+r.W+eps || d.QR.Y+d.QR.H > band.Y+eps {
		t.Errorf("%s: QR %+v is outside the badge %+v or on the band", what, d.QR, r)
	}
	if sym := d.QR.W * float64(modules-2*QuietZone) / float64(modules); sym < 25 {
		t.Errorf("%s: QR symbol %.1f mm", what, sym)
	}
	nameLines := 0
	for _, tx := range d.Texts {
		fi := fonts()[tx.Face]
		w := textWidth(tx.Face, tx.Text, tx.Size)
		top, bottom := tx.Y-fi.ascent*tx.Size*ptMM, tx.Y+fi.descent*tx.Size*ptMM
		if tx.X < r.X || tx.X+w > r.X+r.W+eps || top < r.Y-eps || bottom > r.Y+r.H+eps {
			t.Errorf("%s: %q at %.1f,%.1f (%.1f mm wide) leaves the badge", what, tx.Text, tx.X, tx.Y, w)
		}
		inBand := tx.Y > band.Y
		if inBand {
			if top < band.Y || bottom > band.Y+band.H+eps {
				t.Errorf("%s: band text %q sticks out of the band", what, tx.Text)
			}
			continue
		}
		if bottom > band.Y+eps {
			t.Errorf("%s: %q runs into the band", what, tx.Text)
		}
		if tx.X+w > d.QR.X-eps && bottom > d.QR.Y && top < d.QR.Y+d.QR.H {
			t.Errorf("%s: %q (to %.1f mm) runs into the QR's quiet zone (from %.1f mm)", what, tx.Text, tx.X+w, d.QR.X)
		}
		if tx.Face == bold {
			nameLines++
			minSize := 8 * r.H / 76.2
			if r.H > r.W { // a tall badge scales with its width (layoutTall)
				minSize = float64(int(9*r.W/62*2)) / 2
			}
			if tx.Size < minSize-eps {
				t.Errorf("%s: name at %.1f pt", what, tx.Size)
			}
		}
	}
	if nameLines < 1 || nameLines > 2 {
		t.Errorf("%s: the name takes %d lines", what, nameLines)
	}
	for i := range d.Texts {
		for j := range i {
			a, b := d.Texts[i], d.Texts[j]
			aTop, aBot := a.Y-fonts()[a.Face].capH*a.Size*ptMM, a.Y+fonts()[a.Face].descent*a.Size*ptMM
			bTop, bBot := b.Y-fonts()[b.Face].capH*b.Size*ptMM, b.Y+fonts()[b.Face].descent*b.Size*ptMM
			if aTop < bBot-eps && bTop < aBot-eps {
				t.Errorf("%s: %q and %q overlap", what, a.Text, b.Text)
			}
		}
	}
}

func TestFitName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines int
	}{
		{"Rob Pike", 1},
		{"Katherine Berners-Lee", 2},
		{"Wolfeschlegelsteinhausenbergerdorff", 1},
	} {
		got := fitName(tc.name, 58, 45, 34, 8)
		if len(got.lines) != tc.lines || strings.Join(got.lines, " ") != tc.name {
			t.Errorf("fitName(%q) = %q at %.1f pt, want it whole on %d lines", tc.name, got.lines, got.size, tc.lines)
		}
	}
	got := fitName(strings.Repeat("W", 80), 58, 45, 34, 8)
	if got.size != 8 || !strings.HasSuffix(got.lines[0], "…") || textWidth(bold, got.lines[0], 8) > 58 {
		t.Errorf("an overlong name: %q at %.1f pt, want it cut with an ellipsis at 8 pt", got.lines, got.size)
	}
}
