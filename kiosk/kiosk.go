// Package kiosk holds the kiosk's headless commands: `usher load` builds
// or updates a kiosk database from an event file and a roster, `usher
// scan` reads badge codes line by line, as a scanner or turnstile sends
// them, and prints one JSON decision per line, `usher enroll` joins a
// central server, `usher sync` runs one push-and-pull round with it and
// `usher export` writes the headcount reports of the kiosk's scans.
package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"usher/checkin"
	"usher/eventfile"
	"usher/roster"
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

type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

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

func load(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher load", flag.ContinueOnError)
	dbPath := fs.String("db", "", "kiosk database `file` (created if missing)")
	eventPath := fs.String("event", "", "event definition (TOML) `file`")
	rosterPath := fs.String("roster", "", "roster CSV or XLSX `file` (optional: without it only the event is updated)")
	opt := roster.Flags(fs)
	revokedPath := fs.String("revoked", "", "revocation list CSV `file` with columns id,serial: a serial revokes that badge and older ones, * the person (optional: replaces the list)")
	if err := parse(fs, args, stderr, "db", "event"); err != nil {
		return err
	}
	ev, err := eventfile.Load(*eventPath)
	if err != nil {
		return err
	}
	// The roster is read as it is loaded, in the load's one transaction,
	// so that half a million people need not be held in memory at once.
	var stream *roster.Stream
	if *rosterPath != "" {
		if stream, err = roster.OpenFile(*rosterPath, ev, stderr, *opt); err != nil {
			return err
		}
		defer stream.Close()
	}
	// fail reports the roster's own problems before one found elsewhere,
	// as when the roster was read whole first.
	fail := func(err error) error {
		if stream != nil {
			if rerr := stream.Check(); rerr != nil {
				return rerr
			}
		}
		return err
	}
	var revoked []checkin.Revocation
	if *revokedPath != "" {
		if revoked, err = roster.ReadRevocationsFile(*revokedPath); err != nil {
			return fail(err)
		}
	}
	// A load that fails leaves no new database behind: the roster, read
	// as it loads, may turn out bad after the file was made.
	_, statErr := os.Stat(*dbPath)
	fresh := os.IsNotExist(statErr)
	db, err := store.Open(*dbPath)
	if err != nil {
		return fail(err)
	}
	var r store.RosterReader
	if stream != nil {
		r = stream
	}
	res, err := db.LoadFrom(ctx, ev, r, revoked)
	if err != nil {
		db.Close()
		if fresh {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(*dbPath + suffix)
			}
		}
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "event %s: %s, %d spaces, %d doors, %d categories\n", ev.ID, res.EventWord(), len(ev.Spaces), len(ev.Doors), len(ev.Categories))
	if stream != nil {
		stream.Close() // ends the progress bar, and says a warning, before the summary
		read := stream.Result()
		fmt.Fprintf(stdout, "roster (%s, %d people): %s\n", read.Format, stream.Count(), res)
		roster.PrintNotes(stdout, read)
	}
	if revoked != nil {
		fmt.Fprintf(stdout, "revoked badges: %d\n", len(revoked))
	}
	// The name search's text, for the screen that opens this database
	// next: after the stream closed and let go of its sets, so the load
	// peaks at the larger of the two, not their sum. The load is done;
	// without the text the first search reads the roster.
	if err := db.SaveSearch(ctx); err != nil {
		fmt.Fprintf(stderr, "warning: the name search's text was not saved (%v); the first search will read the roster\n", err)
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

// Output is one line of `usher scan`. Seq is the scan log's sequence
// number of the decision, by which it can be found in the database; 0
// for a scan that could not be recorded.
type Output struct {
	Seq       int64          `json:"seq"`
	Code      string         `json:"code"`
	Decision  checkin.Kind   `json:"decision"`
	Reason    checkin.Reason `json:"reason"`
	Message   string         `json:"message"`
	Person    *PersonOutput  `json:"person"`
	Occupancy map[string]int `json:"occupancy"`
}

// PersonOutput is who a scan was about.
type PersonOutput struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
}

