package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"usher/checkin"
)

// A table is a roster's cells as the file or API holds them, whatever
// its encoding and separator: the header, then one row at a time.
type table struct {
	name   string // the file, in messages
	header []string
	line   int // the header's line: 2 after a "sep=;" line, else 1
	// next returns the next row and the line it starts on, or io.EOF. A
	// problem with the file itself (a stray quote) is an error.
	next func() (rec []string, line int, err error)
	// cellLine is the line a cell of the row just read starts on, which
	// differs from the row's in a CSV field holding a line break.
	cellLine func(col int) int
	// column names a column in messages: "3 (Product)" in a CSV file,
	// "C (Product)" in a spreadsheet.
	column func(col int) string
	// sep is the separator a CSV file was read with, for the summary.
	sep rune
	// close releases what the table reads from; nil when nothing.
	close func()
	// numeric reports whether a cell of the row just read is stored as
	// a number (a spreadsheet's); nil for text sources.
	numeric func(col int) bool
	// ragged: a row may end before the header does, its missing cells
	// empty. A spreadsheet leaves out the empty cells that end a row;
	// padding them back would cost a sheet with a heading in its last
	// column (XFD) 16,384 cells a row.
	ragged bool
}

// zipMagic starts an XLSX file; oleMagic an old binary .xls.
var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}
)

// open reads a roster file's cells: an XLSX workbook (its first sheet, or
// sheet), or CSV text in UTF-8 or Windows-1252 with `,`, `;` or tab
// between fields. warning is set when the text was not UTF-8.
func open(data []byte, name, sheet string) (t *table, warning string, err error) {
	switch {
	case bytes.HasPrefix(data, zipMagic):
		t, err = openXLSX(data, name, sheet)
		return t, "", err
	case bytes.HasPrefix(data, oleMagic):
		return nil, "", checkin.Errorf(checkin.EINVALID, "%s: this is an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8", name)
	case sheet != "":
		return nil, "", checkin.Errorf(checkin.EINVALID, "%s: --sheet %q is for an XLSX workbook, and this file is not one", name, sheet)
	}
	text, warning, err := decode(data, name)
	if err != nil {
		return nil, "", err
	}
	t, err = openCSV(bytes.NewReader(text), name, func() ([]byte, error) { return text, nil })
	return t, warning, err
}

// openSource reads a roster's cells from r as open does, but a CSV file
// as the rows are asked for rather than whole: a first pass checks its
// encoding (decode needs to know all of it to choose), the second reads
// the rows. A file decode would refuse, and a workbook, are read whole
// and go through open.
func openSource(r io.ReadSeeker, name, sheet string) (t *table, warning string, err error) {
	fail := func(err error) (*table, string, error) {
		return nil, "", checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	magic := make([]byte, 8)
	n, err := io.ReadFull(r, magic)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fail(err)
	}
	magic = magic[:n]
	var text io.Reader
	if !readWhole(magic, sheet) {
		if text, warning, err = streamText(r, magic, name); err != nil {
			return fail(err)
		}
	}
	if text == nil { // a workbook, or text decode refuses with where and why
		data, err := readAll(r)
		if err != nil {
			return fail(err)
		}
		return open(data, name, sheet)
	}
	// The whole text, read again only to name the field of a CSV error.
	full := func() ([]byte, error) {
		data, err := readAll(r)
		if err != nil {
			return nil, err
		}
		text, _, err := decode(data, name)
		return text, err
	}
	t, err = openCSV(text, name, full)
	return t, warning, err
}

// readWhole reports whether a file that starts with magic is read whole,
// through open: a workbook (which --sheet names), an old .xls or UTF-16
// text, all of which open reads or refuses at once.
func readWhole(magic []byte, sheet string) bool {
	return sheet != "" || bytes.HasPrefix(magic, zipMagic) || bytes.HasPrefix(magic, oleMagic) ||
		bytes.HasPrefix(magic, []byte{0xff, 0xfe}) || bytes.HasPrefix(magic, []byte{0xfe, 0xff})
}

