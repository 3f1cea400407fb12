package badge

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"

	"usher/checkin"
)

// Layout is a page format for printed badges: the page, and a grid of
// badges on it. Lengths are in millimetres.
type Layout struct {
	Name         string
	About        string
	PageW, PageH float64
	BadgeW       float64
	BadgeH       float64
	Cols, Rows   int
	Left, Top    float64 // the top-left corner of the first badge
	GapX, GapY   float64 // between neighbouring badges
}

// layouts are the page formats Sheet knows, the default first. The label
// sheets match common stock, so badges land on the labels.
var layouts = []Layout{
	{
		Name: "insert-4x3", About: "one 4×3 in badge a page, for badge inserts and card printers",
		PageW: 101.6, PageH: 76.2, BadgeW: 101.6, BadgeH: 76.2, Cols: 1, Rows: 1,
	},
	{
		// Avery L7165 and compatible: 8 labels of 99.1 × 67.7 mm.
		Name: "a4-labels", About: "A4 sheet of 2×4 labels of 99.1×67.7 mm, as Avery L7165",
		PageW: 210, PageH: 297, BadgeW: 99.1, BadgeH: 67.7, Cols: 2, Rows: 4,
		Left: 4.65, Top: 13.1, GapX: 2.5,
	},
	{
		// Avery 5392 name badge inserts: 6 of 4 × 3 in on US Letter.
		Name: "letter-labels", About: "US Letter sheet of 2×3 badges of 4×3 in, as Avery 5392",
		PageW: 215.9, PageH: 279.4, BadgeW: 101.6, BadgeH: 76.2, Cols: 2, Rows: 3,
		Left: 6.35, Top: 25.4,
	},
	{
		// Brother QL and compatible: 62 mm continuous tape, cut at 100 mm.
		Name: "label-62x100", About: "one badge a 62×100 mm label, for label printers with 62 mm tape",
		PageW: 62, PageH: 100, BadgeW: 62, BadgeH: 100, Cols: 1, Rows: 1,
	},
	{
		Name: "a6", About: "one badge an A6 page (105×148 mm), for A6 cards or card printers",
		PageW: 105, PageH: 148, BadgeW: 105, BadgeH: 148, Cols: 1, Rows: 1,
	},
}

// Layouts returns the names of the page layouts, the default first.
func Layouts() []string {
	names := make([]string, len(layouts))
	for i, l := range layouts {
		names[i] = l.Name
	}
	return names
}

// FindLayout returns the layout called name; "" is the default. It
// returns a *checkin.Error (EINVALID) naming the layouts for any other
// name.
func FindLayout(name string) (Layout, error) {
	if name == "" {
		return layouts[0], nil
	}
	for _, l := range layouts {
		if l.Name == name {
			return l, nil
		}
	}
	return Layout{}, checkin.Errorf(checkin.EINVALID, "unknown badge layout %q (layouts: %s)", name, strings.Join(Layouts(), ", "))
}

// PerPage is how many badges fit a page.
func (l Layout) PerPage() int { return l.Cols * l.Rows }

// Pages is how many pages n badges take.
func (l Layout) Pages(n int) int { return (n + l.PerPage() - 1) / l.PerPage() }

// Badge returns where the i-th badge (counted from 0 over the whole
// document) is on its page, badges filling rows left to right.
func (l Layout) Badge(i int) Rect {
	k := i % l.PerPage()
	col, row := k%l.Cols, k/l.Cols
	return Rect{
		X: l.Left + float64(col)*(l.BadgeW+l.GapX),
		Y: l.Top + float64(row)*(l.BadgeH+l.GapY),
		W: l.BadgeW, H: l.BadgeH,
	}
}

// Sheet prints signed badges for an event.
type Sheet struct {
	Layout      string             // one of Layouts(); "" is the default
	Event       *checkin.Event     // validated
	Key         ed25519.PrivateKey // must be one of Event.Keys
	From, Until time.Time          // the badges' validity; Until zero: no end
	// OnBadge, if set, is called for each badge in order, with the code
	// in its QR and the PNG image of the QR embedded in the PDF.
	OnBadge func(i int, p checkin.Person, code string, qrPNG []byte)
}

// qrScale is the number of image pixels per QR module in the embedded
// PNG. One pixel a module would do for a printer, but viewers smooth a
// small image when they enlarge it and blur the modules on screen; at 4,
// smoothing blurs only the edges, and the PNG of a typical badge (version
// 7) is 570 bytes instead of 450.
const qrScale = 4

// CheckKey reports whether key signs badges the event's kiosks accept:
// its key id must be one of the event's [[key]] blocks. Otherwise every
// kiosk would deny every badge it signs, so it returns a *checkin.Error
// (EINVALID) saying which ids the event knows.
func CheckKey(ev *checkin.Event, key ed25519.PrivateKey) error {
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok || len(key) != ed25519.PrivateKeySize {
		return checkin.Errorf(checkin.EINVALID, "not an Ed25519 signing key")
	}
	id := KeyID(pub)
	var ids []string
	for _, k := range ev.Keys {
		if k.ID == id {
			return nil
		}
		ids = append(ids, k.ID)
	}
	known := "none"
	if len(ids) > 0 {
		known = strings.Join(ids, ", ")
	}
	return checkin.Errorf(checkin.EINVALID,
		"the signing key (key id %s) is not among the event %q's [[key]] blocks (ids: %s), so kiosks would deny every badge it signs; add its block to the event file (usher-central keys prints it) or use the event's key",
		id, ev.ID, known)
}

// prepared is one badge's code and QR, made ahead of the page.
type prepared struct {
	code   string
	bitmap [][]bool // the QR's modules, quiet zone included
	png    []byte   // the bitmap as the PDF embeds it
	err    error
}

