package roster

import (
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

// ReadFile reads the roster CSV at path, with a progress bar on stderr
// when it is a terminal and the file is large, and a warning there when
// the file was read as Windows-1252 (the names in it are right, and the
// organizer learns to export CSV UTF-8). Errors as for Read.
func ReadFile(path string, ev *checkin.Event, stderr io.Writer) ([]checkin.Person, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", checkin.Errorf(checkin.EINVALID, "roster: %v", err)
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
	people, format, warning, err := read(r, path, ev)
	if bar != nil {
		bar.Finish() // before the warning, which would land on its line
	}
	if warning != "" {
		fmt.Fprintf(stderr, "warning: %s\n", warning)
	}
	return people, format, err
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
