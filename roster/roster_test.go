package roster_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"usher/checkin"
	"usher/demo"
	"usher/roster"
)

// fileName is the name Read is given; every message must start with it.
const fileName = "roster.csv"

// readCase is one roster file. A case with wantErr is a failure: Read
// must return EINVALID with a message containing each of wantErr. Any
// other case must read as want, in format.
type readCase struct {
	name   string
	closed bool // read against closedEvent instead of the demo event
	csv    string

	format roster.Format
	want   []checkin.Person

	wantErr []string
}

// readCases feeds TestRead and seeds FuzzRead.
var readCases = []readCase{
	{
		name: "Generic",
		csv: "id,name,category,code,company,email,tags\n" +
			"P1,Ada Lovelace,attendee,U-AAAA1111,Analytical Engines,ada@example.org,workshop-a; vip\n" +
			"P2,Grace Hopper,staff,U-BBBB2222,,,\n",
		format: roster.Generic,
		want: []checkin.Person{
			{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "U-AAAA1111", Company: "Analytical Engines",
				Email: "ada@example.org", Tags: []string{"workshop-a", "vip"}},
			{ID: "P2", Name: "Grace Hopper", Category: "staff", Code: "U-BBBB2222"},
		},
	},
	{
		name:   "GenericRequiredColumnsOnly",
		csv:    "id,name,category,code\nP1,Ada Lovelace,speaker,U-AAAA1111\n",
		format: roster.Generic,
		want:   []checkin.Person{{ID: "P1", Name: "Ada Lovelace", Category: "speaker", Code: "U-AAAA1111"}},
	},
	{
		name:   "GenericColumnsInAnyOrderAndCase",
		csv:    " Code ,TAGS, Category,Name,ID\r\nU-AAAA1111,;;workshop-a;,press,Ada Lovelace,P1\r\n",
		format: roster.Generic,
		want: []checkin.Person{{ID: "P1", Name: "Ada Lovelace", Category: "press", Code: "U-AAAA1111",
			Tags: []string{"workshop-a"}}},
	},
	{
		name: "GenericBlankLinesSkipped",
		csv: "id,name,category,code\n\nP1,Ada Lovelace,attendee,U-AAAA1111\n   \n" +
			"P2,Grace Hopper,attendee,U-BBBB2222\n\n",
		format: roster.Generic,
		want: []checkin.Person{
			{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "U-AAAA1111"},
			{ID: "P2", Name: "Grace Hopper", Category: "attendee", Code: "U-BBBB2222"},
		},
	},
	{
		name: "CategoryAliases",
		csv: "id,name,category,code\n" +
			"P1,Ada Lovelace,General Admission,U-AAAA1111\n" +
			"P2,Grace Hopper,SPONSOR_COMP,U-BBBB2222\n" +
			"P3,Alan Turing,early bird,U-CCCC3333\n",
		format: roster.Generic,
		want: []checkin.Person{
			{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "U-AAAA1111"},
			{ID: "P2", Name: "Grace Hopper", Category: "sponsor-comp", Code: "U-BBBB2222"},
			{ID: "P3", Name: "Alan Turing", Category: "attendee", Code: "U-CCCC3333"},
		},
	},
	{
		name:   "ByteOrderMark",
		csv:    "\ufeffid,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n",
		format: roster.Generic,
		want:   []checkin.Person{{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "U-AAAA1111"}},
	},
	{
		// Exporters that quote every field (pretix's default CSV does)
		// and Excel's "CSV UTF-8" put the mark before the first quote.
		name:   "ByteOrderMarkBeforeQuotedHeading",
		csv:    "\ufeff\"id\",\"name\",\"category\",\"code\"\n\"P1\",\"Ada Lovelace\",\"attendee\",\"U-AAAA1111\"\n",
		format: roster.Generic,
		want:   []checkin.Person{{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "U-AAAA1111"}},
	},
	{
		// pretix's "CSV (with commas)" quotes every string
		// (QUOTE_NONNUMERIC); Position ID is a number.
		name: "PretixWithPositionID",
		csv: `"Order code",Position ID,"Attendee name","Product","Secret","E-mail","Company"` + "\n" +
			`"ABC12",1,"Ada Lovelace","General Admission","s3cr3tAAAA","ada@example.org","Analytical Engines"` + "\n" +
			`"ABC12",2,"Grace Hopper","Sponsor Comp","s3cr3tBBBB","",""` + "\n",
		format: roster.Pretix,
		want: []checkin.Person{
			{ID: "ABC12-1", Name: "Ada Lovelace", Category: "attendee", Code: "s3cr3tAAAA", Email: "ada@example.org",
				Company: "Analytical Engines"},
			{ID: "ABC12-2", Name: "Grace Hopper", Category: "sponsor-comp", Code: "s3cr3tBBBB"},
		},
	},
	{
		name: "PretixWithoutPositionID",
		csv: "Order code,Attendee name,Product,Secret,E-mail,Company\n" +
			"ABC12,Ada Lovelace,General Admission,s3cr3tAAAA,ada@example.org,\n",
		format: roster.Pretix,
		want: []checkin.Person{{ID: "s3cr3tAAAA", Name: "Ada Lovelace", Category: "attendee", Code: "s3cr3tAAAA",
			Email: "ada@example.org"}},
	},
	{
		name: "Eventbrite",
		csv: "Attendee #,First Name,Last Name,Ticket Type,Barcode #,Email,Company\n" +
			"1234567890,Ada,Lovelace,General Admission,1234567890001,ada@example.org,Analytical Engines\n" +
			"1234567891,Cher,,Press,1234567891001,,\n",
		format: roster.Eventbrite,
		want: []checkin.Person{
			{ID: "1234567890", Name: "Ada Lovelace", Category: "attendee", Code: "1234567890001", Email: "ada@example.org",
				Company: "Analytical Engines"},
			{ID: "1234567891", Name: "Cher", Category: "press", Code: "1234567891001"},
		},
	},
	{
		name:    "ErrEmptyFile",
		csv:     "",
		wantErr: []string{fileName + ": ", "empty", "id,name,category,code"},
	},
	{
		name:    "ErrBadHeader",
		csv:     "who,what,when\nAda,attendee,today\n",
		wantErr: []string{fileName + ":1: ", "id,name,category,code"},
	},
	{
		name:    "ErrMissingRequiredColumn",
		csv:     "id,name,code\nP1,Ada Lovelace,U-AAAA1111\n",
		wantErr: []string{fileName + ":1: ", "lacks column category"},
	},
	{
		name:    "ErrHeadingTwice",
		csv:     "id,name,category,code,ID\nP1,Ada Lovelace,attendee,U-AAAA1111,P1\n",
		wantErr: []string{fileName + ":1, column 5: ", `"ID"`},
	},
	{
		name: "ErrWrongFieldCount",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,Grace Hopper,attendee\n",
		wantErr: []string{fileName + ":3: ", "3 fields", "header has 4"},
	},
	{
		name: "ErrEmptyRequiredField",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,Grace Hopper, ,U-BBBB2222\n",
		wantErr: []string{fileName + ":3, column 3 (category): ", "category is empty"},
	},
	{
		name: "ErrDuplicateID",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,Grace Hopper,attendee,U-BBBB2222\n\nP1,Alan Turing,attendee,U-CCCC3333\n",
		wantErr: []string{fileName + ":5, column 1 (id): ", `"P1"`, "line 2"},
	},
	{
		name: "ErrDuplicateCode",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,Grace Hopper,attendee,U-BBBB2222\nP3,Alan Turing,attendee,U-AAAA1111\n",
		wantErr: []string{fileName + ":4, column 4 (code): ", `"U-AAAA1111"`, "line 2"},
	},
	{
		name: "ErrUndefinedCategory",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,Grace Hopper,wizard,U-BBBB2222\n",
		wantErr: []string{fileName + ":3, column 3 (category): ", `"wizard"`, "attendee"},
	},
	{
		name:    "ErrCategoryMayEnterNothing",
		closed:  true,
		csv:     "id,name,category,code\nP1,Ada Lovelace,visitor,U-AAAA1111\nP2,Grace Hopper,guest,U-BBBB2222\n",
		wantErr: []string{fileName + ":3, column 3 (category): ", `"guest"`, "may enter no space"},
	},
	{
		name:    "ErrControlCharacterInCode",
		csv:     "id,name,category,code\nP1,Ada Lovelace,attendee,U-AA\x01AA\n",
		wantErr: []string{fileName + ":2, column 4 (code): ", "control character U+0001"},
	},
	{
		name:    "ErrNULInName",
		csv:     "id,name,category,code\nP1,Ada\x00Lovelace,attendee,U-AAAA1111\n",
		wantErr: []string{fileName + ":2, column 2 (name): ", "control character U+0000"},
	},
	{
		// A terminal escape in a company would repaint the screen of whoever
		// lists the roster.
		name:    "ErrEscapeInCompany",
		csv:     "id,name,category,code,company\nP1,Ada Lovelace,attendee,U-AAAA1111,\x1b[2JEngines\n",
		wantErr: []string{fileName + ":2, column 5 (company): ", "control character U+001B"},
	},
	{
		name:    "ErrNULInCategory",
		csv:     "id,name,category,code\nP1,Ada Lovelace,atten\x00dee,U-AAAA1111\n",
		wantErr: []string{fileName + ":2, column 3 (category): ", "control character U+0000"},
	},
	{
		// A line break inside a quoted field: the line named is where the
		// field starts.
		name: "ErrLineBreakInName",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,\"Grace\nHopper\",attendee,U-BBBB2222\n",
		wantErr: []string{fileName + ":3, column 2 (name): ", "control character U+000A"},
	},
	{
		name:    "ErrC1ControlInTags",
		csv:     "id,name,category,code,tags\nP1,Ada Lovelace,attendee,U-AAAA1111,v\u0085ip\n",
		wantErr: []string{fileName + ":2, column 5 (tags): ", "control character U+0085"},
	},
	{
		name:   "TabInsideAFieldKept",
		csv:    "id,name,category,code,company\nP1,Ada\tLovelace,attendee,U-AAAA1111,Analytical\tEngines\n",
		format: roster.Generic,
		want: []checkin.Person{{ID: "P1", Name: "Ada\tLovelace", Category: "attendee", Code: "U-AAAA1111",
			Company: "Analytical\tEngines"}},
	},
	{
		// A scanner in caps lock, or a badge printed in capitals, reads
		// the other code: the kiosk matches codes whatever their case.
		name: "ErrCodesDifferOnlyByCase",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,abc123\n" +
			"P2,Grace Hopper,attendee,U-BBBB2222\nP3,Alan Turing,attendee,ABC123\n",
		wantErr: []string{fileName + ":4, column 4 (code): ", `"ABC123"`, `"abc123"`, "line 2", "case"},
	},
	{
		name:    "ErrCodeWithBadgePrefix",
		csv:     "id,name,category,code\nP1,Ada Lovelace,attendee,USH1:AAAA1111\n",
		wantErr: []string{fileName + ":2, column 4 (code): ", `"USH1:AAAA1111"`, "USH1:", "signed badge"},
	},
	{
		name:    "ErrCodeWithBadgePrefixLowerCase",
		csv:     "id,name,category,code\nP1,Ada Lovelace,attendee,ush1:aaaa1111\n",
		wantErr: []string{fileName + ":2, column 4 (code): ", "USH1:", "signed badge"},
	},
	{
		// Excel's "CSV" (not "CSV UTF-8") on Windows.
		name: "Windows1252",
		csv: "id,name,category,code,company\nP1,Fernando Corbat\xf3,attendee,U-AAAA1111,Caf\xe9 \x93Chez Fernand\x94 \x80\n" +
			"P2,Grace Hopper,attendee,U-BBBB2222,\n",
		format: roster.Generic,
		want: []checkin.Person{
			{ID: "P1", Name: "Fernando Corbató", Category: "attendee", Code: "U-AAAA1111", Company: "Café “Chez Fernand” €"},
			{ID: "P2", Name: "Grace Hopper", Category: "attendee", Code: "U-BBBB2222"},
		},
	},
	{
		// 0x81 is not a Windows-1252 character either: the offset counts
		// from the file's first byte.
		name:    "ErrNeitherUTF8NorWindows1252",
		csv:     "id,name,category,code\nP1,Ada\x81,attendee,U-AAAA1111\n",
		wantErr: []string{fileName + ":2: ", "byte 0x81 at offset 28", "UTF-8", "Windows-1252"},
	},
	{
		// UTF-8 on one line and Windows-1252 on another: converting would
		// garble the UTF-8.
		name: "ErrMixedEncodings",
		csv: "id,name,category,code\nP1,Fernando Corbató,attendee,U-AAAA1111\n" +
			"P2,Fernando Corbat\xf3,attendee,U-BBBB2222\n",
		wantErr: []string{fileName + ":3: ", "byte 0xF3 at offset 81", "UTF-8"},
	},
	{
		name:    "ErrByteOrderMarkThenWindows1252",
		csv:     "\ufeffid,name,category,code\nP1,Fernando Corbat\xf3,attendee,U-AAAA1111\n",
		wantErr: []string{fileName + ":2: ", "byte 0xF3 at offset 43", "UTF-8"},
	},
	{
		name:    "ErrUTF16",
		csv:     "\xff\xfei\x00d\x00,\x00",
		wantErr: []string{fileName + ":1: ", "UTF-16", "UTF-8"},
	},
	{
		name:    "ErrImplausibleCodeTooLong",
		csv:     "id,name,category,code\nP1,Ada Lovelace,attendee," + strings.Repeat("U", checkin.MaxCodeLen+1) + "\n",
		wantErr: []string{fileName + ":2, column 4 (code): ", "not a plausible badge code"},
	},
	{
		name:    "ErrUnprintableID",
		csv:     "id,name,category,code\n\"P\x071\",Ada Lovelace,attendee,U-AAAA1111\n",
		wantErr: []string{fileName + ":2, column 1 (id): ", "control character U+0007"},
	},
	{
		// The column of a quote error is the field, as in every other
		// message ("column 2"), not the byte offset in the line.
		name: "ErrCSVBareQuote",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,Grace \"Amazing\" Hopper,attendee,U-BBBB2222\n",
		wantErr: []string{fileName + ":3, column 2", "quote"},
	},
	{
		name: "ErrCSVUnterminatedQuote",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,U-AAAA1111\n" +
			"P2,\"Grace Hopper,attendee,U-BBBB2222\n",
		wantErr: []string{fileName + ":3, column 2", "quote"},
	},
	{
		name: "ErrSeveralProblemsListed",
		csv: "id,name,category,code\nP1,Ada Lovelace,attendee,\n" +
			"P2,Grace Hopper,wizard,U-BBBB2222\n",
		wantErr: []string{fileName + ":2, column 4 (code): ", fileName + ":3, column 3 (category): "},
	},
}