// streamText checks the encoding of the text in r, which starts with
// magic, and returns r positioned for its rows to be read as UTF-8: past
// a UTF-8 byte order mark, or behind a Windows-1252 decoder (warning
// says so). It returns a nil reader when decode would refuse the text,
// so that it is read whole and refused with where and why.
func streamText(r io.ReadSeeker, magic []byte, name string) (text io.Reader, warning string, err error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	switch valid, err := validUTF8(r); {
	case err != nil:
		return nil, "", err
	case valid:
		skip := int64(0)
		if bytes.HasPrefix(magic, utf8BOM) {
			skip = int64(len(utf8BOM))
		}
		if _, err := r.Seek(skip, io.SeekStart); err != nil {
			return nil, "", err
		}
		return r, "", nil
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	if ok, err := plainWindows1252(r); err != nil || !ok {
		return nil, "", err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	return charmap.Windows1252.NewDecoder().Reader(r), name + " is not UTF-8: read as Windows-1252", nil
}

// readAll reads r from its start.
func readAll(r io.ReadSeeker) ([]byte, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// validUTF8 reports whether the rest of r is UTF-8, reading it in chunks.
func validUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, err := io.ReadFull(r, buf[carry:])
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return false, err
		}
		data := buf[:carry+n]
		cut := len(data)
		if !eof {
			// A character cut by the chunk's end goes with the next one.
			for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax+1; i-- {
				if utf8.RuneStart(data[i]) {
					if !utf8.FullRune(data[i:]) {
						cut = i
					}
					break
				}
			}
		}
		if !utf8.Valid(data[:cut]) {
			return false, nil
		}
		if eof {
			return true, nil
		}
		carry = copy(buf, data[cut:])
	}
}

// plainWindows1252 reports whether decode reads the text in r, which is
// not UTF-8, as Windows-1252: no byte order mark, no character that is
// UTF-8 beyond ASCII, no byte Windows-1252 leaves undefined.
func plainWindows1252(r io.Reader) (bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		c, size, err := br.ReadRune()
		switch {
		case err == io.EOF:
			return true, nil
		case err != nil:
			return false, err
		case size > 1: // a byte order mark too
			return false, nil
		case c == utf8.RuneError:
			br.UnreadRune()
			b, _ := br.ReadByte()
			if charmap.Windows1252.DecodeByte(b) == utf8.RuneError {
				return false, nil
			}
		}
	}
}

// headSize is how much of a CSV file the separator is sniffed from: the
// header line, however many columns an export has, and the lines before.
const headSize = 1 << 20

// openCSV reads CSV text as the rows are asked for, with the separator
// csvHead finds. full returns the whole text again, to name the field of
// a CSV error.
func openCSV(text io.Reader, name string, full func() ([]byte, error)) (*table, error) {
	head, sep, err := csvHead(text, name)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(io.MultiReader(bytes.NewReader(head), text))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	fail := func(err error) error { return csvReadError(name, sep, full, err) }
	header, err := cr.Read()
	if err == io.EOF {
		return nil, checkin.Errorf(checkin.EINVALID, "%s: the file is empty; expected a header line id,name,category,code", name)
	} else if err != nil {
		return nil, fail(err)
	}
	headerLine, _ := cr.FieldPos(0) // after blank lines, or a sep= line
	t := &table{name: name, header: header, line: headerLine, sep: sep}
	t.next = func() ([]string, int, error) {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		} else if err != nil {
			return nil, 0, fail(err)
		}
		line, _ := cr.FieldPos(0)
		return rec, line, nil
	}
	t.cellLine = func(col int) int {
		line, _ := cr.FieldPos(col)
		return line
	}
	t.column = func(col int) string { return fmt.Sprintf("%d (%s)", col+1, header[col]) }
	return t, nil
}

