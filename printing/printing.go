// Package printing prints badges on the kiosk's printer through CUPS: a door
// kiosk makes one badge's PDF (package badge) and hands it to a CUPS queue,
// usually a label printer with 62 mm tape or a card printer.
//
// It runs CUPS's command-line client (lp and lpstat) rather than speaking IPP
// itself: the commands honour everything the machine's CUPS is set up with
// (client.conf, $CUPS_SERVER, the user's and the system's default printer,
// lpoptions), so a kiosk prints wherever the machine prints, and the binary
// gains no dependency. Every command runs with the process's environment,
// in the C locale (their messages are parsed), and within a timeout.
package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"usher/checkin"
)

// Printer is a CUPS queue and the media it prints badges on.
type Printer struct {
	Queue string // "" is the CUPS default printer
	Media Media
}

// cmdTimeout bounds each lp or lpstat command whose context has no
// deadline: they talk to a local cupsd, which answers in milliseconds, or
// to a CUPS_SERVER across the network, where a dead host must not hang the
// kiosk.
const cmdTimeout = 30 * time.Second

// errNoCUPS is returned, wrapped, when the lp or lpstat command is missing.
var errNoCUPS = checkin.Errorf(checkin.ENOTFOUND,
	"printing needs CUPS: the lp command is not installed (Debian package cups-client)")

// run runs a CUPS command with stdin and returns its standard output. A
// failing command's error carries its standard error.
func run(ctx context.Context, stdin io.Reader, name string, args ...string) (string, error) {
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", errNoCUPS
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cmdTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	cmd.Stdin = stdin
	cmd.WaitDelay = time.Second // a child holding the pipes cannot keep us
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		return "", fmt.Errorf("%s: %w (is %s reachable?)", name, ctx.Err(), server())
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		if msg == "" {
			msg = err.Error()
		}
		return "", checkin.Errorf(checkin.ECONFLICT, "%s failed: %s", name, msg)
	}
	return stdout.String(), nil
}

// server names the CUPS server for messages: $CUPS_SERVER or the default.
func server() string {
	if s := os.Getenv("CUPS_SERVER"); s != "" {
		return "CUPS_SERVER=" + s
	}
	return "the local CUPS (or client.conf's ServerName)"
}

// where names p's queue for messages.
func (p Printer) where() string {
	if p.Queue == "" {
		return "the default printer"
	}
	return fmt.Sprintf("printer %q", p.Queue)
}

// wrap prefixes err with the printer, keeping its code.
func (p Printer) wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *checkin.Error
	if errors.As(err, &e) {
		return checkin.Errorf(e.Code, "%s: %s", p.where(), e.Message)
	}
	return fmt.Errorf("%s: %w", p.where(), err)
}
