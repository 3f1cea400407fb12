// Package central holds the commands of usher-central, the organizer
// side. It must not import Fyne.
package central

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"usher/demo"
)

const usage = `usage: usher-central COMMAND [flags]

commands:
  demo --dir DIR [--people N]   write the demo event (event.toml) and a roster (roster.csv)
`

// Run runs one usher-central command and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "demo":
		err = demoCmd(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "usher-central: unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(stderr, "usher-central %s: %v\n", args[0], err)
		return 1
	}
}

func demoCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "`folder` to write event.toml and roster.csv into")
	n := fs.Int("people", 5000, "roster size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 || *n < 1 {
		return fmt.Errorf("usage: usher-central demo --dir DIR [--people N]")
	}
	if err := demo.Write(*dir, *n); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s/event.toml and %s/roster.csv (%d people)\n", *dir, *dir, *n)
	return nil
}
