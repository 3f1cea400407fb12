package kiosk

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"usher/checkin"
	"usher/store"
	"usher/sync/kiosksync"
)

// Timing of the commands' exchanges with the server.
const (
	// requestTimeout bounds one request: a pull page of a large roster
	// over venue Wi-Fi takes seconds, a dead link should not take minutes.
	requestTimeout = time.Minute
	// lastSync bounds the push `usher scan` tries when its input ends:
	// long enough for a push on a working link, short enough that a
	// script feeding a turnstile is not held up by a dead one.
	lastSync = 3 * time.Second
)

// httpClient is the client the commands talk to the server with.
var httpClient = &http.Client{Timeout: requestTimeout}

// enroll: usher enroll --db K.db CODE
func enroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher enroll", flag.ContinueOnError)
	dbPath := fs.String("db", "", "kiosk database `file` (created if missing)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: usher enroll --db K.db CODE   (CODE: the USHER-ENROLL:… text of the organizer's QR)")
		fs.PrintDefaults()
	}
	code, err := parseWithArg(fs, args, stderr, "CODE")
	if err != nil {
		return err
	}
	if *dbPath == "" {
		return usageError{errors.New("--db is required")}
	}
	if err := os.MkdirAll(filepath.Dir(*dbPath), 0o755); err != nil {
		return err
	}
	db, err := store.Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := kiosksync.Enroll(ctx, db, code, httpClient); err != nil {
		return err
	}
	id, err := db.Identity(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enrolled as kiosk %s at door %s of %s\n", id.KioskID, id.Door, id.URL)
	if s, err := db.Standing(ctx); err == nil && s.KeptNote() != "" {
		fmt.Fprintln(stdout, s.KeptNote())
	}
	if ev := db.Event(); ev != nil {
		fmt.Fprintf(stdout, "event %s: %d spaces, %d doors, %d categories\n", ev.ID, len(ev.Spaces), len(ev.Doors), len(ev.Categories))
	}
	return nil
}

// parseWithArg parses flags around exactly one positional argument,
// which may come before or after them.
func parseWithArg(fs *flag.FlagSet, args []string, stderr io.Writer, name string) (string, error) {
	fs.SetOutput(stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", err
			}
			return "", usageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(pos) {
	case 0:
		return "", usageError{fmt.Errorf("%s is required", name)}
	case 1:
		return pos[0], nil
	default:
		return "", usageError{fmt.Errorf("unexpected argument %q", pos[1])}
	}
}

// syncOnce: usher sync --db K.db
func syncOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher sync", flag.ContinueOnError)
	dbPath := fs.String("db", "", "kiosk database `file`")
	if err := parse(fs, args, stderr, "db"); err != nil {
		return err
	}
	if _, err := os.Stat(*dbPath); err != nil {
		return checkin.Errorf(checkin.ENOTFOUND, "%s: %v", *dbPath, errors.Unwrap(err))
	}
	db, err := store.Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	s := kiosksync.New(db, httpClient)
	res, err := s.Round(ctx)
	fmt.Fprintln(stdout, res)
	if ctx.Err() == nil {
		fmt.Fprintln(stdout, s.Status())
	}
	return err
}

// startSync starts syncing in the background when the database is
// enrolled; nil for a standalone kiosk.
func startSync(ctx context.Context, db *store.DB, id store.Identity, stderr io.Writer) *kiosksync.Syncer {
	if !id.Enrolled() {
		return nil
	}
	s := kiosksync.New(db, httpClient)
	s.Log = log.New(stderr, "", 0)
	s.Start(ctx)
	return s
}

// finishSync stops the background sync and, unless scanning was
// interrupted, tries one last round for at most lastSync: what it cannot
// push waits in the database for the next sync.
func finishSync(ctx context.Context, db *store.DB, s *kiosksync.Syncer, stderr io.Writer) {
	if s == nil {
		return
	}
	s.Stop()
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, lastSync)
	defer cancel()
	err := s.Sync(ctx)
	if err == nil {
		return
	}
	msg := checkin.ErrorMessage(err)
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "the server did not answer in time"
	}
	n, _ := db.Waiting(context.WithoutCancel(ctx))
	what := fmt.Sprintf("%d scans wait", n)
	if n == 1 {
		what = "1 scan waits"
	}
	fmt.Fprintf(stderr, "usher scan: last sync failed (%s); %s in the database for the next one\n", msg, what)
}
