package app

import (
	"context"
	"crypto/ed25519"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"usher/badge"
	"usher/checkin"
	"usher/demo"
	"usher/doorprint"
	"usher/printing/cupstest"
)

// printKiosk is a kiosk screen that prints through the test CUPS: the
// demo event with a signing key's [[key]] block, and a doorprint.Desk
// with that key on the kiosk's own database (working in the caller, so
// each print has finished when the key that started it returns).
type printKiosk struct {
	*harness
	signKey    ed25519.PrivateKey
	queue, out string
}

func mustPrintKiosk(t *testing.T) *printKiosk {
	t.Helper()
	queue, out := cupstest.MustCUPS(t)
	key, _, err := badge.NewKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := MustKiosk(t, Options{})
	ev := *demo.Event()
	pub := key.Public().(ed25519.PublicKey)
	ev.Keys = append(ev.Keys, checkin.Key{ID: badge.KeyID(pub), Public: pub})
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.Load(h.ctx, &ev, roster()); err != nil {
		t.Fatal(err)
	}
	if err := h.db.SetSetting(h.ctx, settingPrinter, queue); err != nil {
		t.Fatal(err)
	}
	pk := &printKiosk{harness: h, signKey: key, queue: queue, out: out}
	pk.open(Options{})
	return pk
}

func (h *printKiosk) open(opts Options) {
	h.t.Helper()
	opts.Printer = &doorprint.Desk{Store: h.db, Key: h.signKey, Now: h.clock.Now}
	h.harness.open(opts)
}

// signed is p's signed badge of serial, valid on the test's day.
func (h *printKiosk) signed(p checkin.Person, serial uint32) string {
	h.t.Helper()
	p.Serial = serial
	code, err := badge.Code(h.db.Event(), p, h.signKey, start.Add(-time.Hour), start.Add(24*time.Hour))
	if err != nil {
		h.t.Fatal(err)
	}
	return code
}

// printByName prints a badge from staff mode: P, a name, Enter to pick
// the first match, Enter to confirm.
func (h *printKiosk) printByName(name string) {
	h.t.Helper()
	h.unlockStaff()
	h.staffKey('P')
	h.typeText(name)
	h.key(fyne.KeyReturn)
	h.key(fyne.KeyReturn)
}

// wantPrinted checks that the panel says a badge went to the printer
// for p, finds the PDF CUPS made of it, and returns the code its QR
// reads, which must be p's badge of serial.
func (h *printKiosk) wantPrinted(p checkin.Person, serial uint32) string {
	h.t.Helper()
	panel := h.k.panel
	if panel.word.Text != tonePrinted.word || !strings.HasPrefix(panel.who.Text, p.Name) {
		h.t.Fatalf("panel %s %q %q, want PRINTED for %s", panel.word.Text, panel.who.Text, panel.msg, p.Name)
	}
	i := strings.Index(panel.msg, " as job ")
	if i < 0 {
		h.t.Fatalf("the panel names no job: %q", panel.msg)
	}
	job := strings.Fields(panel.msg[i+len(" as job "):])[0]
	job = strings.TrimSuffix(job, ".")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cupstest.ReadQR(h.t, ctx, cupstest.WaitForPDF(h.t, ctx, h.out, job))
	b, err := h.db.Identify(ctx, code)
	if err != nil || b.Person == nil || b.Person.ID != p.ID || b.Revoked || b.Person.Serial != serial {
		h.t.Fatalf("the printed QR %q is %+v (revoked %v), %v; want %s's badge of serial %d", code, b.Person, b.Revoked, err, p.ID, serial)
	}
	return code
}

