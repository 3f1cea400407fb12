package badge

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"usher/checkin"
)

// The printed badge is laid out once, in millimetres, by design; the PDF
// sheet (sheet.go) and the PNG (png.go) only paint what it says, so both
// show the same badge.

// Rect is a rectangle in millimetres, X and Y from the top-left corner of
// the page (or of the image).
type Rect struct{ X, Y, W, H float64 }

// ptMM is one typographic point in millimetres.
const ptMM = 25.4 / 72

// QRSymbolMM is the printed width of the QR symbol itself, quiet zone
// excluded. Handheld and kiosk scanners read a 2.5 cm symbol from a
// lanyard at arm's length; the extra millimetre keeps it above that
// after a printer's scaling.
const QRSymbolMM = 26.0

// QuietZone is the blank margin around the symbol, in modules, that the
// QR standard asks for; go-qrcode's bitmap includes it.
const QuietZone = 4

// A face is one of the two fonts a badge uses. The Go fonts are embedded
// in the binary, so a badge prints the same everywhere, and they cover
// Latin (with accents), Greek and Cyrillic.
type face int

const (
	regular face = iota
	bold
)

type fontInfo struct {
	ttf     []byte
	f       *sfnt.Font
	upem    float64
	ascent  float64 // in ems
	descent float64 // in ems, positive
	capH    float64 // in ems
}

var fonts = sync.OnceValue(func() [2]fontInfo {
	var out [2]fontInfo
	for i, ttf := range [][]byte{goregular.TTF, gobold.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			panic("badge: embedded Go font: " + err.Error()) // fixed bytes, cannot happen
		}
		upem := float64(f.UnitsPerEm())
		var b sfnt.Buffer
		m, err := f.Metrics(&b, fixed.I(int(f.UnitsPerEm())), font.HintingNone)
		if err != nil {
			panic("badge: embedded Go font: " + err.Error())
		}
		em := func(v fixed.Int26_6) float64 { return float64(v) / 64 / upem }
		out[i] = fontInfo{ttf: ttf, f: f, upem: upem, ascent: em(m.Ascent), descent: em(m.Descent), capH: em(m.CapHeight)}
	}
	return out
})

// ems returns the advance width of s in ems, without kerning (fpdf does
// not kern either). Unscaled and unhinted, so widths scale linearly with
// the font size.
func (fi fontInfo) ems(s string) float64 {
	var b sfnt.Buffer
	var w fixed.Int26_6
	ppem := fixed.I(int(fi.upem))
	for _, r := range s {
		gi, err := fi.f.GlyphIndex(&b, r)
		if err != nil {
			continue
		}
		adv, err := fi.f.GlyphAdvance(&b, gi, ppem, font.HintingNone)
		if err != nil {
			continue
		}
		w += adv
	}
	return float64(w) / 64 / fi.upem
}