// prepare signs and encodes each person's badge into out, on all CPUs:
// signing and choosing the QR mask take most of a badge's time, while
// the PDF itself must be built in order.
func (s Sheet) prepare(people []checkin.Person, out []prepared) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				out[i] = s.prepareOne(people[i])
			}
		})
	}
	for i := range people {
		next <- i
	}
	close(next)
	wg.Wait()
}

func (s Sheet) prepareOne(p checkin.Person) prepared {
	code, err := Code(s.Event, p, s.Key, s.From, s.Until)
	if err != nil {
		return prepared{err: err}
	}
	q, err := QR(code)
	if err != nil {
		return prepared{err: fmt.Errorf("badge for %s: %w", p.ID, err)}
	}
	bm := q.Bitmap() // quiet zone included
	b, err := qrPNG(bm, qrScale)
	if err != nil {
		return prepared{err: fmt.Errorf("badge for %s: %w", p.ID, err)}
	}
	return prepared{code: code, bitmap: bm, png: b}
}

// qrPNG draws a QR bitmap as a 1-bit greyscale PNG, scale pixels a
// module. image/png would write 8 bits a pixel, or a palette, which
// fpdf compresses again for every image with a fresh 1 MB zlib writer.
func qrPNG(bm [][]bool, scale int) ([]byte, error) {
	n := len(bm) * scale
	stride := (n + 7) / 8
	raw := make([]byte, 0, (1+stride)*n)
	row := make([]byte, stride)
	for _, modules := range bm {
		for i := range row {
			row[i] = 0xff // white
		}
		for x, dark := range modules {
			for px := x * scale; dark && px < (x+1)*scale; px++ {
				row[px/8] &^= 0x80 >> (px % 8)
			}
		}
		for range scale {
			raw = append(raw, 0) // filter: none
			raw = append(raw, row...)
		}
	}
	var idat bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&idat)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(n))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(n))
	ihdr = append(ihdr, 1, 0, 0, 0, 0) // 1 bit, greyscale, deflate, no filter, no interlace
	out := []byte(pngSignature)
	out = appendChunk(out, "IHDR", ihdr)
	out = appendChunk(out, "IDAT", idat.Bytes())
	return appendChunk(out, "IEND", nil), nil
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// zlibWriters are reused: each holds about 1 MB of compressor state.
var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestCompression)
	return w
}}

// appendChunk appends a PNG chunk: length, type, data and CRC.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// batch is how many badges are prepared ahead of the PDF at a time,
// bounding the memory a large print run holds beside the PDF itself.
const batch = 256

// Write prints a badge for each person, in order, as a PDF on w. progress,
// if set, is called after each badge is placed with the number placed so
// far. A badge that cannot be made (a person's id or tags too long for
// the code) fails the whole sheet, with an error naming the person.
func (s Sheet) Write(w io.Writer, people []checkin.Person, progress func(done int)) error {
	l, err := FindLayout(s.Layout)
	if err != nil {
		return err
	}
	if s.Event == nil {
		return errors.New("badge sheet: no event")
	}
	if err := CheckKey(s.Event, s.Key); err != nil {
		return err
	}
	if len(people) == 0 {
		return checkin.Errorf(checkin.EINVALID, "no people to print badges for")
	}
	if s.From.IsZero() || (!s.Until.IsZero() && s.Until.Before(s.From)) {
		return checkin.Errorf(checkin.EINVALID, "badge validity %s – %s is not a period", s.From.Format(time.DateOnly), s.Until.Format(time.DateOnly))
	}

	// "P" takes the size as given; "L" would swap width and height.
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: l.PageW, Ht: l.PageH}})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetTitle(s.Event.Name+" badges", true)
	pdf.SetCreator("Usher", true)
	pdf.AddUTF8FontFromBytes("go", "", fonts()[regular].ttf)
	pdf.AddUTF8FontFromBytes("go", "B", fonts()[bold].ttf)

	prep := make([]prepared, min(batch, len(people)))
	for start := 0; start < len(people); start += batch {
		chunk := people[start:min(start+batch, len(people))]
		s.prepare(chunk, prep)
		for j, p := range chunk {
			i := start + j
			pr := prep[j]
			if pr.err != nil {
				return pr.err
			}
			if i%l.PerPage() == 0 {
				pdf.AddPage()
			}
			name := fmt.Sprintf("qr%d", i)
			pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(pr.png))
			paintPDF(pdf, layoutBadge(l.Badge(i), s.Event, p, len(pr.bitmap)), name)
			if err := pdf.Error(); err != nil {
				return fmt.Errorf("badge for %s: %w", p.ID, err)
			}
			if s.OnBadge != nil {
				s.OnBadge(i, p, pr.code, pr.png)
			}
			if progress != nil {
				progress(i + 1)
			}
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write badge PDF: %w", err)
	}
	return nil
}

func paintPDF(pdf *fpdf.Fpdf, d design, qrImage string) {
	for _, r := range d.Rects {
		pdf.SetFillColor(int(r.Color.R), int(r.Color.G), int(r.Color.B))
		pdf.Rect(r.X, r.Y, r.W, r.H, "F")
	}
	for _, t := range d.Texts {
		style := ""
		if t.Face == bold {
			style = "B"
		}
		pdf.SetFont("go", style, t.Size)
		pdf.SetTextColor(int(t.Color.R), int(t.Color.G), int(t.Color.B))
		pdf.Text(t.X, t.Y, t.Text)
	}
	pdf.ImageOptions(qrImage, d.QR.X, d.QR.Y, d.QR.W, d.QR.H, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
}
