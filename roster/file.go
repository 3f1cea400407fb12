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
// for Parse. It holds the whole roster in memory; OpenFile streams it.
func ReadFile(path string, ev *checkin.Event, stderr io.Writer, opt Options) (*Result, error) {
	s, err := OpenFile(path, ev, stderr, opt)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.collect()
}

// OpenFile opens the roster file at path (CSV or XLSX) as a Stream, with
// a progress bar on stderr when it is a terminal and the file is large,
// and a warning there, once the stream is read to its end and closed,
// when the file was read as Windows-1252. Closing the stream closes the
// file. Errors as for Parse.
func OpenFile(path string, ev *checkin.Event, stderr io.Writer, opt Options) (*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "roster: %v", err)
	}
	var r io.ReadSeeker = f
	pf := &progressFile{f: f}
	if fi, err := f.Stat(); err == nil && fi.Size() >= progressMin && term.IsTerminal(stderr) {
		pf.bar = progressbar.DefaultBytes(fi.Size(), "reading "+path)
		r = pf
	}
	s, err := NewStream(r, path, ev, opt)
	if err != nil {
		pf.finish()
		f.Close()
		return nil, err
	}
	pf.stderr, pf.warning = stderr, s.Result().Warning
	s.file = pf
	return s, nil
}

// progressFile is a roster file that moves a progress bar as it is read;
// bar is nil when there is none. warning is said on stderr after it.
type progressFile struct {
	f       *os.File
	bar     *progressbar.ProgressBar
	stderr  io.Writer
	warning string
}

func (p *progressFile) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	if p.bar != nil {
		p.bar.Add(n)
	}
	return n, err
}

// Seek moves the bar with the file: the check of the encoding reads the
// file once before the rows are read.
func (p *progressFile) Seek(offset int64, whence int) (int64, error) {
	pos, err := p.f.Seek(offset, whence)
	if err == nil && p.bar != nil {
		p.bar.Set64(pos)
	}
	return pos, err
}

// finish ends the bar, so that what is written next starts a line of
// its own.
func (p *progressFile) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
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
