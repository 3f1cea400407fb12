// Package kiosk is the kiosk's headless command line, the subcommands
// of usher that open no window, for scripts, turnstiles and set-up:
// `usher load` builds or updates a kiosk database from an event file and
// a roster, `usher scan` reads badge codes line by line, as a scanner or
// turnstile sends them, and prints one JSON decision per line, `usher
// enroll` joins a central server, `usher sync` runs one push-and-pull
// round with it and `usher export` writes the headcount reports of the
// kiosk's scans. The screen (the root package) opens its database with
// Open too.
package kiosk

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"usher/checkin"
	"usher/store"
)

// Commands lists the headless subcommands Run knows.
var Commands = []string{"load", "scan", "enroll", "sync", "export"}

// Run runs a headless subcommand (args[0] is its name) and returns the
// process exit code: 0 on success, 1 on failure, 2 on bad usage.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var err error
	switch args[0] {
	case "load":
		err = load(ctx, args[1:], stdout, stderr)
	case "scan":
		err = scan(ctx, args[1:], stdin, stdout, stderr)
	case "enroll":
		err = enroll(ctx, args[1:], stdout, stderr)
	case "sync":
		err = syncOnce(ctx, args[1:], stdout, stderr)
	case "export":
		err = exportCmd(ctx, args[1:], stdout, stderr)
	default:
		err = usageError{fmt.Errorf("unknown command %q", args[0])}
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "usher %s: %v\n", args[0], ue.err)
		return 2
	default:
		fmt.Fprintf(stderr, "usher %s: %s\n", args[0], checkin.ErrorMessage(err))
		if checkin.ErrorCode(err) == checkin.EINTERNAL {
			fmt.Fprintf(stderr, "  (%v)\n", err)
		}
		return 1
	}
}

// usageError is a command line Run refuses with exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

// parse parses fs from args, its usage going to stderr: a bad flag, an
// argument or a missing required flag is a usageError, -h is
// flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer, required ...string) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			return usageError{fmt.Errorf("--%s is required", name)}
		}
	}
	return nil
}

// Open opens a kiosk database that holds an event, as the scan screen
// and `usher scan` need; ENOTFOUND says how to load one.
func Open(path string) (*store.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	db, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	if db.Event() == nil {
		err := noEvent(db, path)
		db.Close()
		return nil, err
	}
	return db, nil
}

// noEvent is the ENOTFOUND error of a database at path that holds no
// event, saying how to get one.
func noEvent(db *store.DB, path string) error {
	if id, err := db.Identity(context.Background()); err == nil && id.Enrolled() {
		return checkin.Errorf(checkin.ENOTFOUND, "%s is enrolled but holds no event yet; run: usher sync --db %s", path, path)
	}
	return checkin.Errorf(checkin.ENOTFOUND, "%s holds no event; run: usher load --db %s --event event.toml --roster roster.csv", path, path)
}