// csvHead reads the head of CSV text (headSize) and finds its separator:
// of `,`, `;` and tab outside quotes, the one that splits the header
// into a roster Usher knows, else the most frequent. A first line
// "sep=;", which Excel writes and reads, names it instead; the head it
// returns has an empty line in its place (sepLine).
func csvHead(text io.Reader, name string) (head []byte, sep rune, err error) {
	head = make([]byte, headSize)
	n, err := io.ReadFull(text, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, 0, checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	head = head[:n]
	sep, head, err = sepLine(head, name)
	if err != nil {
		return nil, 0, err
	}
	reader := func(sep rune) *csv.Reader {
		cr := csv.NewReader(bytes.NewReader(head))
		cr.Comma = sep
		cr.FieldsPerRecord = -1 // checked by the caller, to name the line
		return cr
	}
	if sep == 0 {
		sep = sniff(head, reader)
	}
	return head, sep, nil
}

// csvReadError is the error for err, met reading CSV text separated by
// sep: a CSV syntax error names its line and field, which full (the
// whole text again) is read for.
func csvReadError(name string, sep rune, full func() ([]byte, error), err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	whole, ferr := full()
	if ferr == nil {
		_, whole, ferr = sepLine(whole, name)
	}
	if ferr != nil {
		return checkin.Errorf(checkin.EINVALID, "%s:%d: %v", name, pe.StartLine, pe.Err)
	}
	return csvError(name, whole, sep, err)
}

// sepLine reads a first line "sep=;" of CSV text: it returns the
// separator it names, and the text with an empty line in its place,
// which the reader skips, so that the lines of the rest keep their
// numbers. Without one it returns 0 and the text as it is.
func sepLine(text []byte, name string) (rune, []byte, error) {
	first, rest, _ := bytes.Cut(text, []byte("\n"))
	line := strings.TrimSuffix(string(first), "\r")
	if len(line) != 5 || !strings.HasPrefix(strings.ToLower(line), "sep=") {
		return 0, text, nil
	}
	sep := rune(line[4])
	if !strings.ContainsRune(",;\t", sep) {
		return 0, nil, checkin.Errorf(checkin.EINVALID, "%s:1: separator %q: use , ; or tab", name, sep)
	}
	return sep, append([]byte("\n"), rest...), nil
}

// sniff picks the separator of CSV text from its header line, the
// first that is not blank.
func sniff(text []byte, reader func(rune) *csv.Reader) rune {
	first, rest, _ := bytes.Cut(text, []byte("\n"))
	for len(bytes.TrimSpace(first)) == 0 && len(rest) > 0 {
		first, rest, _ = bytes.Cut(rest, []byte("\n"))
	}
	count := map[rune]int{}
	quoted := false
	for _, c := range string(first) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && strings.ContainsRune(",;\t", c):
			count[c]++
		}
	}
	seps := []rune{',', ';', '\t'}
	slices.SortStableFunc(seps, func(a, b rune) int { return count[b] - count[a] })
	for _, sep := range seps {
		if count[sep] == 0 {
			break
		}
		if header, err := reader(sep).Read(); err == nil {
			if _, _, err := mapHeader("", 1, header); err == nil {
				return sep
			}
		}
	}
	return seps[0]
}

// xlsxLimit bounds what an XLSX roster may unpack to: a 500,000-person
// roster is a few hundred megabytes, a zip bomb far more.
const xlsxLimit = 2 << 30

// openXLSX reads a workbook's sheet (the first when sheet is "") as a
// table, one row at a time. Cells are read as stored, not as formatted
// for display, so a long ticket number is not shown as 1.23E+12. The
// table's close releases the workbook.
func openXLSX(data []byte, name, sheet string) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: xlsxLimit})
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "%s: not a readable XLSX workbook: %v", name, err)
	}
	t, err := sheetTable(f, name, sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

// sheetTable reads sheet of the open workbook f (the first when sheet
// is ""), its first row the header.
func sheetTable(f *excelize.File, name, sheet string) (*table, error) {
	sheets := f.GetSheetList()
	switch {
	case len(sheets) == 0:
		return nil, checkin.Errorf(checkin.EINVALID, "%s: the workbook has no sheet", name)
	case sheet == "":
		sheet = sheets[0]
	case !slices.Contains(sheets, sheet):
		return nil, checkin.Errorf(checkin.EINVALID, "%s: the workbook has no sheet %q (sheets: %s)", name, sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "%s, sheet %s: %v", name, sheet, err)
	}
	sr := &sheetRows{rows: rows, where: name}
	if len(sheets) > 1 {
		sr.where = fmt.Sprintf("%s (sheet %s)", name, sheet)
	}
	header, err := sr.next()
	if err == io.EOF || err == nil && len(header) == 0 {
		others := ""
		if len(sheets) > 1 {
			others = fmt.Sprintf(" (the workbook's sheets: %s; choose one with --sheet)", strings.Join(sheets, ", "))
		}
		return nil, checkin.Errorf(checkin.EINVALID, "%s, sheet %s: the sheet is empty; expected a header row id,name,category,code%s", name, sheet, others)
	} else if err != nil {
		return nil, err
	}
	t := &table{name: sr.where, header: header, line: 1, ragged: true, close: func() { rows.Close(); f.Close() }}
	t.next = func() ([]string, int, error) {
		rec, err := sr.next()
		return rec, sr.line, err
	}
	t.cellLine = func(int) int { return sr.line }
	t.column = func(col int) string {
		letter, _ := excelize.ColumnNumberToName(col + 1)
		return fmt.Sprintf("%s (%s)", letter, header[col])
	}
	t.numeric = func(col int) bool {
		cell, err := excelize.CoordinatesToCellName(col+1, sr.line)
		if err != nil {
			return false
		}
		typ, err := f.GetCellType(sheet, cell)
		return err == nil && (typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset)
	}
	return t, nil
}

// sheetRows reads a sheet's rows, counting their lines.
type sheetRows struct {
	rows  *excelize.Rows
	where string // the file in messages, with the sheet when it has others
	line  int    // the row read last
}

// next returns the next row with its trailing empty cells cut, which
// a spreadsheet may or may not write.
func (sr *sheetRows) next() ([]string, error) {
	if !sr.rows.Next() {
		if err := sr.rows.Error(); err != nil {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: %v", sr.where, sr.line+1, err)
		}
		return nil, io.EOF
	}
	sr.line++
	rec, err := sr.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: %v", sr.where, sr.line, err)
	}
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	return rec, nil
}

