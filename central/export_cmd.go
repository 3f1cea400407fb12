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
	fs.StringVar(&o.Format, "format", "", "csv, xlsx, png or svg")
	fs.StringVar(&o.Out, "out", "", "a `folder` for csv, png and svg (created); the workbook's file for xlsx")
	fs.BoolVar(&o.Force, "force", false, "replace an existing workbook")
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
	r := export.Build(log)
	paths, err := export.Write(r, o)
	if err != nil {
		return err
	}
	export.Print(stdout, paths, r)
	return nil
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