// Staff print a new badge for the person just scanned: P offers them
// first, Enter asks, Enter prints. The printed badge (read back from the
// PDF CUPS made) admits; the one they held is refused as replaced.
func TestPrintForLastScanned(t *testing.T) {
	h := mustPrintKiosk(t)
	old := h.signed(grace, 1)
	h.scan(old)
	h.wantPanel(toneAdmit, "Grace Hopper · Speaker", "Welcome, Grace Hopper.")
	h.advance(holdGood)
	h.unlockStaff()
	h.staffKey('P')
	if !h.k.search.box.Visible() || len(h.k.search.results) != 1 || h.k.search.results[0].ID != grace.ID {
		t.Fatalf("P shows %T with %d results; want the search offering Grace", h.k.showing(), len(h.k.search.results))
	}
	h.key(fyne.KeyReturn)
	if !h.k.confirm.box.Visible() || !strings.Contains(h.k.confirm.title.Text, "Grace Hopper") {
		t.Fatalf("Enter showed %T (%q), want the confirmation", h.k.showing(), h.k.confirm.title.Text)
	}
	if !strings.Contains(h.k.confirm.detail.Text, h.queue) || !strings.Contains(h.k.confirm.detail.Text, "62 × 100") {
		t.Errorf("the confirmation %q does not name the printer and media", h.k.confirm.detail.Text)
	}
	rows := len(h.rows())
	h.key(fyne.KeyReturn)
	code := h.wantPrinted(grace, 2)
	if len(h.rows()) != rows {
		t.Errorf("printing logged %d scans", len(h.rows())-rows)
	}
	h.advance(holdGood)
	h.scan(old)
	h.wantPanel(toneDeny, "Grace Hopper · Speaker", "This badge is no longer valid. Send to the registration desk.")
	if r := h.last(); r.Reason != string(checkin.Revoked) {
		t.Errorf("the old badge after the reprint: %s, want %s", r.Reason, checkin.Revoked)
	}
	h.advance(holdBad)
	h.scan(code)
	if r := h.last(); r.Decision != string(checkin.Admit) {
		t.Errorf("the printed badge: %s %s, want admitted", r.Decision, r.Reason)
	}
}

// Staff print by name for someone who lost their badge.
func TestPrintByName(t *testing.T) {
	h := mustPrintKiosk(t)
	h.unlockStaff()
	h.staffKey('P')
	if len(h.k.search.results) != 0 {
		t.Errorf("nobody scanned yet, the print search offers %d people", len(h.k.search.results))
	}
	h.key(fyne.KeyEscape)
	h.printByName("hedy")
	h.wantPrinted(hedy, 2)
}

// Staff choose the printer and media among those CUPS has (Q): the
// choice is the door's, shown in the menu, and the next badge comes out
// in A6.
func TestChoosePrinter(t *testing.T) {
	h := mustPrintKiosk(t)
	h.unlockStaff()
	h.staffKey('Q')
	v := h.k.printers
	if !v.box.Visible() || v.status.Text != "" {
		t.Fatalf("Q shows %T, status %q", h.k.showing(), v.status.Text)
	}
	a6 := -1
	for i, c := range v.choices {
		if c == (PrintTo{h.queue, checkin.MediaA6}) {
			a6 = i
		}
	}
	if a6 < 0 || !strings.Contains(v.buttons[a6].Text, "A6") {
		t.Fatalf("the printer list %+v has no %s · A6", v.choices, h.queue)
	}
	v.keys.TypedRune(rune('1' + a6))
	v.keys.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := h.k.printTo(); got != (PrintTo{h.queue, checkin.MediaA6}) {
		t.Errorf("after choosing A6 the door prints on %+v", got)
	}
	h.printByName("alan")
	h.wantPrinted(alan, 2)
}

