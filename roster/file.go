package roster

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"

	"usher/checkin"
	"usher/internal/term"
)

// progressMin is the file size from which reading a roster shows a
// progress bar on a terminal.
const progressMin = 1 << 20

// ReadFile reads the roster CSV at path, with a progress bar on progress
// when it is a terminal and the file is large. Errors as for Read.
func ReadFile(path string, ev *checkin.Event, progress io.Writer) ([]checkin.Person, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", checkin.Errorf(checkin.EINVALID, "roster: %v", err)
	}
	defer f.Close()
	var r io.Reader = f
	if fi, err := f.Stat(); err == nil && fi.Size() >= progressMin && term.IsTerminal(progress) {
		bar := progressbar.DefaultBytes(fi.Size(), "reading "+path)
		defer bar.Finish()
		pr := progressbar.NewReader(f, bar)
		r = &pr
	}
	return Read(r, path, ev)
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
