package roster

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"usher/badge"
	"usher/checkin"
	"usher/internal/strset"
)

// mapper turns the rows of one table into people, remembering the ids
// and codes seen and the problems found.
type mapper struct {
	t      *table
	ev     *checkin.Event
	opt    Options
	format Format
	cols   map[string]int
	mapped []bool     // the columns fields come from
	ids    strset.Set // the line each id is first on
	codes  strset.Set // the line each code is first on, by FoldCode
	probs  []string
}

// rowStatus is what a row said beyond its person.
type rowStatus struct {
	excluded string // "Heading: value" of the status that made it invalid
	pending  bool   // an unpaid order let in (Options.IncludePending)
	nameless bool
	cleaned  int // control characters removed (Options.SetAside)
}

// problem adds a problem found on line, in column col ("" for the row
// as a whole).
func (m *mapper) problem(line int, col, format string, args ...any) {
	where := fmt.Sprintf("%s:%d", m.t.name, line)
	if col != "" {
		where += ", column " + col
	}
	m.probs = append(m.probs, where+": "+fmt.Sprintf(format, args...))
}

// display reports whether column i is shown text only (a name, a
// company, an e-mail address), from which Options.SetAside removes
// control characters rather than setting the row aside.
func (m *mapper) display(i int) bool {
	for _, f := range []string{"name", "company", "email", "title", "given name", "family name"} {
		if j, ok := m.cols[f]; ok && j == i {
			return true
		}
	}
	return false
}

// person maps one row at line; the problems it finds are added to m. It
// reads the row in steps, and stops after a step that found a problem
// the later ones would only repeat: the row's width; its characters and
// statuses; the fields that must not be empty; the digits a spreadsheet
// lost. The status is read even when the characters are bad: a row set
// aside for another problem still says whether its ticket is valid
// (SetAside).
func (m *mapper) person(rec []string, line int) (checkin.Person, rowStatus) {
	var st rowStatus
	if len(rec) > len(m.t.header) || len(rec) < len(m.t.header) && !m.t.ragged {
		m.problem(line, "", "%d fields, but the header has %d", len(rec), len(m.t.header))
		return checkin.Person{}, st
	}
	rec, clean := m.checkControls(rec, &st)
	c := cells{rec: rec, cols: m.cols, t: m.t}
	p, order := m.fields(c)
	known := m.readStatus(c, line, &p, &st)
	if !clean || !known {
		return p, st
	}
	p.Name = fullName(c, p.Name)
	p.Tags = tags(c.get("tags"))
	m.readSerial(c, line, &p)
	if v := foldStatus(p.Revoked); v != "" && m.format == Generic && notAReason[v] {
		m.problem(line, c.heading("revoked"), "%q: the revoked column holds why a ticket is not valid (\"refunded ticket\"), and is empty while it is valid", p.Revoked)
	}
	if !m.checkRequired(c, line) || !m.checkDigits(c, line) {
		return p, st
	}
	m.checkIdentity(p, line, c.heading)
	m.resolveCategory(c, line, &p)
	if p.Name == "" {
		p.Name, st.nameless = standIn(m.ev, p, order), true
	}
	return p, st
}

// cells reads the fields of one row by name.
type cells struct {
	rec  []string
	cols map[string]int
	t    *table
}

// get returns field f of the row, trimmed and without the ' that
// EscapeFormula put before it; "" when the roster has no such column.
func (c cells) get(f string) string {
	if i, ok := c.cols[f]; ok && i < len(c.rec) {
		return strings.TrimSpace(unescapeFormula(strings.TrimSpace(c.rec[i])))
	}
	return ""
}

// heading names field f's column in messages.
func (c cells) heading(f string) string { return c.t.column(c.cols[f]) }

