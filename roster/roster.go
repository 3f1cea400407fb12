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
// fields present, codes plausible, ids and codes unique, and every
// category defined in the event and allowed into at least one space.
// name is used in messages ("roster.csv:12, column category: …"). On any
// problem it returns a *checkin.Error (EINVALID) listing up to 20 of them
// and no people.
func Read(r io.Reader, name string, ev *checkin.Event) ([]checkin.Person, Format, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, "", checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	// Spreadsheet exports often start with a byte order mark, before a
	// quoted heading too.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
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

	var (
		people  = []checkin.Person{}
		probs   []string
		idLine  = map[string]int{}
		codeFor = map[string]int{}
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
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		heading := func(f string) string { return fmt.Sprintf("%d (%s)", cols[f]+1, header[cols[f]]) }
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
		bad := false
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
		if !checkin.PlausibleCode(p.Code) {
			problem(line, heading("code"), "%q is not a plausible badge code (printable, at most %d bytes)", p.Code, checkin.MaxCodeLen)
		} else if prev, dup := codeFor[p.Code]; dup {
			problem(line, heading("code"), "code %q is already used on line %d", p.Code, prev)
		} else {
			codeFor[p.Code] = line
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

// Write writes people as a generic roster CSV, the format Read reads back.
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
		if err := cw.Write([]string{p.ID, p.Name, p.Category, p.Code, p.Company, p.Email, strings.Join(p.Tags, ";"), serial}); err != nil {
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
