package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"usher/checkin"
	"usher/store"
	"usher/sync/kiosksync"
)

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

// scan: usher scan --db K.db [--door DOOR] [--exit]: decides each line
// of stdin as a badge code at the door, prints each decision as one JSON
// line (Output), and on an enrolled kiosk syncs in the background.
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
	if *door, err = scanDoor(db.Event(), id, *door); err != nil {
		return err
	}
	dir := checkin.Entry
	if *exit {
		dir = checkin.Exit
	}
	syncer := startSync(ctx, db, id, stderr)
	// However scanning ends, the scans wait in the database for the next
	// sync: the last push is a courtesy, bounded, and never an error.
	defer finishSync(ctx, db, syncer, stderr)
	return scanLines(ctx, db, *door, dir, syncer, stdin, stdout, stderr)
}

// scanDoor is the door usher scan scans at: door (--door), else the one
// the kiosk was enrolled for; an enrolled kiosk scans only at that one,
// and the door must be one of ev's.
func scanDoor(ev *checkin.Event, id store.Identity, door string) (string, error) {
	if door == "" {
		if !id.Enrolled() {
			return "", usageError{errors.New("--door is required")}
		}
		door = id.Door
	}
	if id.Enrolled() && door != id.Door {
		// The center believes an enrolled kiosk's scans only at the door
		// it was enrolled for (docs/design.md "Trust").
		return "", checkin.Errorf(checkin.EINVALID, "this kiosk is enrolled for door %q, not %q: to move it, the organizer retires it "+
			"(usher-central kiosk retire %s) and, once it has synced, it is enrolled with a code for that door", id.Door, door, id.KioskID)
	}
	if ev.Door(door) == nil {
		var ids []string
		for _, d := range ev.Doors {
			ids = append(ids, d.ID)
		}
		return "", checkin.Errorf(checkin.EINVALID, "door %q is not in event %s (doors: %s)", door, ev.ID, strings.Join(ids, ", "))
	}
	return door, nil
}

// scanLines decides each line of stdin as a badge code at door in the
// direction dir, writes each decision to stdout as one JSON
// line, and notifies the syncer (nil: none) of each. A scan that cannot
// be recorded is denied, with an alarm on stderr; if any was, the error
// says how many once the input ends.
func scanLines(ctx context.Context, db *store.DB, door string, dir checkin.Direction, syncer *kiosksync.Syncer, stdin io.Reader, stdout, stderr io.Writer) error {
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
		d, err := db.Scan(ctx, checkin.Scan{Code: code, Door: door, Direction: dir})
		switch {
		case err != nil:
			// The scanner keeps denying, and recovers by itself once a
			// scan can be recorded again: whatever reads the decisions
			// (a turnstile, staff at a terminal) gets an answer for
			// every badge, and it is never an admit (docs/design.md
			// "Failure policy").
			failed++
			streak++
			fmt.Fprintf(stderr, "usher scan: ALARM: %s %s (%v)\n", checkin.ErrorMessage(err), alarmAdvice, err)
		case streak > 0:
			fmt.Fprintf(stderr, "usher scan: scans are recorded again; the %d before were denied and not recorded\n", streak)
			streak = 0
		}
		if err := enc.Encode(output(code, d, db.Occupancy())); err != nil {
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

// output is the line usher scan prints for the decision d on code, with
// the occupancy after it.
func output(code string, d checkin.Decision, occupancy map[string]int) Output {
	out := Output{Seq: d.Seq, Code: code, Decision: d.Kind, Reason: d.Reason, Message: d.Message, Occupancy: occupancy}
	if p := d.Person; p != nil {
		out.Person = &PersonOutput{ID: p.ID, Name: p.Name, Category: p.Category}
	}
	return out
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
