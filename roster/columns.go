package roster

import (
	"slices"
	"sort"
	"strings"

	"usher/checkin"
)

// Format is the kind of roster a file or an API came in.
type Format string

const (
	Generic    Format = "generic"
	Pretix     Format = "pretix"
	Eventbrite Format = "eventbrite"
)

// formats is the order in which a header is tried against each format.
var formats = []Format{Generic, Pretix, Eventbrite}

// field is one of Usher's person fields and the headings that feed it in
// each format (lower case). A format lists several headings where its
// exports differ by version or settings; the first present wins.
// Required fields must have a heading for the format to be recognised.
type field struct {
	name     string
	required bool
	headings map[Format][]string
}

// fields is the one mapping from every format's columns to a person,
// documented in the README. A ticketing system is one more Format, its
// headings here and its statuses below.
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
	{"revoked", false, map[Format][]string{
		Generic: {"revoked"}}},
	// pretix writes the parts of a name in their own columns beside the
	// whole name, which products that ask for no name leave empty.
	{"title", false, map[Format][]string{
		Pretix: {"attendee name: title"}}},
	{"given name", false, map[Format][]string{
		Pretix: {"attendee name: given name"}}},
	{"family name", false, map[Format][]string{
		Pretix: {"attendee name: family name"}, Eventbrite: {"last name"}}},
	{"order code", false, map[Format][]string{
		Pretix: {"order code"}, Eventbrite: {"order #"}}},
	{"status", false, map[Format][]string{
		Pretix: {"status"}, Eventbrite: {"attendee status"}}},
	{"paid", false, map[Format][]string{
		Pretix: {"paid"}}},
}

// A status is what a status cell says of a ticket: valid, or not valid
// for the reason the kiosk shows. Pending marks an order not paid yet,
// valid only with Options.IncludePending.
type status struct {
	reason  string
	pending bool
}

// statuses maps each status column ("status" or "paid", by format) and
// its folded values (lower case, spaces collapsed) to their meaning. A
// value not listed is refused with the ones that are, never guessed.
var statuses = map[Format]map[string]map[string]status{
	Pretix: {
		// The order data export and the REST API: the order's status, or
		// "canceled" for a position cancelled on its own.
		"status": {
			"paid":      {},
			"pending":   {reason: "unpaid order", pending: true},
			"expired":   {reason: "expired order"},
			"canceled":  {reason: "cancelled order"},
			"cancelled": {reason: "cancelled order"},
			// The API: a ticket pretix blocked from entry.
			"blocked": {reason: "blocked ticket"},
		},
		// The check-in list export of a list that includes pending orders.
		"paid": {
			"yes": {},
			"no":  {reason: "unpaid order", pending: true},
		},
	},
	Eventbrite: {
		"status": {
			"attending":     {},
			"checked in":    {},
			"checked out":   {},
			"not attending": {reason: "not attending"},
			"refunded":      {reason: "refunded ticket"},
			"cancelled":     {reason: "cancelled ticket"},
			"canceled":      {reason: "cancelled ticket"},
			"transferred":   {reason: "transferred ticket"},
			"deleted":       {reason: "deleted ticket"},
		},
	},
}

// foldStatus is the form statuses are looked up in.
func foldStatus(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// statusValues lists the values a status column may hold, for a message.
func statusValues(m map[string]status) string {
	var vs []string
	for v := range m {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return strings.Join(vs, ", ")
}

// mapHeader finds the format and each field's column of a header on
// line line of file name. The formats are tried in order; the first whose
// required fields all have a column wins. A heading may repeat in a
// column Usher does not read (a pretix question titled "Company" beside
// pretix's own), not in one it reads.
func mapHeader(name string, line int, header []string) (Format, map[string]int, error) {
	norm, twice := headingColumns(header)
	var (
		generic []string // the fields a generic roster would lack
		near    Format   // another format lacking one field only
		lacks   string
	)
	for _, format := range formats {
		cols, headings, missing := matchFormat(format, norm)
		switch {
		case len(missing) == 0:
			for _, h := range headings {
				if i, dup := twice[h]; dup {
					return "", nil, checkin.Errorf(checkin.EINVALID, "%s:%d, column %d: heading %q appears twice", name, line, i+1, header[i])
				}
			}
			return format, cols, nil
		case format == Generic:
			generic = missing
		case len(missing) == 1 && near == "":
			near, lacks = format, missing[0]
		}
	}
	return "", nil, unknownHeader(name, line, header, generic, near, lacks)
}

// headingColumns returns the column of each heading of header, folded
// to lower case, and the column each repeated heading repeats in first.
func headingColumns(header []string) (norm, twice map[string]int) {
	norm = make(map[string]int, len(header))
	twice = map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := norm[h]; dup && h != "" {
			if _, seen := twice[h]; !seen {
				twice[h] = i
			}
			continue
		}
		norm[h] = i
	}
	return norm, twice
}

// matchFormat maps the headings in norm (headingColumns) to format's
// fields: each field's column, the headings it took them from, and the
// required fields it found no column for.
func matchFormat(format Format, norm map[string]int) (cols map[string]int, headings, missing []string) {
	cols = map[string]int{}
	for _, f := range fields {
		hs, ok := f.headings[format]
		if !ok {
			continue
		}
		found := false
		for _, h := range hs {
			if i, ok := norm[h]; ok {
				cols[f.name], found = i, true
				headings = append(headings, h)
				break
			}
		}
		if !found && f.required {
			missing = append(missing, f.name)
		}
	}
	if _, ok := norm["position id"]; format == Pretix && !ok {
		// Only pretix's exports with a Position ID write Status;
		// in a check-in list it is the title of a question.
		delete(cols, "status")
		headings = slices.DeleteFunc(headings, func(h string) bool { return h == "status" })
	}
	return cols, headings, missing
}

// unknownHeader is the error for a header no format matched: what a
// format that came near lacks (near, lacks), or the fields a generic
// roster would lack, or else the header itself.
func unknownHeader(name string, line int, header, generic []string, near Format, lacks string) error {
	switch {
	case near == Pretix && lacks == "code":
		return checkin.Errorf(checkin.EINVALID, "%s:%d: this pretix export has no Secret column, which the badges' codes come from: "+
			"export pretix's Check-in list with \"Include QR-code secret\" ticked", name, line)
	case near != "":
		return checkin.Errorf(checkin.EINVALID, "%s:%d: this looks like a %s export without a column for the %s; %s writes it as %q",
			name, line, near, lacks, near, fieldHeading(near, lacks))
	case len(generic) < 4:
		// Looks like our own format with a column missing: say which.
		return checkin.Errorf(checkin.EINVALID, "%s:%d: the header lacks column %s; Usher rosters need id,name,category,code (optional: company,email,tags)",
			name, line, strings.Join(generic, ", "))
	}
	shown := strings.Join(header, ",")
	if len(shown) > 200 {
		shown = strings.ToValidUTF8(shown[:200], "") + "…"
	}
	return checkin.Errorf(checkin.EINVALID,
		"%s:%d: the header %q is not a roster Usher knows: use the columns id,name,category,code (optional: company,email,tags), or a pretix or Eventbrite attendee export",
		name, line, shown)
}

// fieldHeading is the first heading format writes for field.
func fieldHeading(format Format, field string) string {
	for _, f := range fields {
		if f.name == field && len(f.headings[format]) > 0 {
			return f.headings[format][0]
		}
	}
	return field
}
