// Package term tells whether output goes to a person at a terminal, so
// commands show progress bars there and stay quiet in scripts and logs.
package term

import (
	"io"
	"os"
)

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
