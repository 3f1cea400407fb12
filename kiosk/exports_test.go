package kiosk_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"usher/checkin"
)

// door is what a scan of one code at the main door must give.
type door struct {
	code    string
	reason  checkin.Reason
	name    string // the person's name as the kiosk shows it
	message string // contained in the decision's message
}

// checkDoor loads roster into a fresh demo kiosk with `usher load`
// (and flags), checks what load printed, then scans every code at the
// main door and checks who is admitted and who is refused, and why.
func checkDoor(t *testing.T, roster string, flags []string, printed []string, want []door) {
	t.Helper()
	k := MustKioskOf(t, 10)
	out := MustRun(t, "", append([]string{"load", "--db", k.db, "--event", k.event, "--roster", roster}, flags...)...)
	for _, s := range printed {
		if !strings.Contains(out, s) {
			t.Errorf("load printed %q, want it to say %q", out, s)
		}
	}
	var codes []string
	for _, w := range want {
		codes = append(codes, w.code)
	}
	outs := k.MustScan(t, "main", codes)
	if len(outs) != len(want) {
		t.Fatalf("%d decisions for %d codes", len(outs), len(want))
	}
	for i, w := range want {
		o := outs[i]
		if o.Reason != w.reason || o.Person == nil || o.Person.Name != w.name || !strings.Contains(o.Message, w.message) {
			t.Errorf("%s: %s %s (%+v) %q; want %s for %q with %q", w.code, o.Decision, o.Reason, o.Person, o.Message, w.reason, w.name, w.message)
		}
	}
}

// An Eventbrite attendee report, as exported: every status, one row
// each. Refunded, cancelled, not attending, transferred and deleted
// attendees are refused with the reason; attending and checked-in ones
// get in.
func TestLoadEventbriteReport(t *testing.T) {
	const report = "Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Barcode #,Order Type,Total Paid,Eventbrite Fees,Eventbrite Payment Processing,Attendee Status,Company,Job Title\n" +
		"1001,2026-10-01 10:00:00-07:00,Ada,Lovelace,ada@example.org,1,General Admission,2001,30010001001,Eventbrite Completed,100.00,5.00,3.00,Attending,Analytical Engines,Countess\n" +
		"1002,2026-10-01 10:05:00-07:00,Bob,Byte,bob@example.org,1,General Admission,2002,30010001002,Eventbrite Completed,100.00,5.00,3.00,Not Attending,,\n" +
		"1003,2026-10-01 10:06:00-07:00,Di,Gital,di@example.org,1,Early Bird,2003,30010001003,Eventbrite Completed,80.00,4.00,2.00,Refunded,,\n" +
		"1004,2026-10-01 10:07:00-07:00,Cy,Pher,cy@example.org,1,Press,2004,30010001004,Free Order,0.00,0.00,0.00,Checked In,Daily Planet,Reporter\n" +
		"1005,2026-10-01 10:08:00-07:00,Eve,Drop,eve@example.org,1,General Admission,2005,30010001005,Eventbrite Completed,100.00,5.00,3.00,Cancelled,,\n" +
		"1006,2026-10-01 10:09:00-07:00,Tom,Transfer,tom@example.org,1,General Admission,2006,30010001006,Eventbrite Completed,100.00,5.00,3.00,Transferred,,\n" +
		"1006,2026-10-02 09:00:00-07:00,Tess,Taker,tess@example.org,1,General Admission,2007,30010001007,Eventbrite Completed,100.00,5.00,3.00,Attending,,\n" +
		"1008,2026-10-01 10:10:00-07:00,Del,Eted,del@example.org,1,Sponsor Comp,2008,30010001008,Free Order,0.00,0.00,0.00,Deleted,,\n"
	checkDoor(t, MustWrite(t, "eventbrite.csv", report), nil,
		[]string{"eventbrite, 8 people", "5 not valid, loaded as revoked",
			"1 Attendee Status: Refunded", "1 Attendee Status: Not Attending", "1 Attendee Status: Deleted"},
		[]door{
			{"30010001001", checkin.Admitted, "Ada Lovelace", "Welcome"},
			{"30010001002", checkin.Revoked, "Bob Byte", "not attending"},
			{"30010001003", checkin.Revoked, "Di Gital", "refunded ticket"},
			{"30010001004", checkin.Admitted, "Cy Pher", "Welcome"},
			{"30010001005", checkin.Revoked, "Eve Drop", "cancelled ticket"},
			{"30010001006", checkin.Revoked, "Tom Transfer", "transferred ticket"},
			{"30010001007", checkin.Admitted, "Tess Taker", "Welcome"},
			{"30010001008", checkin.Revoked, "Del Eted", "deleted ticket"},
		})
}

