package badge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"usher/checkin"
)

// DPI is the resolution of a badge image: what badge and label printers
// print at, so the image prints at its size without resampling.
const DPI = 300

// Image draws p's badge, the same as on the sheet, at DPI pixels per inch
// and the size of a badge of the sheet's layout. It returns the image and
// the code in its QR.
func (s Sheet) Image(p checkin.Person) (*image.RGBA, string, error) {
	l, err := FindLayout(s.Layout)
	if err != nil {
		return nil, "", err
	}
	if s.Event == nil {
		return nil, "", errors.New("badge image: no event")
	}
	if err := CheckKey(s.Event, s.Key); err != nil {
		return nil, "", err
	}
	pr := s.prepareOne(p)
	if pr.err != nil {
		return nil, "", pr.err
	}
	px := func(mm float64) int { return int(math.Round(mm * DPI / 25.4)) }
	img := image.NewRGBA(image.Rect(0, 0, px(l.BadgeW), px(l.BadgeH)))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)

	d := layoutBadge(Rect{W: l.BadgeW, H: l.BadgeH}, s.Event, p, len(pr.bitmap))
	for _, r := range d.Rects {
		draw.Draw(img, image.Rect(px(r.X), px(r.Y), px(r.X+r.W), px(r.Y+r.H)), image.NewUniform(r.Color), image.Point{}, draw.Src)
	}
	for _, t := range d.Texts {
		f, err := opentype.NewFace(fonts()[t.Face].f, &opentype.FaceOptions{Size: t.Size, DPI: DPI, Hinting: font.HintingNone})
		if err != nil {
			return nil, "", fmt.Errorf("badge image: %w", err)
		}
		dr := font.Drawer{Dst: img, Src: image.NewUniform(t.Color), Face: f, Dot: fixed.Point26_6{X: fixed.Int26_6(t.X * DPI / 25.4 * 64), Y: fixed.Int26_6(t.Y * DPI / 25.4 * 64)}}
		dr.DrawString(t.Text)
		f.Close()
	}
	// Each module spans the pixels its edges round to, so the symbol keeps
	// its exact size (modules differ by a pixel at most).
	m := d.QR.W / float64(len(pr.bitmap))
	for y, row := range pr.bitmap {
		for x, dark := range row {
			c := white
			if dark {
				c = black
			}
			r := image.Rect(px(d.QR.X+float64(x)*m), px(d.QR.Y+float64(y)*m), px(d.QR.X+float64(x+1)*m), px(d.QR.Y+float64(y+1)*m))
			draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
		}
	}
	return img, pr.code, nil
}

// PNG is Image encoded as PNG, marked as DPI pixels per inch so it
// prints at the badge's size.
func (s Sheet) PNG(p checkin.Person) ([]byte, string, error) {
	img, code, err := s.Image(p)
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, "", fmt.Errorf("badge image: %w", err)
	}
	return withDPI(b.Bytes(), DPI), code, nil
}

// withDPI adds a pHYs chunk, which image/png does not write, after the
// IHDR chunk of a PNG.
func withDPI(p []byte, dpi int) []byte {
	const ihdrEnd = len(pngSignature) + 4 + 4 + 13 + 4 // IHDR's length, type, data and CRC
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	phys := binary.BigEndian.AppendUint32(nil, ppm)
	phys = binary.BigEndian.AppendUint32(phys, ppm)
	phys = append(phys, 1) // the unit is the metre
	out := append([]byte{}, p[:ihdrEnd]...)
	out = appendChunk(out, "pHYs", phys)
	return append(out, p[ihdrEnd:]...)
}
