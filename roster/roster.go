// Package roster reads attendee lists from CSV: Usher's own columns, and
// the attendee exports of pretix and Eventbrite. It checks every row
// against the event and reports problems by line and column, so a bad
// file is rejected whole before anything is written.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"usher/badge"
	"usher/checkin"
)

// Format is the kind of CSV a roster came in.
type Format string

const (
	Generic    Format = "generic"
	Pretix     Format = "pretix"
	Eventbrite Format = "eventbrite"
)

// field is one of Usher's person fields and the headings that feed it in
// each format. A format lists several headings where exports differ by
// version or settings; the first present wins.
type field struct {
	name     string
	required bool
	headings map[Format][]string
}

// fields is the heading mapping documented in the README.
var fields = []field{
	{"id", true, map[Format][]string{
		Generic: {"id"}, Pretix: {"position id", "secret", "ticket secret"}, Eventbrite: {"attendee #", "attendee id"}}},
	{"name", true, map[Format][]string{
		Generic: {"name"}, Pretix: {"attendee name", "name"}, Eventbrite: {"first name"}}},
	{"category", true, map[Format][]string{
		Generic: {"category"}, Pretix: {"product", "item"}, Eventbrite: {"ticket type"}}},
	{"code", true, map[Format][]string{
		Generic: {"code"}, Pretix: {"secret", "ticket secret"}, Eventbrite: {"barcode #", "barcode"}}},
	{"company", false, map[Format][]string{
		Generic: {"company"}, Pretix: {"company"}, Eventbrite: {"company"}}},
	{"email", false, map[Format][]string{
		Generic: {"email"}, Pretix: {"e-mail", "attendee email", "email"}, Eventbrite: {"email"}}},
	{"tags", false, map[Format][]string{
		Generic: {"tags"}}},
	{"serial", false, map[Format][]string{
		Generic: {"serial", "badge serial"}}},
	{"last name", false, map[Format][]string{
		Eventbrite: {"last name"}}},
	{"order code", false, map[Format][]string{
		Pretix: {"order code"}}},
}

// maxErrors bounds the problems listed for one file: enough to fix a
// column mapping at once, not a wall of text.
const maxErrors = 20

// Read parses a roster CSV and checks each row against ev: required
// fields present and free of control characters (a tab inside a field
// is allowed), codes plausible and none starting like a signed badge
// (badge.Prefix), ids unique, codes unique whatever the case of their
// letters, and every category defined in the event and allowed into at
// least one space. A file that is not UTF-8 is read as Windows-1252 when
// it can be (see ReadFile for the warning). name is used in messages
// ("roster.csv:12, column category: …"). On any problem it returns a
// *checkin.Error (EINVALID) listing up to 20 of them and no people.
func Read(r io.Reader, name string, ev *checkin.Event) ([]checkin.Person, Format, error) {
	people, format, _, err := read(r, name, ev)
	return people, format, err
}

// read is Read, which also returns the warning of a file read as
// Windows-1252, or "".
func read(r io.Reader, name string, ev *checkin.Event) ([]checkin.Person, Format, string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, "", "", checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	data, warning, err := decode(data, name)
	if err != nil {
		return nil, "", "", err
	}
	people, format, err := parse(data, name, ev)
	if err != nil {
		warning = ""
	}
	return people, format, warning, err
}

