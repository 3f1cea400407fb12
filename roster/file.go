package roster

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"

	"usher/checkin"
	"usher/internal/term"
)

// progressMin is the file size from which reading a roster shows a
// progress bar on a terminal.
const progressMin = 1 << 20

// ReadFile reads the roster file at path (CSV or XLSX), with a progress
// bar on stderr when it is a terminal and the file is large, and a
// warning there when the file was read as Windows-1252 (the names in it
// are right, and the organizer learns to export CSV UTF-8). Errors as
// for Parse.
func ReadFile(path string, ev *checkin.Event, stderr io.Writer, opt Options) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "roster: %v", err)
	}
	defer f.Close()
	var (
		r   io.Reader = f
		bar *progressbar.ProgressBar
	)
	if fi, err := f.Stat(); err == nil && fi.Size() >= progressMin && term.IsTerminal(stderr) {
		bar = progressbar.DefaultBytes(fi.Size(), "reading "+path)
		pr := progressbar.NewReader(f, bar)
		r = &pr
	}
	res, err := Parse(r, path, ev, opt)
	if bar != nil {
		bar.Finish() // before the warning, which would land on its line
	}
	if err != nil {
		return nil, err
	}
	if res.Warning != "" {
		fmt.Fprintf(stderr, "warning: %s\n", res.Warning)
	}
	return res, nil
}

// ReadRevocationsFile reads the revocation list at path.
func ReadRevocationsFile(path string) ([]checkin.Revocation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "revocation list: %v", err)
	}
	defer f.Close()
	return ReadRevocations(f, path)
}

// Flags adds to fs the flags that set Options: --sheet and
// --include-pending. The options hold their values once fs is parsed.
func Flags(fs *flag.FlagSet) *Options {
	var opt Options
	fs.StringVar(&opt.Sheet, "sheet", "", "the `sheet` of an XLSX roster to read (default: the first)")
	fs.BoolVar(&opt.IncludePending, "include-pending", false, "admit the people of orders not paid yet (pretix's pending orders); without it they are loaded as revoked")
	return &opt
}

// PrintNotes writes what the read did beyond taking people as they are
// (Result.Notes), one indented line each.
func PrintNotes(w io.Writer, res *Result) {
	for _, n := range res.Notes() {
		fmt.Fprintf(w, "  %s\n", n)
	}
}
