// Package roster reads attendee lists: Usher's own columns, and the
// attendee exports of pretix and Eventbrite, as CSV (separated by `,`,
// `;` or tab) or XLSX, and the rows pretix's API returns. Every format
// goes through one column mapping (columns.go). Each row is checked
// against the event and problems are reported by line and column, so a
// bad file is rejected whole before anything is written.
package roster

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"usher/badge"
	"usher/checkin"
	"usher/internal/strset"
)

// Options change how a roster is read.
type Options struct {
	// Sheet is the sheet of an XLSX workbook to read; "" is the first.
	Sheet string
	// IncludePending admits the people of orders not paid yet (pretix's
	// pending orders), who are otherwise loaded as revoked.
	IncludePending bool
	// SetAside reads on past a row with a problem, listing it in
	// Result.SetAside, and removes control characters from names,
	// companies and e-mail addresses: for an API's changes, which must
	// be applied even when one row is bad (a cancellation always must).
	SetAside bool
}

// SetAside is a row not read for a problem (Options.SetAside): the id it
// names, the reason its status makes its ticket invalid ("" when valid
// or unknown), and the problem.
type SetAside struct {
	ID, Revoked, Problem string
}

// Result is a roster read, and what the organizer should hear of it.
type Result struct {
	People []checkin.Person
	Format Format
	// Sep is the separator of a CSV file; 0 for a workbook or an API.
	Sep rune
	// Warning is set when the file was not UTF-8 and was converted.
	Warning string
	// Nameless counts the people without a name on file, who are given
	// a stand-in ("(no name) · Volunteer · order ABC12").
	Nameless int
	// Excluded counts the people loaded as revoked, by the status their
	// row had ("Attendee Status: Refunded").
	Excluded map[string]int
	// Pending counts the people of unpaid orders admitted because of
	// Options.IncludePending.
	Pending int
	// SetAside lists the rows not read (Options.SetAside).
	SetAside []SetAside
	// Cleaned counts the control characters removed (Options.SetAside).
	Cleaned int
}

// Notes are the lines that tell the organizer what the read did beyond
// taking people as they are: stand-in names, statuses, the separator.
func (r *Result) Notes() []string {
	var notes []string
	if r.Sep != 0 && r.Sep != ',' {
		notes = append(notes, fmt.Sprintf("fields separated by %s", map[rune]string{';': "semicolons", '\t': "tabs"}[r.Sep]))
	}
	if r.Nameless > 0 {
		notes = append(notes, fmt.Sprintf("%d without a name on file, shown as \"(no name) · category · order\"", r.Nameless))
	}
	if len(r.Excluded) > 0 {
		var keys []string
		total := 0
		for k, n := range r.Excluded {
			keys = append(keys, k)
			total += n
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%d %s", r.Excluded[k], k)
		}
		notes = append(notes, fmt.Sprintf("%d not valid, loaded as revoked (denied at the door): %s", total, strings.Join(parts, ", ")))
	}
	if r.Pending > 0 {
		notes = append(notes, fmt.Sprintf("%d of unpaid orders admitted (--include-pending)", r.Pending))
	}
	if r.Cleaned > 0 {
		notes = append(notes, fmt.Sprintf("%d control characters removed from names, companies or e-mail addresses", r.Cleaned))
	}
	return notes
}

// maxErrors bounds the problems listed for one file: enough to fix a
// column mapping at once, not a wall of text.
const maxErrors = 20

// Read parses a roster with the default Options; see Parse.
func Read(r io.Reader, name string, ev *checkin.Event) ([]checkin.Person, Format, error) {
	res, err := Parse(r, name, ev, Options{})
	if err != nil {
		return nil, "", err
	}
	return res.People, res.Format, nil
}

// Parse reads a roster (CSV or XLSX) and checks each row against ev:
// required fields present and free of control characters (a tab inside
// a field is allowed), codes plausible and none starting like a signed
// badge (badge.Prefix), ids unique, codes unique whatever the case of
// their letters, every category defined in the event and allowed into
// at least one space, and every status one the format's table knows. A
// person without a name gets a stand-in; a status that makes a ticket
// invalid loads the person as revoked with its reason. A file that is
// not UTF-8 is read as Windows-1252 when it can be (Result.Warning).
// name is used in messages ("roster.csv:12, column 3 (category): …"). On
// any problem it returns a *checkin.Error (EINVALID) listing up to 20 of
// them and no people. Parse holds the whole roster in memory; NewStream
// reads one person at a time.
func Parse(r io.Reader, name string, ev *checkin.Event, opt Options) (*Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	s, err := NewStream(bytes.NewReader(data), name, ev, opt)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.collect()
}

