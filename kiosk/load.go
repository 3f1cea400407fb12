package kiosk

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"usher/checkin"
	"usher/eventfile"
	"usher/roster"
	"usher/store"
)

// load: usher load --db K.db --event E [--roster R] [--revoked F]: the
// event, the roster and the revocations into the kiosk database, all in
// one transaction; then what it loaded, on stdout.
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
	var revoked []checkin.Revocation
	if *revokedPath != "" {
		if revoked, err = roster.ReadRevocationsFile(*revokedPath); err != nil {
			return rosterFirst(stream, err)
		}
	}
	db, res, err := loadInto(ctx, *dbPath, ev, stream, revoked)
	if err != nil {
		return err
	}
	defer db.Close()
	printLoad(stdout, ev, res, stream, revoked)
	// The name search's text, for the screen that opens this database
	// next: after the stream closed and let go of its sets, so the load
	// peaks at the larger of the two, not their sum. The load is done;
	// without the text the first search reads the roster.
	if err := db.SaveSearch(ctx); err != nil {
		fmt.Fprintf(stderr, "warning: the name search's text was not saved (%v); the first search will read the roster\n", err)
	}
	return nil
}

// rosterFirst reports the roster's own problems before err, found
// elsewhere, as when the roster was read whole first; stream is nil
// without a roster.
func rosterFirst(stream *roster.Stream, err error) error {
	if stream != nil {
		if rerr := stream.Check(); rerr != nil {
			return rerr
		}
	}
	return err
}

// loadInto opens the kiosk database at path, created if missing, and
// loads ev, the roster stream (nil: the event only) and the revocations
// into it. A load that fails leaves no new database behind: the roster,
// read as it loads, may turn out bad after the file was made, and an
// import is all or nothing (docs/design.md "Failure policy").
func loadInto(ctx context.Context, path string, ev *checkin.Event, stream *roster.Stream, revoked []checkin.Revocation) (*store.DB, store.LoadResult, error) {
	_, statErr := os.Stat(path)
	fresh := os.IsNotExist(statErr)
	db, err := store.Open(path)
	if err != nil {
		return nil, store.LoadResult{}, rosterFirst(stream, err)
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
				os.Remove(path + suffix)
			}
		}
		return nil, res, err
	}
	return db, res, nil
}

// printLoad says what a load did: the event, the roster with its notes,
// and the revocations. It closes the stream first.
func printLoad(stdout io.Writer, ev *checkin.Event, res store.LoadResult, stream *roster.Stream, revoked []checkin.Revocation) {
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
}