// MissingGlyphs returns the characters of s, once each, that the badge
// fonts lack: they print as empty boxes. The Go fonts cover Latin,
// Greek and Cyrillic, not CJK, Arabic or Hebrew, for example.
func MissingGlyphs(s string) []rune {
	var b sfnt.Buffer
	var out []rune
	for _, r := range s {
		if unicode.IsSpace(r) || slices.Contains(out, r) {
			continue
		}
		for _, fi := range fonts() {
			if gi, err := fi.f.GlyphIndex(&b, r); err != nil || gi == 0 {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// textWidth is the width of s in millimetres at size points.
func textWidth(f face, s string, size float64) float64 {
	fi := fonts()[f]
	return fi.ems(s) * size * ptMM
}

type textOp struct {
	X, Y  float64 // the start of the baseline, mm
	Size  float64 // points
	Face  face
	Color color.RGBA
	Text  string
}

type rectOp struct {
	Rect
	Color color.RGBA
}

// design is one badge, ready to paint.
type design struct {
	Rects []rectOp
	Texts []textOp
	QR    Rect // the QR image, quiet zone included
}

var (
	black    = color.RGBA{0, 0, 0, 255}
	white    = color.RGBA{255, 255, 255, 255}
	darkGrey = color.RGBA{0x33, 0x33, 0x33, 255}
	midGrey  = color.RGBA{0x55, 0x55, 0x55, 255}
)

// palette colours the band of a category without a color in the event
// file, by the category's position there. They are far apart in hue and
// all dark or saturated enough to read as colour on a lanyard.
var palette = []string{
	"#1565c0", // blue
	"#c62828", // red
	"#2e7d32", // green
	"#f9a825", // amber
	"#6a1b9a", // purple
	"#00695c", // teal
	"#ef6c00", // orange
	"#4e342e", // brown
	"#ad1457", // pink
	"#37474f", // blue grey
}

// unknownColor is the band of a category the event does not define.
const unknownColor = "#757575"

// CategoryColors returns the band colour of category id and a text colour
// that reads on it: the category's color from the event file, or one of
// the default palette by the category's position in the event.
func CategoryColors(ev *checkin.Event, id string) (band, text color.RGBA) {
	hex := unknownColor
	for i, c := range ev.Categories {
		if c.ID == id {
			hex = c.Color
			if hex == "" {
				hex = palette[i%len(palette)]
			}
			break
		}
	}
	band = parseHex(hex)
	return band, textOn(band)
}

func parseHex(s string) color.RGBA {
	var r, g, b uint8
	if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return parseHex(unknownColor) // Event.Validate has checked the form
	}
	return color.RGBA{r, g, b, 255}
}

// textOn returns black or white, whichever contrasts more with bg. The
// better of the two always reaches the WCAG ratio of 4.5:1 for text.
func textOn(bg color.RGBA) color.RGBA {
	if Contrast(bg, black) >= Contrast(bg, white) {
		return black
	}
	return white
}

// Contrast is the WCAG 2 contrast ratio of two colours, from 1 to 21.
func Contrast(a, b color.RGBA) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// categoryName is the text on the band.
func categoryName(ev *checkin.Event, id string) string {
	if c := ev.Category(id); c != nil && c.Name != "" {
		return c.Name
	}
	for _, c := range ev.Categories { // an event that was not validated
		if c.ID == id && c.Name != "" {
			return c.Name
		}
	}
	return id
}

// layoutBadge lays out p's badge in r. modules is the width of the QR
// bitmap in modules, quiet zone included.
//
// The design: the event's name small at the top left; the person's name
// as large as fits (one or two lines) and the company under it, left of
// the QR; a band in the category's colour across the bottom with the
// category's name. Sizes scale with the badge's height, so a label and a
// 4×3 in insert look alike.
func layoutBadge(r Rect, ev *checkin.Event, p checkin.Person, modules int) design {
	if r.H > r.W {
		return layoutTall(r, ev, p, modules)
	}
	var d design
	s := r.H / 76.2 // 1 on a 4×3 in badge
	pad := 4 * s
	fi := fonts()

	bandTop := d.addWideBand(r, ev, p.Category, s, pad)

	// QR, its quiet zone included, at the right, centred above the band.
	n := modules - 2*QuietZone
	qSize := QRSymbolMM * float64(modules) / float64(n)
	d.QR = Rect{X: r.X + r.W - qSize - pad/2, Y: r.Y + (bandTop-r.Y-qSize)/2, W: qSize, H: qSize}
	// Text stays out of the quiet zone, which a scanner needs blank.
	colLeft := r.X + pad
	colW := d.QR.X - 2*s - colLeft

	// Event name.
	evSize := 8 * s
	top := r.Y + pad
	if ev.Name != "" {
		e := fit(regular, ev.Name, colW, evSize, evSize)
		d.Texts = append(d.Texts, textOp{X: colLeft, Y: top + fi[regular].capH*evSize*ptMM, Size: evSize, Face: regular, Color: midGrey, Text: e.text})
		top += (fi[regular].capH + 0.6) * evSize * ptMM
	}
	d.addNameColumn(p, colLeft, colW, top, bandTop-pad/2, s)
	return d
}

// addWideBand adds the band of a badge wider than tall: the category's
// colour across the bottom of r, with the category's name in capitals
// at its left. It returns the band's top.
func (d *design) addWideBand(r Rect, ev *checkin.Event, category string, s, pad float64) float64 {
	bandH := 0.17 * r.H
	bandTop := r.Y + r.H - bandH
	bandColor, bandText := CategoryColors(ev, category)
	d.Rects = append(d.Rects, rectOp{Rect{r.X, bandTop, r.W, bandH}, bandColor})
	catSize := 0.42 * bandH / ptMM
	cat := fit(bold, strings.ToUpper(categoryName(ev, category)), r.W-2*pad, catSize, 8*s)
	d.Texts = append(d.Texts, textOp{
		X: r.X + pad, Y: bandTop + bandH/2 + fonts()[bold].capH*cat.size*ptMM/2,
		Size: cat.size, Face: bold, Color: bandText, Text: cat.text,
	})
	return bandTop
}

// addNameColumn adds p's name and company to the column left of the QR,
// colW wide from colLeft, between top and bottom: the company on one
// line, shrunk a little, then cut; the name as large as fits the rest;
// the two centred as a block.
func (d *design) addNameColumn(p checkin.Person, colLeft, colW, top, bottom, s float64) {
	fi := fonts()
	var comp fitted
	compH := 0.0
	if p.Company != "" {
		comp = fit(regular, p.Company, colW, 13*s, 9*s)
		compH = (fi[regular].ascent + fi[regular].descent) * comp.size * ptMM
	}
	gap := 0.0
	if compH > 0 {
		gap = 2 * s
	}
	name := fitName(p.Name, colW, bottom-top-compH-gap, 34*s, 8*s)
	lineH := 1.12 * name.size * ptMM
	nameH := float64(len(name.lines))*lineH - (1.12-fi[bold].ascent-fi[bold].descent)*name.size*ptMM
	y := top + (bottom-top-nameH-gap-compH)/2
	for i, l := range name.lines {
		d.Texts = append(d.Texts, textOp{X: colLeft, Y: y + fi[bold].ascent*name.size*ptMM + float64(i)*lineH, Size: name.size, Face: bold, Color: black, Text: l})
	}
	if compH > 0 {
		y += nameH + gap
		d.Texts = append(d.Texts, textOp{X: colLeft, Y: y + fi[regular].ascent*comp.size*ptMM, Size: comp.size, Face: regular, Color: darkGrey, Text: comp.text})
	}
}

type fitted struct {
	text string
	size float64
}

// fit returns text on one line of width w: at size hi if it fits, else
// at the largest size down to lo that does, else cut with an ellipsis
// at lo.
func fit(f face, text string, w, hi, lo float64) fitted {
	ems := fonts()[f].ems(text)
	if ems == 0 {
		return fitted{text, hi}
	}
	size := w / (ems * ptMM)
	switch {
	case size >= hi:
		return fitted{text, hi}
	case size >= lo:
		return fitted{text, floorHalf(size)}
	}
	return fitted{cut(f, text, w, lo), lo}
}

// cut shortens text with an ellipsis until it fits w at size.
func cut(f face, text string, w, size float64) string {
	r := []rune(text)
	for len(r) > 0 && textWidth(f, string(r)+"…", size) > w {
		r = r[:len(r)-1]
	}
	return strings.TrimSpace(string(r)) + "…"
}

type fittedName struct {
	lines []string
	size  float64
}

// fitName sets a name in bold as large as fits a box w × h, up to hi
// points: on one line, or broken at a space into two when that makes it
// clearly larger (long names, or first and last name on their own
// lines). Below lo it cuts the lines with an ellipsis.
func fitName(name string, w, h, hi, lo float64) fittedName {
	fi := fonts()[bold]
	// Height of n lines at size s is about (n-1)×1.12s + (ascent+descent)s.
	hFor := func(lines int) float64 { return h / ((float64(lines-1)*1.12 + fi.ascent + fi.descent) * ptMM) }
	best := fittedName{lines: []string{name}, size: min(hi, hFor(1), w/(fi.ems(name)*ptMM))}
	words := strings.Fields(name)
	for i := 1; i < len(words); i++ {
		l1, l2 := strings.Join(words[:i], " "), strings.Join(words[i:], " ")
		size := min(hi, hFor(2), w/(max(fi.ems(l1), fi.ems(l2))*ptMM))
		better := size > best.size
		if len(best.lines) == 1 {
			better = size > best.size*1.1 // one line reads more naturally
		}
		if better {
			best = fittedName{lines: []string{l1, l2}, size: size}
		}
	}
	if best.size >= lo {
		best.size = floorHalf(best.size)
		return best
	}
	best.size = lo
	for i, l := range best.lines {
		if textWidth(bold, l, lo) > w {
			best.lines[i] = cut(bold, l, w, lo)
		}
	}
	return best
}

func floorHalf(v float64) float64 { return float64(int(v*2)) / 2 }

// layoutTall lays out a badge taller than wide (a 62 mm label cut at
// 100 mm, an A6 card), where a column beside the QR would be too narrow
// for a name: the event's name, then the person's name across the whole
// width and the company under it, then the QR as large as the rest
// allows, centred, and the category's band across the bottom. Sizes
// scale with the width, so the label and A6 look alike.
func layoutTall(r Rect, ev *checkin.Event, p checkin.Person, modules int) design {
	var d design
	s := r.W / 62 // 1 on the label
	pad := 3 * s
	fi := fonts()
	w := r.W - 2*pad

	bandH := 0.12 * r.H
	bandTop := r.Y + r.H - bandH
	bandColor, bandText := CategoryColors(ev, p.Category)
	d.Rects = append(d.Rects, rectOp{Rect{r.X, bandTop, r.W, bandH}, bandColor})
	cat := fit(bold, strings.ToUpper(categoryName(ev, p.Category)), w, 0.42*bandH/ptMM, 7*s)
	d.Texts = append(d.Texts, textOp{
		X: r.X + (r.W-textWidth(bold, cat.text, cat.size))/2, Y: bandTop + bandH/2 + fi[bold].capH*cat.size*ptMM/2,
		Size: cat.size, Face: bold, Color: bandText, Text: cat.text,
	})

	y := r.Y + pad
	if ev.Name != "" {
		size := 7 * s
		e := fit(regular, ev.Name, w, size, size)
		d.Texts = append(d.Texts, textOp{X: r.X + pad, Y: y + fi[regular].capH*size*ptMM, Size: size, Face: regular, Color: midGrey, Text: e.text})
		y += (fi[regular].capH + 0.8) * size * ptMM
	}
	name := fitName(p.Name, w, 0.22*r.H, 26*s, floorHalf(9*s))
	lineH := 1.12 * name.size * ptMM
	for i, l := range name.lines {
		d.Texts = append(d.Texts, textOp{X: r.X + pad, Y: y + fi[bold].ascent*name.size*ptMM + float64(i)*lineH, Size: name.size, Face: bold, Color: black, Text: l})
	}
	y += float64(len(name.lines)-1)*lineH + (fi[bold].ascent+fi[bold].descent)*name.size*ptMM
	if p.Company != "" {
		c := fit(regular, p.Company, w, 11*s, 8*s)
		y += 1.5 * s
		d.Texts = append(d.Texts, textOp{X: r.X + pad, Y: y + fi[regular].ascent*c.size*ptMM, Size: c.size, Face: regular, Color: darkGrey, Text: c.text})
		y += (fi[regular].ascent + fi[regular].descent) * c.size * ptMM
	}

	// The QR, quiet zone included, fills the space left between the text
	// and the band, and never prints smaller than on the other badges.
	n := modules - 2*QuietZone
	minQ := QRSymbolMM * float64(modules) / float64(n)
	qSize := max(min(r.W-pad, bandTop-y-s), minQ)
	d.QR = Rect{X: r.X + (r.W-qSize)/2, Y: y + (bandTop-y-qSize)/2, W: qSize, H: qSize}
	return d
}
