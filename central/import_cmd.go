package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"usher/centralstore"
	"usher/checkin"
	"usher/eventfile"
	"usher/roster"
)

// importCmd: usher-central import --event E --roster R [--sheet S]
// [--include-pending] [--replace] [--revoked F] [--db D]
func importCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central import", flag.ContinueOnError)
	dsn := dbFlag(fs)
	eventPath := fs.String("event", "", "event definition (TOML) `file`")
	rosterPath := fs.String("roster", "", "roster CSV or XLSX `file` (optional: without it only the event is updated)")
	opt := roster.Flags(fs)
	replace := fs.Bool("replace", false, "make the roster exactly the file, undoing what was changed at the center "+
		"(person add, person revoke, a reprint's new code); without it those edits are kept")
	revokedPath := fs.String("revoked", "", "revocation list CSV `file` with columns id,serial: a serial revokes that badge and older ones, * the person (added to the list)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *eventPath == "" || fs.NArg() > 0 {
		return errors.New("usage: usher-central import --event event.toml [--roster roster.csv|.xlsx] [--sheet S] [--include-pending] [--replace] [--revoked revoked.csv] [--db D]")
	}
	ev, err := eventfile.Load(*eventPath)
	if err != nil {
		return err
	}
	var (
		people []checkin.Person
		read   *roster.Result
	)
	if *rosterPath != "" {
		if read, err = roster.ReadFile(*rosterPath, ev, stderr, *opt); err != nil {
			return err
		}
		people = read.People
	}
	var revoked []checkin.Revocation
	if *revokedPath != "" {
		if revoked, err = roster.ReadRevocationsFile(*revokedPath); err != nil {
			return err
		}
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	changed, res, err := importInto(db, ev, people, revoked, centralstore.ImportOptions{Replace: *replace})
	if err != nil {
		return err
	}
	printImport(stdout, ev, changed, res, read, revoked)
	return nil
}

// importInto imports ev, the people (nil: the event only) and the
// revocations into db, and says what became of the event: created,
// updated or unchanged.
func importInto(db *centralstore.DB, ev *checkin.Event, people []checkin.Person, revoked []checkin.Revocation, opt centralstore.ImportOptions) (string, centralstore.ImportResult, error) {
	// Whether this import creates the event or changes it: a database
	// that holds none says ENOTFOUND.
	_, err := db.Event(context.Background())
	created := checkin.ErrorCode(err) == checkin.ENOTFOUND
	res, err := db.ImportWith(context.Background(), ev, people, revoked, opt)
	if err != nil {
		return "", res, err
	}
	switch {
	case created:
		return "created", res, nil
	case res.EventChanged:
		return "updated", res, nil
	}
	return "unchanged", res, nil
}

// printImport says what an import did: changed the event (created,
// updated or unchanged), then the roster it read (nil: none) with its
// notes, and the revocations.
func printImport(stdout io.Writer, ev *checkin.Event, changed string, res centralstore.ImportResult, read *roster.Result, revoked []checkin.Revocation) {
	fmt.Fprintf(stdout, "event %s: %s\n", ev.ID, changed)
	if read != nil && read.People != nil {
		fmt.Fprintf(stdout, "roster (%s, %d people): %s\n", read.Format, len(read.People), res)
		roster.PrintNotes(stdout, read)
	}
	if revoked != nil {
		fmt.Fprintf(stdout, "revoked badges: %d new\n", res.Revoked)
	}
}