// A badge desk (PRINT mode) prints for each ticket scanned, admits
// nobody and logs no scan; it refuses an unknown code, a replaced badge
// and a second print for the same person within reprintGuard, and its
// name search needs staff mode. The mode survives a restart.
func TestBadgeDesk(t *testing.T) {
	h := mustPrintKiosk(t)
	h.unlockStaff()
	h.staffKey('1') // EXIT
	h.unlockStaff()
	if got := h.k.staff.dir.button.Text; !strings.Contains(got, "PRINT") {
		t.Fatalf("item 1 at EXIT says %q, want PRINT next", got)
	}
	h.staffKey('1') // PRINT
	if h.k.dirText.Text != "PRINT" || !h.k.printMode {
		t.Fatalf("top bar %q, print mode %v", h.k.dirText.Text, h.k.printMode)
	}
	h.wantPanel(toneDesk, "Badge desk — scan a ticket or badge to print a badge",
		mainDoorName+" · PRINT · "+h.queue+" · label 62 × 100 mm · nobody is admitted here")

	h.scan(ada.Code)
	h.wantPrinted(ada, 2)
	if len(h.rows()) != 0 || h.occ(venue) != 0 {
		t.Errorf("the badge desk logged %d scans and counts %d inside", len(h.rows()), h.occ(venue))
	}
	h.advance(holdBad)
	h.scan(ada.Code)
	h.wantPanel(toneNotPrinted, "Ada Lovelace · Attendee",
		"A badge was printed for them at 09:00. Nothing printed. To print another, use staff mode (F2, P).")
	h.advance(holdBad)
	h.scan(unknownCode)
	h.wantPanel(toneNotPrinted, "Unknown code", "Nobody on the roster has this code. Nothing printed.")
	h.advance(holdBad)
	h.scan(h.signed(hedy, 1))
	h.wantPrinted(hedy, 2)
	h.advance(holdBad)
	h.scan(h.signed(hedy, 1))
	h.wantPanel(toneNotPrinted, "Hedy Lamarr · Exhibitor", "This badge was replaced or revoked. Nothing printed. Staff can print by name (F2, P).")
	h.advance(holdBad)
	h.key(fyne.KeyF3)
	if h.k.search.box.Visible() {
		t.Errorf("F3 at a badge desk opened the name search without staff mode")
	}
	h.advance(holdBad)

	h.open(Options{})
	if !h.k.printMode || h.k.dirText.Text != "PRINT" {
		t.Errorf("after a restart the kiosk is in %q", h.k.dirText.Text)
	}
	h.unlockStaff()
	h.staffKey('1')
	if h.k.printMode || h.k.dir != checkin.Entry {
		t.Errorf("item 1 at PRINT left print mode %v, direction %s; want ENTRY", h.k.printMode, h.k.dir)
	}
}

// Printing that cannot work says why on the panel and changes nothing:
// a printer CUPS does not have, a machine without CUPS's lp, a kiosk
// with no signing key. The badge the person holds still admits.
func TestPrintFailsSaysWhy(t *testing.T) {
	h := mustPrintKiosk(t)
	old := h.signed(ada, 1)
	print := func() { h.printByName("ada") }
	if err := h.db.SetSetting(h.ctx, settingPrinter, "Usher-No-Such-Queue"); err != nil {
		t.Fatal(err)
	}
	print()
	if h.k.panel.word.Text != toneNotPrinted.word {
		t.Errorf("panel %s, want %s", h.k.panel.word.Text, toneNotPrinted.word)
	}
	if msg := h.k.panel.msg; !strings.Contains(msg, "No badge printed; the badge they hold still works.") || !strings.Contains(msg, "Usher-No-Such-Queue") {
		t.Errorf("panel %q", msg)
	}
	h.advance(holdBad)

	path := os.Getenv("PATH")
	t.Setenv("PATH", t.TempDir()) // no lp
	h.open(Options{})
	print()
	if msg := h.k.panel.msg; !strings.Contains(msg, "lp command is not installed") {
		t.Errorf("without lp the panel says %q", msg)
	}
	h.advance(holdBad)
	t.Setenv("PATH", path)

	h.signKey = nil
	h.open(Options{})
	h.unlockStaff()
	h.staffKey('Q')
	if got := h.k.printers.status.Text; !strings.Contains(got, "--signing-key") {
		t.Errorf("without a key the printer list says %q", got)
	}
	h.key(fyne.KeyEscape)

	h.advance(holdBad)
	h.k.leave()
	h.scan(old)
	if r := h.last(); r.Decision != string(checkin.Admit) {
		t.Errorf("after the failed prints Ada's badge: %s %s, want admitted", r.Decision, r.Reason)
	}
}

// A badge scanned while the print confirmation is open is a scan: the
// question closes unanswered, nothing is printed, and the badge is
// decided at the door as usual.
func TestScanDuringPrintConfirmation(t *testing.T) {
	h := mustPrintKiosk(t)
	h.unlockStaff()
	h.staffKey('P')
	h.typeText("ada")
	h.key(fyne.KeyReturn)
	if !h.k.confirm.box.Visible() {
		t.Fatalf("no confirmation; showing %T", h.k.showing())
	}
	h.wedge(grace.Code)
	h.wantPanel(toneAdmit, "Grace Hopper · Speaker", "Welcome, Grace Hopper.")
	if b, err := h.db.Identify(h.ctx, h.signed(ada, 1)); err != nil || b.Revoked {
		t.Errorf("Ada's badge after the unanswered question: revoked %v, %v; want valid", b.Revoked, err)
	}
	if h.k.confirm.run != nil {
		t.Errorf("the print question is still armed after the scan")
	}
}
