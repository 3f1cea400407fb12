package central

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"usher/checkin"
)

// organizerCmd: usher-central organizer add NAME [--password-file F] [--db D]
func organizerCmd(args []string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: usher-central organizer add NAME [--password-file F] [--db D]")
	if len(args) == 0 || args[0] != "add" {
		return usage
	}
	fs := flag.NewFlagSet("usher-central organizer add", flag.ContinueOnError)
	dsn := dbFlag(fs)
	pwFile := fs.String("password-file", "", "`file` whose first line is the password (default: make a strong one and print it)")
	names, err := parseWithArgs(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return usage
	}
	password, generated := "", *pwFile == ""
	if generated {
		password = rand.Text() // 26 base32 characters: 130 bits
	} else if password, err = readPasswordFile(*pwFile); err != nil {
		return err
	}
	// A mistyped --db must not make a new, empty database that serve
	// never reads.
	db, err := openExisting(*dsn)
	if err != nil {
		return fmt.Errorf("%w; run usher-central import first", err)
	}
	defer db.Close()
	replaced, err := db.AddOrganizer(context.Background(), names[0], password)
	if err != nil {
		return err
	}
	what := "added"
	if replaced {
		what = "has a new password; their browsers are signed out"
	}
	fmt.Fprintf(stdout, "organizer %s %s\n", names[0], what)
	if generated {
		// Shown this once: the database keeps only its hash.
		fmt.Fprintf(stdout, "password (shown only now): %s\n", password)
	}
	return nil
}

// readPasswordFile returns a password file's first line, without its line
// end; a file with nothing on it is an error.
func readPasswordFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", checkin.Errorf(checkin.EINVALID, "password file: %v", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", checkin.Errorf(checkin.EINVALID, "password file %s: the first line is empty", path)
	}
	return line, nil
}