// checkControls finds the control characters in the columns Usher reads,
// and reports whether it found none. With Options.SetAside it removes
// them from the shown text (display) rather than find them there,
// returning the row with them removed, and counts them in st.
func (m *mapper) checkControls(rec []string, st *rowStatus) ([]string, bool) {
	// A NUL, an escape sequence or a line break would reach the kiosk's
	// screen, the badges and the center's database (which refuses a
	// NUL); columns Usher does not read are not imported.
	clean := true
	for i, v := range rec {
		if !m.mapped[i] {
			continue
		}
		v = strings.TrimSpace(v)
		if j := strings.IndexFunc(v, control); j >= 0 {
			if m.opt.SetAside && m.display(i) {
				cleaned := strings.Map(func(r rune) rune {
					if control(r) {
						st.cleaned++
						return -1
					}
					return r
				}, rec[i])
				rec = append(rec[:i:i], append([]string{cleaned}, rec[i+1:]...)...)
				continue
			}
			r, _ := utf8.DecodeRuneInString(v[j:])
			m.problem(m.t.cellLine(i), m.t.column(i), "control character U+%04X in %q: remove it (a tab is the only one a field may hold)", r, v)
			clean = false
		}
	}
	return rec, clean
}

// fields returns the person as the row's columns give them, before any
// check, and the order code. A pretix position id is unique only within
// its order, so the order code goes before it.
func (m *mapper) fields(c cells) (checkin.Person, string) {
	p := checkin.Person{
		ID: c.get("id"), Name: c.get("name"), Company: c.get("company"), Email: c.get("email"), Code: c.get("code"),
		Revoked: c.get("revoked"),
	}
	order := c.get("order code")
	if m.format == Pretix && order != "" && c.cols["id"] != c.cols["code"] {
		p.ID = order + "-" + p.ID
	}
	return p, order
}

// readStatus reads the row's status columns into p.Revoked and st, and
// reports whether every status is one the format's table knows.
func (m *mapper) readStatus(c cells, line int, p *checkin.Person, st *rowStatus) bool {
	known := true
	for _, f := range []string{"status", "paid"} {
		if _, ok := c.cols[f]; !ok {
			continue
		}
		// A ticket is valid when every status column says so; the first
		// that does not gives the reason, and is the one counted.
		values := statuses[m.format][f]
		v := c.get(f)
		s, ok := values[foldStatus(v)]
		switch {
		case !ok:
			m.problem(line, c.heading(f), "status %q is not one Usher knows for a %s roster (known: %s)", v, m.format, statusValues(values))
			known = false
		case s.reason == "" || p.Revoked != "":
		case s.pending && m.opt.IncludePending:
			st.pending = true
		default:
			p.Revoked, st.excluded, st.pending = s.reason, m.t.header[c.cols[f]]+": "+v, false
		}
	}
	return known
}

// fullName returns the person's name from the row: name as the name
// column gives it, or joined from the columns of its parts.
func fullName(c cells, name string) string {
	if _, split := c.cols["given name"]; split {
		// pretix: the parts beside the whole name, which may be empty.
		if name == "" {
			name = strings.Join(strings.Fields(c.get("title")+" "+c.get("given name")+" "+c.get("family name")), " ")
		}
	} else if last := c.get("family name"); last != "" {
		name = strings.TrimSpace(name + " " + last) // Eventbrite: first name, last name
	}
	return name
}

// tags splits a tags cell at its semicolons; nil when it has none.
func tags(cell string) []string {
	var out []string
	for _, t := range strings.Split(cell, ";") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// readSerial reads the row's badge serial, if any, into p.
func (m *mapper) readSerial(c cells, line int, p *checkin.Person) {
	if v := c.get("serial"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			m.problem(line, c.heading("serial"), "badge serial %q must be a whole number from 0 to %d", v, uint32(1<<32-1))
		}
		p.Serial = uint32(n)
	}
}

// checkRequired reports whether the row's id, category and code are all
// there, finding a problem for each that is empty.
func (m *mapper) checkRequired(c cells, line int) bool {
	ok := true
	for _, f := range []string{"id", "category", "code"} {
		if f == "id" && c.cols["id"] == c.cols["code"] {
			continue // one column, one problem: said for the code
		}
		if c.get(f) == "" {
			m.problem(line, c.heading(f), "%s is empty", f)
			ok = false
		}
	}
	return ok
}