// MustClosedEvent returns a small event with two categories: visitor
// may enter the hall; guest is defined but may enter nothing.
func MustClosedEvent(tb testing.TB) *checkin.Event {
	tb.Helper()
	ev := &checkin.Event{
		ID:     "closed",
		Spaces: []checkin.Space{{ID: "hall", Capacity: 10}},
		Doors:  []checkin.Door{{ID: "front", From: checkin.Outside, To: "hall"}},
		Categories: []checkin.Category{
			{ID: "visitor", MayEnter: []string{"hall"}},
			{ID: "guest"},
		},
	}
	if err := ev.Validate(); err != nil {
		tb.Fatalf("closed event: %v", err)
	}
	return ev
}

func eventFor(tb testing.TB, closed bool) *checkin.Event {
	tb.Helper()
	if closed {
		return MustClosedEvent(tb)
	}
	return demo.Event()
}

func TestRead(t *testing.T) {
	for _, c := range readCases {
		t.Run(c.name, func(t *testing.T) {
			people, format, err := roster.Read(strings.NewReader(c.csv), fileName, eventFor(t, c.closed))
			if c.wantErr != nil {
				if err == nil {
					t.Fatalf("Read succeeded with %d people; want an error containing %q", len(people), c.wantErr)
				}
				var ce *checkin.Error
				if !errors.As(err, &ce) || ce.Code != checkin.EINVALID {
					t.Fatalf("error %v (%T) is not a *checkin.Error with code %s", err, err, checkin.EINVALID)
				}
				for _, s := range c.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				if people != nil {
					t.Errorf("Read returned %d people with its error; want none", len(people))
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if format != c.format {
				t.Errorf("format = %q, want %q", format, c.format)
			}
			if !reflect.DeepEqual(people, c.want) {
				t.Errorf("people:\n got %+v\nwant %+v", people, c.want)
			}
		})
	}
}

func TestReadStopsAfterTwentyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name,category,code\n")
	const rows = 30
	for i := range rows {
		fmt.Fprintf(&b, "P%d,Person %d,wizard,U-CODE%04d\n", i, i, i)
	}
	_, _, err := roster.Read(strings.NewReader(b.String()), fileName, demo.Event())
	if checkin.ErrorCode(err) != checkin.EINVALID {
		t.Fatalf("error %v: code %q, want %q", err, checkin.ErrorCode(err), checkin.EINVALID)
	}
	lines := strings.Split(checkin.ErrorMessage(err), "\n")
	listed := 0
	for _, l := range lines {
		if strings.HasPrefix(l, fileName+":") {
			listed++
		}
	}
	if listed == 0 || listed >= rows {
		t.Errorf("message lists %d of %d problems; want a bounded list:\n%s", listed, rows, checkin.ErrorMessage(err))
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "stopped") {
		t.Errorf("last line %q does not say the list was cut", last)
	}
}

func TestWriteRead(t *testing.T) {
	ev := demo.Event()
	people := append(demo.Roster(300),
		checkin.Person{ID: "Q1", Name: `Ada "Countess" Lovelace, Jr.`, Category: "speaker", Code: "U-QUOTE,1",
			Company: "Analytical, Engines", Email: "ada@example.org", Tags: []string{"workshop-a", "vip"}},
		checkin.Person{ID: "Q2", Name: "Edsger\tDijkstra", Category: "staff", Code: "U-ÅÄÖ-ÉÈ"},
		checkin.Person{ID: "Q3", Name: "Yukihiro Matsumoto 松本行弘", Category: "press", Code: `U-"Q3"`},
	)
	var b bytes.Buffer
	if err := roster.Write(&b, people); err != nil {
		t.Fatalf("Write: %v", err)
	}
	header, _, _ := strings.Cut(b.String(), "\n")
	if want := strings.Join(roster.Header, ","); header != want {
		t.Errorf("header = %q, want %q", header, want)
	}
	got, format, err := roster.Read(&b, fileName, ev)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if format != roster.Generic {
		t.Errorf("format = %q, want %q", format, roster.Generic)
	}
	if len(got) != len(people) {
		t.Fatalf("read %d people, wrote %d", len(got), len(people))
	}
	for i := range people {
		if !reflect.DeepEqual(got[i], people[i]) {
			t.Errorf("person %d:\n got %+v\nwant %+v", i, got[i], people[i])
		}
	}
}

// A roster written for organizers to open in a spreadsheet holds no cell
// the spreadsheet would run as a formula, and reads back as written.
func TestWriteFormulaCells(t *testing.T) {
	people := []checkin.Person{
		{ID: "=1+2", Name: `=HYPERLINK("http://x","y")`, Category: "attendee", Code: "-AAAA1111", Company: "+Engines",
			Email: "@ada", Tags: []string{"-vip"}},
		{ID: "P2", Name: "'=already quoted", Category: "attendee", Code: "U-BBBB2222", Company: "'Tis Engines"},
	}
	var b bytes.Buffer
	if err := roster.Write(&b, people); err != nil {
		t.Fatalf("Write: %v", err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("written CSV: %v", err)
	}
	want := [][]string{
		roster.Header,
		{"'=1+2", `'=HYPERLINK("http://x","y")`, "attendee", "'-AAAA1111", "'+Engines", "'@ada", "'-vip", "", ""},
		{"P2", "''=already quoted", "attendee", "U-BBBB2222", "'Tis Engines", "", "", "", ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("cells:\n got %q\nwant %q", rows, want)
	}
	got, _, err := roster.Read(&b, fileName, demo.Event())
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !reflect.DeepEqual(got, people) {
		t.Errorf("read back:\n got %+v\nwant %+v", got, people)
	}
}

// ReadFile says on stderr that it read a file as Windows-1252, which the
// load commands pass on; a UTF-8 file gets no such line.
func TestReadFileWarnsOfWindows1252(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data, warning string
	}{
		{"Windows1252", "id,name,category,code\nP1,Fernando Corbat\xf3,attendee,U-AAAA1111\n",
			"warning: " + filepath.Join(dir, "Windows1252.csv") + " is not UTF-8: read as Windows-1252\n"},
		{"UTF8", "id,name,category,code\nP1,Fernando Corbató,attendee,U-AAAA1111\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".csv")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			res, err := roster.ReadFile(path, demo.Event(), &stderr, roster.Options{})
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			people := res.People
			if people[0].Name != "Fernando Corbató" {
				t.Errorf("name %q, want Fernando Corbató", people[0].Name)
			}
			if stderr.String() != tc.warning {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.warning)
			}
		})
	}
}