// parse reads the people of a roster in UTF-8.
func parse(data []byte, name string, ev *checkin.Event) ([]checkin.Person, Format, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // checked here, to name the line
	header, err := cr.Read()
	if err == io.EOF {
		return nil, "", checkin.Errorf(checkin.EINVALID, "%s: the file is empty; expected a header line id,name,category,code", name)
	} else if err != nil {
		return nil, "", csvError(name, data, err)
	}
	format, cols, err := mapHeader(name, header)
	if err != nil {
		return nil, "", err
	}

	mapped := make([]bool, len(header))
	for _, i := range cols {
		mapped[i] = true
	}
	type codeLine struct {
		code string
		line int
	}
	var (
		people  = []checkin.Person{}
		probs   []string
		idLine  = map[string]int{}
		codeFor = map[string]codeLine{} // by FoldCode
	)
	problem := func(line int, col, format string, args ...any) {
		where := fmt.Sprintf("%s:%d", name, line)
		if col != "" {
			where += ", column " + col
		}
		probs = append(probs, where+": "+fmt.Sprintf(format, args...))
	}
	for len(probs) < maxErrors {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, "", csvError(name, data, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(header) {
			problem(line, "", "%d fields, but the header has %d", len(rec), len(header))
			continue
		}
		get := func(f string) string {
			if i, ok := cols[f]; ok {
				return strings.TrimSpace(unescapeFormula(strings.TrimSpace(rec[i])))
			}
			return ""
		}
		column := func(i int) string { return fmt.Sprintf("%d (%s)", i+1, header[i]) }
		heading := func(f string) string { return column(cols[f]) }
		// A NUL, an escape sequence or a line break would reach the
		// kiosk's screen, the badges and the center's database (which
		// refuses a NUL); columns Usher does not read are not imported.
		bad := false
		for i, v := range rec {
			if !mapped[i] {
				continue
			}
			v = strings.TrimSpace(v)
			if j := strings.IndexFunc(v, control); j >= 0 {
				r, _ := utf8.DecodeRuneInString(v[j:])
				fieldLine, _ := cr.FieldPos(i)
				problem(fieldLine, column(i), "control character U+%04X in %q: remove it (a tab is the only one a field may hold)", r, v)
				bad = true
			}
		}
		if bad {
			continue
		}
		p := checkin.Person{
			ID: get("id"), Name: get("name"), Company: get("company"), Email: get("email"), Code: get("code"),
		}
		if format == Pretix && get("order code") != "" && cols["id"] != cols["code"] {
			p.ID = get("order code") + "-" + p.ID
		}
		if last := get("last name"); last != "" {
			p.Name = strings.TrimSpace(p.Name + " " + last)
		}
		for _, t := range strings.Split(get("tags"), ";") {
			if t = strings.TrimSpace(t); t != "" {
				p.Tags = append(p.Tags, t)
			}
		}
		if v := get("serial"); v != "" {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				problem(line, heading("serial"), "badge serial %q must be a whole number from 0 to %d", v, uint32(1<<32-1))
			}
			p.Serial = uint32(n)
		}
		for _, f := range []string{"id", "name", "category", "code"} {
			if get(f) == "" {
				problem(line, heading(f), "%s is empty", f)
				bad = true
			}
		}
		if bad {
			continue
		}
		if !checkin.Printable(p.ID) || len(p.ID) > 128 {
			problem(line, heading("id"), "id %q must be at most 128 printable characters", p.ID)
		} else if prev, dup := idLine[p.ID]; dup {
			problem(line, heading("id"), "id %q is already used on line %d", p.ID, prev)
		} else {
			idLine[p.ID] = line
		}
		fold := FoldCode(p.Code)
		if !checkin.PlausibleCode(p.Code) {
			problem(line, heading("code"), "%q is not a plausible badge code (printable, at most %d bytes)", p.Code, checkin.MaxCodeLen)
		} else if badge.IsBadge(p.Code) {
			problem(line, heading("code"), "code %q starts with %s, which marks a signed badge: the kiosk would check it as one and deny it; give this person another code",
				p.Code, badge.Prefix)
		} else if prev, dup := codeFor[fold]; dup && prev.code == p.Code {
			problem(line, heading("code"), "code %q is already used on line %d", p.Code, prev.line)
		} else if dup {
			problem(line, heading("code"), "code %q differs from code %q on line %d only by case; the kiosk matches codes whatever their case, so give one of them another code",
				p.Code, prev.code, prev.line)
		} else {
			codeFor[fold] = codeLine{p.Code, line}
		}
		raw := get("category")
		if id, ok := ev.ResolveCategory(raw); !ok {
			problem(line, heading("category"), "category %q is not defined in the event file (defined: %s)", raw, ev.CategoryIDs())
		} else if !ev.Reaches(id) {
			problem(line, heading("category"), "category %q may enter no space; give it may_enter in the event file, since everyone on the roster must be admitted somewhere and counted", id)
		} else {
			p.Category = id
		}
		people = append(people, p)
	}
	if len(probs) > 0 {
		msg := strings.Join(probs, "\n")
		if len(probs) == maxErrors {
			msg += "\n(stopped after " + fmt.Sprint(maxErrors) + " problems)"
		}
		return nil, format, checkin.Errorf(checkin.EINVALID, "%s", msg)
	}
	if len(people) == 0 {
		return nil, format, checkin.Errorf(checkin.EINVALID, "%s: the roster has a header but no people", name)
	}
	return people, format, nil
}

// mapHeader finds the format and each field's column.
func mapHeader(name string, header []string) (Format, map[string]int, error) {
	norm := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := norm[h]; dup && h != "" {
			return "", nil, checkin.Errorf(checkin.EINVALID, "%s:1, column %d: heading %q appears twice", name, i+1, header[i])
		}
		norm[h] = i
	}
	var missing []string
	for _, format := range []Format{Generic, Pretix, Eventbrite} {
		cols := map[string]int{}
		missing = missing[:0]
		for _, f := range fields {
			hs, ok := f.headings[format]
			if !ok {
				continue
			}
			found := false
			for _, h := range hs {
				if i, ok := norm[h]; ok {
					cols[f.name], found = i, true
					break
				}
			}
			if !found && f.required {
				missing = append(missing, f.name)
			}
		}
		if len(missing) == 0 {
			return format, cols, nil
		}
		if format == Generic && len(missing) < 4 {
			// Looks like our own format with a column missing: say which.
			return "", nil, checkin.Errorf(checkin.EINVALID, "%s:1: the header lacks column %s; Usher rosters need id,name,category,code (optional: company,email,tags)",
				name, strings.Join(missing, ", "))
		}
	}
	return "", nil, checkin.Errorf(checkin.EINVALID,
		"%s:1: the header %q is not a roster Usher knows: use the columns id,name,category,code (optional: company,email,tags), or a pretix or Eventbrite attendee export",
		name, strings.Join(header, ","))
}

