package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"usher/centralstore"
	"usher/checkin"
	"usher/report/export"
)

// exportCmd: usher-central export --format csv|xlsx|png|svg --out PATH
// [--force] [--db D]: the headcount reports of every kiosk's scans the
// center holds.
func exportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central export", flag.ContinueOnError)
	dsn := dbFlag(fs)
	var o export.Options
	o.Flags(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; usage: usher-central export --format csv|xlsx|png|svg --out PATH [--force] [--db D]", fs.Arg(0))
	}
	if err := o.Check(); err != nil {
		return err
	}
	db, err := openExisting(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	log, err := db.ReportLog(context.Background())
	if err != nil {
		return err
	}
	return export.Run(stdout, log, o)
}

// openExisting opens a central database that must exist already: a
// report of a mistyped SQLite file name must not create an empty one.
func openExisting(dsn string) (*centralstore.DB, error) {
	if !centralstore.IsPostgres(dsn) {
		if _, err := os.Stat(dsn); errors.Is(err, fs.ErrNotExist) {
			return nil, checkin.Errorf(checkin.ENOTFOUND, "central database %s does not exist (--db)", dsn)
		}
	}
	db, err := centralstore.Open(dsn)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "cannot read central database %s: %v", dsn, err)
	}
	return db, nil
}