// A pretix check-in list saved by Excel in Europe: `;` between fields,
// Windows-1252 bytes, split name columns, a Paid column, and comps and
// volunteers without a name. Unpaid orders are refused, or let in with
// --include-pending; nameless people get in under a stand-in name.
func TestLoadPretixCheckinList(t *testing.T) {
	header := "Order code;Attendee name;Attendee name: Title;Attendee name: Given name;Attendee name: Family name;" +
		"Product;Price;Checked in;Checked out;Automatically checked in;Paid;Secret;E-mail;Company;Voucher code;" +
		"Order date;Requires special attention;Comment;Seat ID;Seat name;Seat zone;Seat row;Seat number\r\n"
	rows := "ABC12;J\xfcrgen M\xfcller;;J\xfcrgen;M\xfcller;General Admission;150.00;;;No;Yes;sec0001paid;jm@example.de;M\xfcller GmbH;;2026-10-01;No;;;;;;\r\n" +
		"ABC12;;;;;Volunteer;0.00;;;No;Yes;sec0002vol;jm@example.de;;;2026-10-01;No;;;;;;\r\n" +
		"DEF34;;;Ren\xe9e;Fran\xe7ois;Speaker;0.00;;;No;Yes;sec0003parts;rf@example.fr;;;2026-10-02;No;;;;;;\r\n" +
		"GHI56;Pat Pending;;Pat;Pending;General Admission;150.00;;;No;No;sec0004pend;pp@example.org;;;2026-10-03;No;;;;;;\r\n"
	file := MustWrite(t, "pretix.csv", header+rows)
	want := []door{
		{"sec0001paid", checkin.Admitted, "Jürgen Müller", "Welcome"},
		{"sec0002vol", checkin.Admitted, "(no name) · Volunteer · order ABC12", "Welcome"},
		{"sec0003parts", checkin.Admitted, "Renée François", "Welcome"},
		{"sec0004pend", checkin.Revoked, "Pat Pending", "unpaid order"},
	}
	t.Run("Pending", func(t *testing.T) {
		checkDoor(t, file, nil, []string{"pretix, 4 people", "separated by semicolons", "1 without a name",
			"1 not valid, loaded as revoked (denied at the door): 1 Paid: No"}, want)
	})
	t.Run("IncludePending", func(t *testing.T) {
		want := append([]door(nil), want...)
		want[3] = door{"sec0004pend", checkin.Admitted, "Pat Pending", "Welcome"}
		checkDoor(t, file, []string{"--include-pending"}, []string{"1 of unpaid orders admitted"}, want)
	})
}

// Both systems offer XLSX: the same people, from a workbook whose ticket
// numbers are numeric cells, through --sheet.
func TestLoadEventbriteXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("Attendees"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"Order #", "First Name", "Last Name", "Email", "Ticket Type", "Attendee #", "Barcode #", "Attendee Status", "Company"},
		{int64(1001), "Ada", "Lovelace", "ada@example.org", "General Admission", int64(2001), int64(30010001001), "Attending"},
		{int64(1003), "Di", "Gital", "di@example.org", "Early Bird", int64(2003), int64(30010001003), "Refunded", "Acme"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Attendees", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "attendees.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	checkDoor(t, path, []string{"--sheet", "Attendees"}, []string{"eventbrite, 2 people", "1 Attendee Status: Refunded"},
		[]door{
			{"30010001001", checkin.Admitted, "Ada Lovelace", "Welcome"},
			{"30010001003", checkin.Revoked, "Di Gital", "refunded ticket"},
		})
	k := MustKioskOf(t, 10)
	r := run(t, "", "load", "--db", k.db, "--event", k.event, "--roster", path)
	if r.code == 0 || !strings.Contains(r.stderr, "sheet Sheet1: the sheet is empty") || !strings.Contains(r.stderr, "Attendees") {
		t.Errorf("the workbook's first, empty sheet: exit %d %q; want a refusal naming the sheets", r.code, r.stderr)
	}
}

// A refund undone in Eventbrite: the next export lists the attendee as
// attending again, and their badge works again.
func TestLoadStatusValidAgain(t *testing.T) {
	k := MustKioskOf(t, 10)
	const header = "Attendee #,First Name,Last Name,Ticket Type,Barcode #,Attendee Status\n"
	load := func(status string) string {
		return MustRun(t, "", "load", "--db", k.db, "--event", k.event, "--roster",
			MustWrite(t, "eventbrite.csv", header+"2003,Di,Gital,Early Bird,30010001003,"+status+"\n"))
	}
	load("Refunded")
	outs := k.MustScan(t, "main", []string{"30010001003"})
	if len(outs) != 1 || outs[0].Reason != checkin.Revoked {
		t.Fatalf("refunded: %+v", outs)
	}
	if out := load("Attending"); !strings.Contains(out, "1 updated") {
		t.Errorf("the second load printed %q, want 1 updated", out)
	}
	outs = k.MustScan(t, "main", []string{"30010001003"})
	if len(outs) != 1 || outs[0].Reason != checkin.Admitted {
		t.Errorf("attending again: %+v, want admitted", outs)
	}
}
