package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	qrcode "github.com/skip2/go-qrcode"

	"usher/centralstore"
	"usher/sync/wire"
)

// enrollCmd: usher-central enroll --door DOOR [--valid-for 24h] [--server URL] [--qr F] [--db D],
// enroll list [--db D], enroll cancel ID [--db D]
func enrollCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "list" || args[0] == "cancel") {
		return enrollAdminCmd(args, stdout, stderr)
	}
	fs := flag.NewFlagSet("usher-central enroll", flag.ContinueOnError)
	dsn := dbFlag(fs)
	door := fs.String("door", "", "the `door` the kiosk will scan at")
	validFor := fs.Duration("valid-for", centralstore.EnrollValidFor, "how long the code works (`duration`, e.g. 2h)")
	serverURL := fs.String("server", "http://127.0.0.1:8080", "the `URL` kiosks reach this server at")
	qrPath := fs.String("qr", "", "where to write the QR `PNG` (default enroll-DOOR.png)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *door == "" || fs.NArg() > 0 {
		return errors.New("usage: usher-central enroll --door DOOR [--valid-for 24h] [--server URL] [--qr FILE.png] [--db D]")
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	e, err := db.NewEnrollment(context.Background(), *door, *validFor)
	if err != nil {
		return err
	}
	code := wire.EnrollCode{URL: *serverURL, Door: *door, Token: e.Token}
	if _, err := wire.ParseEnrollCode(code.String()); err != nil {
		return err
	}
	if *qrPath == "" {
		*qrPath = "enroll-" + *door + ".png"
	}
	png, err := qrcode.Encode(code.String(), qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("QR of the enrollment code: %w", err)
	}
	// The QR is a secret until it is used: its owner alone may read it.
	if err := writePrivate(*qrPath, png); err != nil {
		return err
	}
	abs, _ := filepath.Abs(*qrPath)
	fmt.Fprintf(stderr, "One-time enrollment %s for door %s, valid until %s; QR written to %s (readable by you only).\n",
		e.ID, *door, e.Expires.Local().Format("2006-01-02 15:04"), abs)
	fmt.Fprintf(stderr, "On the kiosk: scan it in staff mode, or run: usher enroll --db K.db CODE\n")
	fmt.Fprintf(stderr, "To cancel it: usher-central enroll cancel %s\n", e.ID)
	fmt.Fprintln(stdout, code.String())
	return nil
}

// writePrivate writes a secret to path, mode 0600 whether the file is
// new or was there before.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// enrollAdminCmd: usher-central enroll list | enroll cancel ID
func enrollAdminCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central enroll "+args[0], flag.ContinueOnError)
	dsn := dbFlag(fs)
	ids, err := parseWithArgs(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if (args[0] == "list") != (len(ids) == 0) || len(ids) > 1 {
		return errors.New("usage: usher-central enroll list [--db D] | usher-central enroll cancel ID [--db D]")
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if args[0] == "cancel" {
		if err := db.CancelEnrollment(ctx, ids[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enrollment code %s cancelled\n", ids[0])
		return nil
	}
	list, err := db.Enrollments(ctx)
	if err != nil {
		return err
	}
	now := db.Now()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDOOR\tCREATED\tEXPIRES\tSTATE")
	for _, e := range list {
		state := "open"
		switch {
		case e.Used:
			state = "used"
		case e.Cancelled:
			state = "cancelled"
		case !now.Before(e.Expires):
			state = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Door, e.Created.Local().Format("2006-01-02 15:04"),
			e.Expires.Local().Format("2006-01-02 15:04"), state)
	}
	return tw.Flush()
}
