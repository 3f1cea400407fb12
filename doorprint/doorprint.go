// Package doorprint prints a badge at the door: for a walk-up, a lost
// badge or a badge desk printing for people as they arrive. The person
// first gets a new badge serial in the kiosk's store, durably, which
// revokes the badge they hold (store.DB.Reprint); then a badge with the
// new serial is signed with the kiosk's signing key, laid out for the
// printer's media and sent to CUPS (package printing).
//
// A kiosk prints only with a signing key the event lists ([[key]]):
// the organizer copies one to the badge desk's laptop. Without one,
// printing says so and nothing changes.
package doorprint

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"usher/badge"
	"usher/checkin"
	"usher/printing"
	"usher/sync/kiosksync"
)

// Store is what printing needs of the kiosk's database (store.DB).
type Store interface {
	Event() *checkin.Event
	Reprint(ctx context.Context, personID string, atLeast uint32) (checkin.Person, error)
}

// Desk prints badges for one kiosk.
type Desk struct {
	Store Store
	// Key signs the badges; nil: this kiosk cannot print, and every call
	// says why.
	Key ed25519.PrivateKey
	// Now is the clock badges are valid from (the day's start); nil:
	// time.Now.
	Now func() time.Time
	// Do, when set, runs a finished print's callback on the UI goroutine
	// (fyne.Do), and Print works on its own goroutine; nil: Print works
	// in its caller and calls done before it returns.
	Do func(func())
	// Timeout bounds one print, CUPS included; 0: 30 s.
	Timeout time.Duration
	// Center, when set, asks the central server for the person's next
	// serial (Syncer below): the center revokes the badge in hand on the
	// list every kiosk pulls. It returns ErrStandalone at a kiosk with no
	// center, and an error wrapping ErrUnreached when the center cannot be
	// reached: the reprint is then this kiosk's alone, and Printed.Alone
	// says so. Any other error is the center's refusal: nothing printed.
	Center func(ctx context.Context, personID string) (uint32, error)
}

// Center's answers that are no refusal.
var (
	ErrStandalone = errors.New("no central server")
	ErrUnreached  = errors.New("the central server was not reached")
)

// Syncer is Desk.Center for an enrolled kiosk: it asks the center it
// syncs with.
func Syncer(s *kiosksync.Syncer) func(ctx context.Context, personID string) (uint32, error) {
	return func(ctx context.Context, personID string) (uint32, error) {
		serial, err := s.Reprint(ctx, personID)
		switch {
		case errors.Is(err, kiosksync.ErrStandalone):
			return 0, ErrStandalone
		case checkin.ErrorCode(err) == checkin.EOFFLINE, errors.Is(err, context.DeadlineExceeded):
			return 0, fmt.Errorf("%w: %w", ErrUnreached, err)
		}
		return serial, err
	}
}

// Printed is a badge sent to the printer.
type Printed struct {
	Person checkin.Person // with the new badge's serial
	Code   string         // the signed code in the printed QR
	Job    string         // the CUPS job, e.g. "Usher-PDF-12"
	// Alone: the center could not be reached, so only this kiosk knows
	// of the reprint; other doors refuse the old badge once they have
	// seen the new one. Why is in Note.
	Alone bool
	Note  string
}

// noKey is why a kiosk without a signing key prints nothing.
var noKey = checkin.Errorf(checkin.EINVALID,
	"this kiosk has no badge signing key: start it with --signing-key FILE (the event's signing.key) to print badges")

// Printers lists the CUPS queues this kiosk can print on and the
// default one, or says why it cannot print.
func (d *Desk) Printers(ctx context.Context) ([]string, string, error) {
	if err := d.ready(); err != nil {
		return nil, "", err
	}
	return printing.Printers(ctx)
}

func (d *Desk) ready() error {
	if d.Key == nil {
		return noKey
	}
	ev := d.Store.Event()
	if ev == nil {
		return checkin.Errorf(checkin.ENOTFOUND, "no event is loaded")
	}
	return badge.CheckKey(ev, d.Key)
}

// Print prints a new badge for personID on queue ("" the default
// printer) and media (checkin.MediaLabel or MediaA6), and calls done with
// the badge's serial and CUPS job, or why it was not printed (see Do).
// It is the screen's BadgePrinter.
func (d *Desk) Print(personID, queue, media string, done func(serial uint32, job, note string, err error)) {
	run := func() (uint32, string, string, error) {
		timeout := d.Timeout
		if timeout == 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		p, err := d.PrintBadge(ctx, personID, queue, media)
		return p.Person.Serial, p.Job, p.Note, err
	}
	if d.Do == nil {
		done(run())
		return
	}
	go func() {
		serial, job, note, err := run()
		d.Do(func() { done(serial, job, note, err) })
	}()
}

// PrintBadge is Print in its caller. The printer is checked before the
// serial is raised, so a printer that is off, missing or refusing jobs
// leaves the person's badge valid; a failure after the raise says that
// their old badge no longer admits.
func (d *Desk) PrintBadge(ctx context.Context, personID, queue, media string) (Printed, error) {
	if err := d.ready(); err != nil {
		return Printed{}, err
	}
	m, err := printing.ParseMedia(media)
	if err != nil {
		return Printed{}, err
	}
	pr := printing.Printer{Queue: queue, Media: m}
	if err := pr.Check(ctx); err != nil {
		return Printed{}, explain(err, "No badge printed; the badge they hold still works. ")
	}
	var (
		atLeast uint32
		out     Printed
	)
	if d.Center != nil {
		serial, err := d.Center(ctx, personID)
		switch {
		case err == nil:
			atLeast = serial
		case errors.Is(err, ErrStandalone):
		case errors.Is(err, ErrUnreached):
			out.Alone = true
			out.Note = "The central server was not reached: other doors refuse the old badge once they have seen the new one."
		default:
			// The center refuses: the person removed or not on its
			// roster, this kiosk revoked.
			return Printed{}, explain(err, "No badge printed: the central server refused. ")
		}
	}
	p, err := d.Store.Reprint(ctx, personID, atLeast)
	if err != nil {
		return Printed{}, err
	}
	out.Person = p
	var code string
	sheet := badge.Sheet{Layout: m.Layout(), Event: d.Store.Event(), Key: d.Key, From: d.dayStart(),
		OnBadge: func(_ int, _ checkin.Person, c string, _ []byte) { code = c }}
	var pdf bytes.Buffer
	if err := sheet.Write(&pdf, []checkin.Person{p}, nil); err != nil {
		return out, lost(err)
	}
	if out.Job, err = pr.Print(ctx, pdf.Bytes(), "Badge "+p.Name); err != nil {
		return out, lost(err)
	}
	out.Code = code
	return out, nil
}

// lost is the error of a print that failed after the serial was raised.
func lost(err error) error {
	return explain(err, "Their old badge no longer admits: print again, or admit them by name. ")
}

// explain puts what follows for the person in front of err's message,
// keeping its code and its chain.
func explain(err error, what string) error {
	return fmt.Errorf("%w: %w", checkin.Errorf(checkin.ErrorCode(err), "%s%s", what, checkin.ErrorMessage(err)), err)
}

// dayStart is the start of the kiosk's day: a badge printed at the door
// is valid from then, so a kiosk whose clock is a little behind accepts
// it, and has no end (a reprint or the roster ends it).
func (d *Desk) dayStart() time.Time {
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	y, mo, day := now.Date()
	return time.Date(y, mo, day, 0, 0, 0, 0, now.Location())
}