// alarmAdvice follows the reason on the alarm line of a scan that could
// not be recorded: what door staff must do.
const alarmAdvice = "Denying everyone until a scan can be recorded again: admit nobody, call staff."

// maxLine bounds a scanned line; longer input is denied as invalid_code
// and the rest of it skipped, so a stuck key cannot exhaust memory.
const maxLine = 4096

func scan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher scan", flag.ContinueOnError)
	dbPath := fs.String("db", "", "kiosk database `file`")
	door := fs.String("door", "", "the door this kiosk scans at (default: the one it was enrolled for)")
	exit := fs.Bool("exit", false, "scan in the EXIT direction")
	if err := parse(fs, args, stderr, "db"); err != nil {
		return err
	}
	db, err := Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	id, err := db.Identity(ctx)
	if err != nil {
		return err
	}
	if *door == "" {
		if !id.Enrolled() {
			return usageError{errors.New("--door is required")}
		}
		*door = id.Door
	}
	if id.Enrolled() && *door != id.Door {
		// The center believes an enrolled kiosk's scans only at the door
		// it was enrolled for (docs/design.md "Trust").
		return checkin.Errorf(checkin.EINVALID, "this kiosk is enrolled for door %q, not %q: to move it, the organizer retires it "+
			"(usher-central kiosk retire %s) and, once it has synced, it is enrolled with a code for that door", id.Door, *door, id.KioskID)
	}
	ev := db.Event()
	if ev.Door(*door) == nil {
		var ids []string
		for _, d := range ev.Doors {
			ids = append(ids, d.ID)
		}
		return checkin.Errorf(checkin.EINVALID, "door %q is not in event %s (doors: %s)", *door, ev.ID, strings.Join(ids, ", "))
	}
	dir := checkin.Entry
	if *exit {
		dir = checkin.Exit
	}
	syncer := startSync(ctx, db, id, stderr)
	// However scanning ends, the scans wait in the database for the next
	// sync: the last push is a courtesy, bounded, and never an error.
	defer finishSync(ctx, db, syncer, stderr)

	enc := json.NewEncoder(stdout)
	in := bufio.NewReaderSize(stdin, maxLine)
	failed, streak := 0, 0 // scans that could not be recorded, in all and in a row
	for {
		line, err := readLine(in)
		if err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("read standard input: %w", err)
		}
		code := strings.TrimSpace(line)
		if code == "" {
			continue
		}
		d, err := db.Scan(ctx, checkin.Scan{Code: code, Door: *door, Direction: dir})
		switch {
		case err != nil:
			// The scanner keeps denying, and recovers by itself once a
			// scan can be recorded again: whatever reads the decisions
			// (a turnstile, staff at a terminal) gets an answer for
			// every badge, and it is never an admit.
			failed++
			streak++
			fmt.Fprintf(stderr, "usher scan: ALARM: %s %s (%v)\n", checkin.ErrorMessage(err), alarmAdvice, err)
		case streak > 0:
			fmt.Fprintf(stderr, "usher scan: scans are recorded again; the %d before were denied and not recorded\n", streak)
			streak = 0
		}
		out := Output{Seq: d.Seq, Code: code, Decision: d.Kind, Reason: d.Reason, Message: d.Message, Occupancy: db.Occupancy()}
		if p := d.Person; p != nil {
			out.Person = &PersonOutput{ID: p.ID, Name: p.Name, Category: p.Category}
		}
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("write decision: %w", err)
		}
		if syncer != nil {
			syncer.Notify()
		}
	}
	if failed > 0 {
		return checkin.Errorf(checkin.EINTERNAL, "%d scans could not be recorded and were denied", failed)
	}
	return nil
}

// readLine returns the next line without its end. A line longer than the
// reader's buffer is cut there and the rest discarded: it is no badge.
func readLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		s := string(b)
		for err == bufio.ErrBufferFull {
			_, err = r.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return "", err
		}
		return s, nil
	case err == io.EOF && len(b) > 0:
		return string(b), nil
	case err != nil:
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
