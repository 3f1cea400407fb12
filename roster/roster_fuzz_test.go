package roster_test

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"usher/badge"
	"usher/checkin"
	"usher/roster"
)

// problemLine is how each problem of a refused file starts: the file,
// the line, and the column when one field is at fault.
var problemLine = regexp.MustCompile(`^roster\.csv:[0-9]+(, column [0-9]+( \([^\n]*\))?)?: `)

// fileProblems are the problems of a whole file rather than of a line.
var fileProblems = []string{fileName + ": the file is empty", fileName + ": the roster has a header but no people"}

// checkProblems checks that every line of a refusal's message names a
// line of the file (or says the list was cut), or is a problem of the
// whole file.
func checkProblems(tb testing.TB, err error) {
	tb.Helper()
	if code := checkin.ErrorCode(err); code != checkin.EINVALID {
		tb.Fatalf("error %v has code %q, want %q", err, code, checkin.EINVALID)
	}
	msg := checkin.ErrorMessage(err)
	for _, p := range fileProblems {
		if strings.HasPrefix(msg, p) {
			return
		}
	}
	lines := strings.Split(msg, "\n")
	if last := lines[len(lines)-1]; strings.HasPrefix(last, "(stopped after ") {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		if !problemLine.MatchString(l) {
			tb.Fatalf("problem %q names no line of the file (message %q)", l, msg)
		}
	}
}

// FuzzRead checks that Read never panics; that it refuses a file with an
// EINVALID error whose every problem names its line (and column); that
// whatever it accepts is a roster the store can use: valid UTF-8 without
// control characters but tab, codes unique whatever their case and none
// taken for a signed badge; that reading the same bytes again gives the
// same answer; and that an accepted roster written out by Write reads
// back as the same people.
func FuzzRead(f *testing.F) {
	for _, c := range readCases {
		f.Add(c.csv, c.closed)
	}
	salon, err := os.ReadFile("../docs/salon/roster.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(salon), false)
	f.Fuzz(func(t *testing.T, data string, closed bool) {
		ev := eventFor(t, closed)
		people, format, err := roster.Read(strings.NewReader(data), fileName, ev)
		again, format2, err2 := roster.Read(strings.NewReader(data), fileName, ev)
		if !reflect.DeepEqual(again, people) || format2 != format || checkin.ErrorMessage(err2) != checkin.ErrorMessage(err) {
			t.Fatalf("a second Read of the same bytes differs: %v / %v", err, err2)
		}
		if err != nil {
			checkProblems(t, err)
			if people != nil {
				t.Fatalf("%d people returned with an error", len(people))
			}
			return
		}
		switch format {
		case roster.Generic, roster.Pretix, roster.Eventbrite:
		default:
			t.Fatalf("format %q", format)
		}
		ids, codes := map[string]bool{}, map[string]bool{}
		for i, p := range people {
			if p.ID == "" || p.Name == "" || p.Category == "" || p.Code == "" {
				t.Fatalf("person %d has an empty required field: %+v", i, p)
			}
			if !checkin.Printable(p.ID) || len(p.ID) > 128 {
				t.Fatalf("person %d has id %q", i, p.ID)
			}
			if ev.Category(p.Category) == nil || !ev.Reaches(p.Category) {
				t.Fatalf("person %d has category %q, which the event does not let in anywhere", i, p.Category)
			}
			if !checkin.PlausibleCode(p.Code) {
				t.Fatalf("person %d has implausible code %q", i, p.Code)
			}
			if badge.IsBadge(p.Code) {
				t.Fatalf("person %d has code %q, which the kiosk would check as a signed badge", i, p.Code)
			}
			if ids[p.ID] || codes[roster.FoldCode(p.Code)] {
				t.Fatalf("person %d repeats id %q or code %q (whatever its case)", i, p.ID, p.Code)
			}
			ids[p.ID], codes[roster.FoldCode(p.Code)] = true, true
			for _, v := range append([]string{p.Name, p.Company, p.Email}, p.Tags...) {
				if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
					t.Fatalf("person %d has %q, not UTF-8 or with a control character", i, v)
				}
			}
		}
		var b bytes.Buffer
		if err := roster.Write(&b, people); err != nil {
			t.Fatalf("Write: %v", err)
		}
		back, format, err := roster.Read(&b, fileName, ev)
		if err != nil || format != roster.Generic {
			t.Fatalf("Write's output reads as %s: %v\n%s", format, err, b.String())
		}
		if !reflect.DeepEqual(back, people) {
			t.Fatalf("Write then Read changed the roster:\n got %+v\nwant %+v", back, people)
		}
	})
}

// FuzzReadRevocations checks that ReadRevocations never panics, that it
// refuses a file with an EINVALID error naming the file and line, and
// that what it accepts names people by ids a roster can have and
// revokes something: no serial 0.
func FuzzReadRevocations(f *testing.F) {
	for _, c := range revocationCases {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data string) {
		revs, err := roster.ReadRevocations(strings.NewReader(data), fileName)
		if err != nil {
			checkProblems(t, err)
			if revs != nil {
				t.Fatalf("%d revocations returned with an error", len(revs))
			}
			return
		}
		for i, r := range revs {
			if r.PersonID == "" || !checkin.Printable(r.PersonID) || len(r.PersonID) > 128 {
				t.Fatalf("revocation %d names person %q, which no roster can hold", i, r.PersonID)
			}
			if r.Serial == 0 {
				t.Fatalf("revocation %d of %s has serial 0, which revokes no printed badge", i, r.PersonID)
			}
		}
	})
}