// FromRows reads the rows an API returned under header, exactly as Parse
// reads a file with those columns. name stands for the file in messages.
func FromRows(name string, header []string, rows [][]string, ev *checkin.Event, opt Options) (*Result, error) {
	s, err := newStream(rowsTable(name, header, rows), ev, opt)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.collect()
}

// A Stream reads a roster one person at a time, checking each row as
// Parse does, so that loading half a million people holds a few rows in
// memory rather than all of them: the ids and codes seen are kept in
// compact sets (strset), for the checks that they do not repeat.
//
// Next yields the people of the rows before the first problem. At a
// problem the stream reads on through the rest of the file, checking
// every row as Parse would but yielding nobody, and Next returns the
// same error Parse returns: the caller, which may have written the
// people yielded, throws them away (store.LoadFrom rolls back).
type Stream struct {
	t    *table
	m    *mapper
	res  *Result
	n    int           // people yielded
	err  error         // what Next returns from now on: io.EOF at the end
	file *progressFile // the file OpenFile opened, closed with the stream
	// For Yielded: the line of the first row with a problem, after which
	// nobody is yielded, and the lines of the rows set aside.
	stopLine   int
	asideLines map[int]bool
}

// NewStream opens the roster in r (CSV or XLSX) and reads its header; see
// Parse for the checks and the errors. A CSV file is read as Next asks
// for rows (after one pass that checks its encoding: it is read as
// Windows-1252 only when all of it can be); an XLSX workbook is read
// whole by its library. The stream must be closed.
func NewStream(r io.ReadSeeker, name string, ev *checkin.Event, opt Options) (*Stream, error) {
	t, warning, err := openSource(r, name, opt.Sheet)
	if err != nil {
		return nil, err
	}
	s, err := newStream(t, ev, opt)
	if err != nil {
		return nil, err
	}
	s.res.Warning = warning
	return s, nil
}

func newStream(t *table, ev *checkin.Event, opt Options) (*Stream, error) {
	format, cols, err := mapHeader(t.name, t.line, t.header)
	if err != nil {
		if t.close != nil {
			t.close()
		}
		return nil, err
	}
	m := &mapper{t: t, ev: ev, opt: opt, format: format, cols: cols, mapped: make([]bool, len(t.header)),
		codes: strset.Set{FoldASCII: true}}
	for _, i := range cols {
		m.mapped[i] = true
	}
	return &Stream{t: t, m: m, res: &Result{Format: format, Sep: t.sep, Excluded: map[string]int{}}}, nil
}

// Next returns the next person, or io.EOF after the last. Any other
// error is the roster's problems (EINVALID), as Parse reports them.
func (s *Stream) Next() (checkin.Person, error) {
	if s.err != nil {
		return checkin.Person{}, s.err
	}
	m := s.m
	for len(m.probs) < maxErrors {
		rec, line, err := s.t.next()
		if err == io.EOF {
			break
		} else if err != nil {
			s.err = err
			return checkin.Person{}, err
		}
		if blank(rec) {
			continue
		}
		before := len(m.probs)
		p, st := m.person(rec, line)
		if len(m.probs) > before {
			s.refuseRow(p, line, before)
			continue
		}
		s.res.count(st)
		if len(m.probs) > 0 {
			continue // checked, but the roster will be refused
		}
		s.n++
		return p, nil
	}
	s.err = s.end()
	return checkin.Person{}, s.err
}

// refuseRow deals with the row at line whose problems are those of
// s.m.probs from before on. With Options.SetAside it lists the row in
// Result.SetAside and forgets its problems; otherwise, at the first such
// row, it notes the line after which nobody is yielded (Yielded).
func (s *Stream) refuseRow(p checkin.Person, line, before int) {
	m := s.m
	if !m.opt.SetAside {
		if s.stopLine == 0 {
			s.stopLine = line
		}
		return
	}
	s.res.SetAside = append(s.res.SetAside, SetAside{ID: p.ID, Revoked: p.Revoked, Problem: strings.Join(m.probs[before:], "; ")})
	m.probs = m.probs[:before]
	if s.asideLines == nil {
		s.asideLines = map[int]bool{}
	}
	s.asideLines[line] = true
}

// count adds what a row read without a problem said beyond its person
// to the notes' counts.
func (r *Result) count(st rowStatus) {
	switch {
	case st.excluded != "":
		r.Excluded[st.excluded]++
	case st.pending:
		r.Pending++
	}
	if st.nameless {
		r.Nameless++
	}
	r.Cleaned += st.cleaned
}

