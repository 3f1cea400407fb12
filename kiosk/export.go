package kiosk

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"

	"usher/checkin"
	"usher/report/export"
	"usher/store"
)

// exportCmd: usher export --db K.db --format csv|xlsx|png|svg --out PATH
// [--force]: the headcount reports of this kiosk's own scans, for a
// standalone kiosk that is the whole event (an enrolled kiosk's report
// covers its door only; the center's covers every door).
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher export", flag.ContinueOnError)
	dbPath := fs.String("db", "", "kiosk database `file`")
	var o export.Options
	o.Flags(fs)
	if err := parse(fs, args, stderr, "db"); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return usageError{errors.New(checkin.ErrorMessage(err))}
	}
	db, err := openExisting(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Event() == nil {
		return noEvent(db, *dbPath)
	}
	log, err := db.ReportLog(ctx)
	if err != nil {
		return err
	}
	return export.Run(stdout, log, o)
}

// openExisting opens a kiosk database that must exist already: a report
// of a mistyped file name must not create an empty database.
func openExisting(path string) (*store.DB, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, checkin.Errorf(checkin.ENOTFOUND, "kiosk database %s does not exist (--db)", path)
	}
	db, err := store.Open(path)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "cannot read kiosk database %s: %v", path, err)
	}
	return db, nil
}
