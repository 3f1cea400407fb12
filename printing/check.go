package printing

import (
	"context"
	"slices"
	"strings"

	"usher/checkin"
)

// Printers returns the CUPS destinations this machine can print to and the
// default one ("" when there is none), as lpstat reports them. It returns
// the not-installed error when CUPS's client is missing.
func Printers(ctx context.Context) (names []string, def string, err error) {
	out, err := run(ctx, nil, "lpstat", "-e")
	if err != nil {
		return nil, "", err
	}
	names = strings.Fields(out)
	out, err = run(ctx, nil, "lpstat", "-d")
	if err != nil {
		return nil, "", err
	}
	// "system default destination: NAME", or "no system default destination".
	if _, d, ok := strings.Cut(strings.TrimSpace(out), "system default destination: "); ok {
		def = strings.TrimSpace(d)
	}
	return names, def, nil
}

// Check reports whether p can take a job now, in this order: CUPS's client
// is installed (else ENOTFOUND), the scheduler answers (else ECONFLICT), the
// queue exists (else ENOTFOUND, naming the known queues) or, when Queue is
// "", there is a default printer (else ENOTFOUND), and the queue accepts
// jobs and is enabled (else ECONFLICT, with CUPS's reason). Errors are
// *checkin.Error naming the printer.
func (p Printer) Check(ctx context.Context) error {
	if err := p.check(ctx); err != nil {
		return p.wrap(err)
	}
	return nil
}

func (p Printer) check(ctx context.Context) error {
	out, err := run(ctx, nil, "lpstat", "-r")
	if err != nil {
		return err
	}
	if !strings.Contains(out, "scheduler is running") {
		return checkin.Errorf(checkin.ECONFLICT, "CUPS is not running or cannot be reached (%s)", server())
	}
	names, def, err := Printers(ctx)
	if err != nil {
		return err
	}
	known := "none"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	}
	queue := p.Queue
	switch {
	case queue == "" && def == "":
		return checkin.Errorf(checkin.ENOTFOUND, "CUPS has no default printer: name a queue (printers: %s) or set a default with lpadmin -d", known)
	case queue == "":
		queue = def
	case !slices.Contains(names, queue):
		return checkin.Errorf(checkin.ENOTFOUND, "CUPS has no printer %q (printers: %s)", queue, known)
	}
	out, err = run(ctx, nil, "lpstat", "-a", queue)
	if err != nil {
		return err
	}
	if strings.Contains(out, "not accepting") {
		return checkin.Errorf(checkin.ECONFLICT, "CUPS printer %q is not accepting jobs (cupsaccept %s): %s", queue, queue, strings.TrimSpace(out))
	}
	out, err = run(ctx, nil, "lpstat", "-l", "-p", queue)
	if err != nil {
		return err
	}
	if strings.Contains(firstLine(out), "disabled") {
		return checkin.Errorf(checkin.ECONFLICT, "CUPS printer %q is stopped (cupsenable %s): %s", queue, queue, oneLine(out))
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// oneLine joins lpstat's indented lines for a message.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
