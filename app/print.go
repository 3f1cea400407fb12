package app

import (
	"context"
	"fmt"
	"time"

	"usher/checkin"
)

// BadgePrinter prints badges at the door with the kiosk's signing key
// and CUPS (doorprint.Desk; the screen knows neither).
type BadgePrinter interface {
	// Printers lists the printers (CUPS queues) this kiosk can print on,
	// and the machine's default ("" when none is set). An error says why
	// printing cannot work here (no CUPS, no signing key).
	Printers(ctx context.Context) (names []string, def string, err error)
	// Print gives personID a new badge serial, durably, which revokes the
	// badge they hold, then prints the new badge on queue ("" the
	// default printer) and media (checkin.MediaLabel or MediaA6). It may
	// work in the background; it calls done on the UI goroutine with the
	// new badge's serial, the CUPS job and anything staff should know
	// (note: the central server was not reached), or why nothing was
	// printed.
	Print(personID, queue, media string, done func(serial uint32, job, note string, err error))
}

// PrintTo is where a badge goes: a CUPS queue ("" for the machine's
// default printer) and its media (checkin.MediaLabel or MediaA6).
type PrintTo struct{ Queue, Media string }

// Settings of the printer staff chose at this door; unset, the event
// file's [kiosk] printer and media.
const (
	settingPrinter = "print_queue"
	settingMedia   = "print_media"
)

// modePrint is the direction setting of a badge desk (ENTRY / EXIT /
// PRINT): a scan prints a badge for its holder and admits nobody.
const modePrint = "PRINT"

// reprintGuard is how long after printing for someone a scan of their
// code at a badge desk prints nothing more: the new badge scanned by
// mistake would otherwise revoke itself.
const reprintGuard = 2 * time.Minute

// printTo is where this door prints.
func (k *Kiosk) printTo() PrintTo {
	to := PrintTo{Queue: k.ev.Kiosk.Printer, Media: k.ev.Kiosk.Media}
	if q, err := k.b.Setting(k.ctx, settingPrinter); err == nil && q != "" {
		to.Queue = q
	}
	if m, err := k.b.Setting(k.ctx, settingMedia); err == nil && m != "" {
		to.Media = m
	}
	if to.Media == "" {
		to.Media = checkin.MediaLabel
	}
	return to
}

// String names the printer and media for staff.
func (to PrintTo) String() string {
	q := short(to.Queue, 24)
	if q == "" {
		q = "the default printer"
	}
	return q + " · " + mediaName(to.Media)
}

func mediaName(m string) string {
	if m == checkin.MediaA6 {
		return "A6"
	}
	return "label 62 × 100 mm"
}

// askPrint asks staff before printing a new badge for p: the badge p
// holds stops admitting.
func (k *Kiosk) askPrint(p checkin.Person) {
	k.confirm.open("Print a new badge for "+p.Name+"?",
		"The badge they hold stops admitting at once. Printer: "+k.printTo().String()+".",
		"Print", func() {
			k.staffUntil = k.Now().Add(staffIdle)
			k.back()
			k.printFor(p)
		})
}

// printFor prints a new badge for p and shows how it went.
func (k *Kiosk) printFor(p checkin.Person) {
	to := k.printTo()
	k.printing[p.ID] = k.Now()
	k.showResult(tonePrinting, k.who(&p), "Sending a new badge to "+to.String()+"…")
	k.opts.Printer.Print(p.ID, to.Queue, to.Media, func(serial uint32, job, note string, err error) {
		if err != nil {
			delete(k.printing, p.ID)
			k.showResult(toneNotPrinted, k.who(&p), checkin.ErrorMessage(err))
			return
		}
		msg := fmt.Sprintf("New badge (serial %d) sent to %s as job %s. The badge they had no longer admits.", serial, to.String(), job)
		if note != "" {
			msg += " " + note
		}
		k.showResult(tonePrinted, k.who(&p), msg)
	})
}

// printScan is a scan at a badge desk: it prints a badge for the code's
// holder, or says why not. Nobody is admitted and nothing is logged as
// a scan.
func (k *Kiosk) printScan(code string) {
	b, err := k.b.Identify(k.ctx, code)
	nothing := " Nothing printed."
	switch {
	case err != nil:
		k.showError(err)
	case b.Person == nil && b.Problem != "":
		k.showResult(toneNotPrinted, "Badge not accepted", checkin.ProblemMessage(b.Problem)+nothing)
	case b.Person == nil:
		k.showResult(toneNotPrinted, "Unknown code", "Nobody on the roster has this code."+nothing)
	case b.Person.Revoked != "":
		k.showResult(toneNotPrinted, k.who(b.Person), "This ticket is no longer valid: "+b.Person.Revoked+"."+nothing)
	case b.Revoked:
		k.showResult(toneNotPrinted, k.who(b.Person), "This badge was replaced or revoked."+nothing+" Staff can print by name (F2, P).")
	case b.Problem != "":
		k.showResult(toneNotPrinted, k.who(b.Person), checkin.ProblemMessage(b.Problem)+nothing)
	case k.Now().Sub(k.printing[b.Person.ID]) < reprintGuard:
		k.showResult(toneNotPrinted, k.who(b.Person),
			"A badge was printed for them at "+k.printing[b.Person.ID].Format("15:04")+"."+nothing+" To print another, use staff mode (F2, P).")
	default:
		k.printFor(*b.Person)
	}
}

// who names a person for the panel: name · category.
func (k *Kiosk) who(p *checkin.Person) string {
	who := p.Name
	if c := k.ev.Category(p.Category); c != nil {
		who += " · " + c.Name
	}
	return who
}

// showResult puts a result that is no recorded decision on the panel
// (a badge printed or not), holds it like a decision and sounds it.
func (k *Kiosk) showResult(t tone, who, msg string) {
	k.panel.show(t, who, msg)
	k.play(t)
	k.ready = false
	hold := holdGood
	if t.bg != toneAdmit.bg {
		hold = holdBad
	}
	k.holdUntil = k.Now().Add(hold)
}