// checkDigits reports whether the row's id and code kept all their
// digits (lostDigits), finding a problem for each that did not.
func (m *mapper) checkDigits(c cells, line int) bool {
	ok := true
	for _, f := range []string{"id", "code"} {
		if m.lostDigits(c.get(f), c.cols[f]) {
			m.problem(line, c.heading(f), "%q is a number of more than 15 digits stored as a number, so the spreadsheet kept only its first 15: "+
				"format the column as Text before entering or exporting, or export CSV", c.get(f))
			ok = false
		}
	}
	return ok
}

// resolveCategory sets p's category to the event's category the row
// names, or finds the problem: a category the event does not define, or
// one that may enter no space (docs/design.md "The lesson").
func (m *mapper) resolveCategory(c cells, line int, p *checkin.Person) {
	raw := c.get("category")
	if id, ok := m.ev.ResolveCategory(raw); !ok {
		m.problem(line, c.heading("category"), "category %q is not defined in the event file (defined: %s)", raw, m.ev.CategoryIDs())
	} else if !m.ev.Reaches(id) {
		m.problem(line, c.heading("category"), "category %q may enter no space; give it may_enter in the event file, since everyone on the roster must be admitted somewhere and counted", id)
	} else {
		p.Category = id
	}
}

// lostDigits reports whether v, from column col, is a long run of
// digits a spreadsheet stored as a number: a double holds 15 of them for
// sure, so a longer ticket number or barcode there has lost its end (it
// reads back as 7654321001123450000), and would be nobody's at the door.
func (m *mapper) lostDigits(v string, col int) bool {
	if m.t.numeric == nil || len(v) <= 15 || strings.TrimLeft(v, "0123456789") != "" {
		return false
	}
	return m.t.numeric(col)
}

// notAReason holds what a spreadsheet writes for "no" in a column of
// reasons: a revoked column saying so is not a reason to deny.
var notAReason = map[string]bool{"no": true, "false": true, "0": true, "n": true, "valid": true, "-": true}

// checkIdentity checks p's id and code against the rows before.
func (m *mapper) checkIdentity(p checkin.Person, line int, heading func(string) string) {
	if !checkin.Printable(p.ID) || len(p.ID) > 128 {
		m.problem(line, heading("id"), "id %q must be at most 128 printable characters", p.ID)
	} else if _, prev, dup := m.ids.Add(p.ID, uint32(line)); dup {
		m.problem(line, heading("id"), "id %q is already used on line %d", p.ID, prev)
	}
	if !checkin.PlausibleCode(p.Code) {
		m.problem(line, heading("code"), "%q is not a plausible badge code (printable, at most %d bytes)", p.Code, checkin.MaxCodeLen)
	} else if badge.IsBadge(p.Code) {
		m.problem(line, heading("code"), "code %q starts with %s, which marks a signed badge: the kiosk would check it as one and deny it; give this person another code",
			p.Code, badge.Prefix)
	} else if prev, prevLine, dup := m.codes.Add(p.Code, uint32(line)); dup && prev == p.Code {
		m.problem(line, heading("code"), "code %q is already used on line %d", p.Code, prevLine)
	} else if dup {
		m.problem(line, heading("code"), "code %q differs from code %q on line %d only by case; the kiosk matches codes whatever their case, so give one of them another code",
			p.Code, prev, prevLine)
	}
}

// standIn is the name shown for a person the roster has no name for
// (products that ask for none: comps, volunteers, add-ons): what the row
// says of them, never their code, which is a secret.
func standIn(ev *checkin.Event, p checkin.Person, order string) string {
	parts := []string{"(no name)"}
	if c := ev.Category(p.Category); c != nil && c.Name != "" {
		parts = append(parts, c.Name)
	} else if p.Category != "" {
		parts = append(parts, p.Category)
	}
	switch {
	case order != "":
		parts = append(parts, "order "+order)
	case p.ID != p.Code:
		parts = append(parts, p.ID)
	}
	return strings.Join(parts, " · ")
}

// control reports whether r may not be in a roster field: a control
// character other than tab.
func control(r rune) bool { return unicode.IsControl(r) && r != '\t' }