// end returns what Next returns once the rows are read, or once
// maxErrors problems are found: the problems, or that the roster has
// nobody in it, or else io.EOF.
func (s *Stream) end() error {
	probs := s.m.probs
	switch {
	case len(probs) > 0:
		msg := strings.Join(probs, "\n")
		if len(probs) == maxErrors {
			msg += "\n(stopped after " + fmt.Sprint(maxErrors) + " problems)"
		}
		return checkin.Errorf(checkin.EINVALID, "%s", msg)
	case s.n == 0 && len(s.res.SetAside) == 0:
		return checkin.Errorf(checkin.EINVALID, "%s: the roster has a header but no people", s.t.name)
	}
	return io.EOF
}

// Check reads the rest of the roster, checking it, and returns its
// problems, or nil when it has none. A caller that fails for a reason of
// its own before the end calls it to report the file's problems first,
// as it would have after Parse.
func (s *Stream) Check() error {
	for {
		if _, err := s.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// Yielded reports whether Next has yielded the person with id. The
// stream never yields an id or a code twice (whatever the case of the
// code's letters): a row that repeats one is a problem. So a load that
// reads it needs no record of its own of the ids and codes it was given
// (store.UniqueRoster).
func (s *Stream) Yielded(id string) bool {
	line, ok := s.m.ids.Get(id)
	return ok && !s.asideLines[int(line)] && (s.stopLine == 0 || int(line) < s.stopLine)
}

// Result returns what the read found beyond the people: the format, the
// notes' counts, the rows set aside. Its People is nil; its counts are
// complete once Next has returned io.EOF.
func (s *Stream) Result() *Result { return s.res }

// Count returns the number of people Next has yielded.
func (s *Stream) Count() int { return s.n }

// Close releases what the stream reads from: an XLSX workbook, the file
// OpenFile opened. It does not close the reader NewStream was given.
func (s *Stream) Close() error {
	// The sets of ids and codes are a roster's worth of memory: once
	// closed, Yielded says false for every id.
	s.m.ids, s.m.codes = strset.Set{}, strset.Set{}
	if s.t.close != nil {
		s.t.close()
		s.t.close = nil
	}
	if s.file != nil {
		s.file.finish() // before the warning, which would land on its line
		if s.err == io.EOF && s.file.warning != "" {
			fmt.Fprintf(s.file.stderr, "warning: %s\n", s.file.warning)
		}
		err := s.file.f.Close()
		s.file = nil
		return err
	}
	return nil
}

// collect reads the whole stream into a Result.
func (s *Stream) collect() (*Result, error) {
	people := []checkin.Person{}
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		people = append(people, p)
	}
	s.res.People = people
	return s.res, nil
}

// blank reports whether a row has nothing in it: a blank line, or a
// spreadsheet row whose cells are all empty.
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

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

// Header is the generic roster's column line.
var Header = []string{"id", "name", "category", "code", "company", "email", "tags", "serial", "revoked"}

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
		if err := cw.Write(append(rec, serial, EscapeFormula(p.Revoked))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadRevocations reads a revocation list: a CSV with the columns id (the
// person) and serial, one revocation a line, other columns ignored. A
// serial revokes the person's signed badges of that serial and below (a
// lost badge, and those it had replaced); "*" or "all" revokes the
// person, every credential of theirs: roster code, signed badges of any
// serial, admission by name (badge.AllSerials). An empty serial, 0 (on
// no printed badge: they start at 1) and 4294967295 (the number "*"
// stands for) are refused, so that no line revokes nothing, or more
// than its writer meant, without a word.
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
		return nil, csvError(name, data, ',', err)
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
		return nil, checkin.Errorf(checkin.EINVALID, "%s:1: a revocation list has the columns id,serial (serial: the badge serial revoked, or * for the person)", name)
	}
	out := []checkin.Revocation{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, csvError(name, data, ',', err)
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
		serial, err := revokedSerial(rec[serialCol])
		if err != nil {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d, column %d (serial): %v", name, line, serialCol+1, err)
		}
		out = append(out, checkin.Revocation{PersonID: id, Serial: serial})
	}
}

// revokeHow ends the message of a serial that is refused.
const revokeHow = "write the serial of the lost badge (it and older ones are revoked), or * to revoke the person: every credential of theirs"

// revokedSerial reads a revocation list's serial cell (ReadRevocations).
func revokedSerial(cell string) (uint32, error) {
	s := strings.TrimSpace(cell)
	switch {
	case s == "*" || strings.EqualFold(s, "all"):
		return badge.AllSerials, nil
	case s == "":
		return 0, fmt.Errorf("the serial is empty; %s", revokeHow)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a badge serial; %s", cell, revokeHow)
	case n == 0:
		return 0, fmt.Errorf("serial 0 is on no printed badge (serials start at 1), so it would revoke nothing; %s", revokeHow)
	case n == badge.AllSerials:
		return 0, fmt.Errorf("serial %d stands for every serial; write * to revoke the person", n)
	}
	return uint32(n), nil
}