// control reports whether r may not be in a roster field: a control
// character other than tab.
func control(r rune) bool { return unicode.IsControl(r) && r != '\t' }

// FoldCode is the form in which two badge codes that differ only by the
// case of their ASCII letters are equal: a scanner in caps lock, or a
// badge printed in capitals, reads a roster code so. The kiosk's lookup
// folds the same way (SQLite's lower()), so Read refuses two codes of one
// roster with the same fold.
func FoldCode(code string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, code)
}

// utf8BOM starts many spreadsheet exports, before a quoted heading too.
var utf8BOM = []byte("\ufeff")

// decode returns a roster file's bytes as UTF-8 without a byte order
// mark. A file that is not UTF-8 is read as Windows-1252, what Excel's
// plain "CSV" writes in western Europe and the Americas, and the warning
// says so. It is refused, naming the line and offset of the first byte
// at fault, when it is UTF-8 elsewhere (a byte order mark, or a character
// beyond ASCII: converting would garble those) or has a byte that
// Windows-1252 leaves undefined; and a UTF-16 file is refused whole.
// Never guessing further keeps mojibake out of the roster.
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

// formulaStart holds the characters that make a spreadsheet read a cell
// as a formula (a tab or carriage return first hides one).
const formulaStart = "=+-@\t\r"

// quoted reports whether s starts with ' before a cell that needs it
// (EscapeFormula) or before another such quote.
func quoted(s string) bool {
	rest := strings.TrimLeft(s, "'")
	return len(rest) < len(s) && rest != "" && strings.ContainsRune(formulaStart, rune(rest[0]))
}

// EscapeFormula returns a text cell of a CSV file that organizers open in
// a spreadsheet: s, with a ' before it when it starts like a formula (=,
// +, -, @, tab or carriage return) or is such a cell already, so that a
// name like =HYPERLINK(…) from a roster or an event file is shown, not
// run. Read removes the ' again. Only text goes through it: a number the
// program writes, like -3, stays a number.
func EscapeFormula(s string) string {
	if s != "" && strings.ContainsRune(formulaStart, rune(s[0])) || quoted(s) {
		return "'" + s
	}
	return s
}

// unescapeFormula undoes EscapeFormula.
func unescapeFormula(s string) string {
	if quoted(s) {
		return s[1:]
	}
	return s
}

func csvError(name string, data []byte, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return checkin.Errorf(checkin.EINVALID, "%s:%d, column %d: %v", name, pe.StartLine, fieldAt(data, pe), pe.Err)
	}
	return checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
}

// fieldAt turns a CSV error's byte position into the number of the field
// it is in, counting from 1, or the field whose opening quote never
// closed.
func fieldAt(data []byte, pe *csv.ParseError) int {
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
		switch data[i] {
		case '"':
			quoted = !quoted
			if quoted {
				quoteField = field
			}
		case ',':
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

// Header is the generic roster's column line.
var Header = []string{"id", "name", "category", "code", "company", "email", "tags", "serial"}

// Write writes people as a generic roster CSV, the format Read reads
// back, with every text cell as EscapeFormula makes it.
func Write(w io.Writer, people []checkin.Person) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, p := range people {
		serial := ""
		if p.Serial > 0 {
			serial = strconv.FormatUint(uint64(p.Serial), 10)
		}
		rec := []string{p.ID, p.Name, p.Category, p.Code, p.Company, p.Email, strings.Join(p.Tags, ";")}
		for i := range rec {
			rec[i] = EscapeFormula(rec[i])
		}
		if err := cw.Write(append(rec, serial)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadRevocations reads a revocation list: a CSV with the columns id (the
// person) and serial (the badge serial revoked), one badge a line.
func ReadRevocations(r io.Reader, name string) ([]checkin.Revocation, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, checkin.Errorf(checkin.EINVALID, "%s: the file is empty; expected a header line id,serial", name)
	} else if err != nil {
		return nil, csvError(name, data, err)
	}
	idCol, serialCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "id":
			idCol = i
		case "serial":
			serialCol = i
		}
	}
	if idCol < 0 || serialCol < 0 {
		return nil, checkin.Errorf(checkin.EINVALID, "%s:1: a revocation list has the columns id,serial", name)
	}
	out := []checkin.Revocation{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, csvError(name, data, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: %d fields, but the header has %d", name, line, len(rec), len(header))
		}
		id := strings.TrimSpace(rec[idCol])
		if id == "" {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d, column %d (id): id is empty", name, line, idCol+1)
		}
		if !checkin.Printable(id) || len(id) > 128 {
			// No roster has such an id (Read refuses it), and PostgreSQL
			// refuses a NUL byte in text.
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d, column %d (id): id %q must be at most 128 printable characters", name, line, idCol+1, id)
		}
		n, err := strconv.ParseUint(strings.TrimSpace(rec[serialCol]), 10, 32)
		if err != nil {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d, column %d (serial): %q is not a badge serial", name, line, serialCol+1, rec[serialCol])
		}
		out = append(out, checkin.Revocation{PersonID: id, Serial: uint32(n)})
	}
}
