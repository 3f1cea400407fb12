package central

import (
	"flag"
	"io"
)

// defaultDB is the central database when --db is not given.
const defaultDB = "usher-central.db"

// dbFlag adds --db, the central database, to fs.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", defaultDB, "central database: a SQLite `file`, or a postgres:// URL")
}

// parseFlags parses fs from args, its errors and usage going to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return nil
}

// parseWithArgs parses fs from args, letting positional arguments stand
// before, between or after the flags, and returns them.
func parseWithArgs(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, stderr); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}