// rowsTable is a table of rows already in memory, as an API returns
// them: line n is the n-th row, the header being line 1.
func rowsTable(name string, header []string, rows [][]string) *table {
	i := 0
	t := &table{name: name, header: header, line: 1}
	t.next = func() ([]string, int, error) {
		if i >= len(rows) {
			return nil, 0, io.EOF
		}
		i++
		return rows[i-1], i + 1, nil
	}
	t.cellLine = func(int) int { return i + 1 }
	t.column = func(col int) string { return fmt.Sprintf("%d (%s)", col+1, header[col]) }
	return t
}

// utf8BOM starts many spreadsheet exports, before a quoted heading too.
var utf8BOM = []byte("\ufeff")

// decode returns a roster file's bytes as UTF-8 without a byte order
// mark. A file that is not UTF-8 is read as Windows-1252, what Excel's
// plain "CSV" writes in western Europe and the Americas (it covers
// Latin-1's letters), and the warning says so. It is refused, naming the
// line and offset of the first byte at fault, when it is UTF-8 elsewhere
// (a byte order mark, or a character beyond ASCII: converting would
// garble those) or has a byte that Windows-1252 leaves undefined; and a
// UTF-16 file is refused whole. Never guessing further keeps mojibake
// out of the roster.
func decode(data []byte, name string) (text []byte, warning string, err error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, "", checkin.Errorf(checkin.EINVALID, "%s:1: the file is UTF-16 text; save it as CSV UTF-8", name)
	}
	body := bytes.TrimPrefix(data, utf8BOM)
	if utf8.Valid(body) {
		return body, "", nil
	}
	skip := len(data) - len(body)
	refuse := func(i int, why string) error {
		at := skip + i
		return checkin.Errorf(checkin.EINVALID, "%s:%d: byte 0x%02X at offset %d %s; save the file as CSV UTF-8",
			name, 1+bytes.Count(data[:at], []byte("\n")), data[at], at, why)
	}
	first, multibyte := -1, false
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n == 1 && first < 0 {
			first = i
		}
		multibyte = multibyte || n > 1
		i += n
	}
	if skip > 0 || multibyte {
		return nil, "", refuse(first, "is not UTF-8, though the file is UTF-8 elsewhere")
	}
	text = make([]byte, 0, len(body)+len(body)/8)
	for i, b := range body {
		r := charmap.Windows1252.DecodeByte(b)
		if r == utf8.RuneError {
			return nil, "", refuse(i, "is neither UTF-8 nor Windows-1252")
		}
		text = utf8.AppendRune(text, r)
	}
	return text, name + " is not UTF-8: read as Windows-1252", nil
}

func csvError(name string, data []byte, sep rune, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return checkin.Errorf(checkin.EINVALID, "%s:%d, column %d: %v", name, pe.StartLine, fieldAt(data, sep, pe), pe.Err)
	}
	return checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
}

// fieldAt turns a CSV error's byte position into the number of the field
// it is in, counting from 1, or the field whose opening quote never
// closed.
func fieldAt(data []byte, sep rune, pe *csv.ParseError) int {
	offset := func(line int) int {
		i := 0
		for n := 1; n < line && i < len(data); n++ {
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				return len(data)
			}
			i += j + 1
		}
		return i
	}
	end := min(offset(pe.Line)+max(pe.Column-1, 0), len(data))
	field, quoted, quoteField := 1, false, 0
	for i := offset(pe.StartLine); i < end; i++ {
		switch rune(data[i]) {
		case '"':
			quoted = !quoted
			if quoted {
				quoteField = field
			}
		case sep:
			if !quoted {
				field++
			}
		}
	}
	if quoted && quoteField > 0 {
		return quoteField
	}
	return field
}
