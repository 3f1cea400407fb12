package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"usher/centralstore"
)

// spaceCmd: usher-central space cap SPACE N [--db D]; the space and the
// capacity may stand before or after the flags.
func spaceCmd(args []string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: usher-central space cap SPACE N [--db D]")
	if len(args) == 0 || args[0] != "cap" {
		return usage
	}
	fs := flag.NewFlagSet("usher-central space cap", flag.ContinueOnError)
	dsn := dbFlag(fs)
	pos, err := parseWithArgs(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usage
	}
	space := pos[0]
	n, err := strconv.Atoi(pos[1])
	if err != nil || n <= 0 {
		return fmt.Errorf("space %s: capacity %q must be a whole number above 0", space, pos[1])
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ch, err := db.SetCapacity(context.Background(), space, n)
	if err != nil {
		return err
	}
	if ch.Old == n {
		fmt.Fprintf(stdout, "space %s: capacity is %d already; nothing changed\n", space, n)
		return nil
	}
	fmt.Fprintf(stdout, "space %s: capacity %d → %d; kiosks take it on their next pull\n", space, ch.Old, n)
	if ch.Rights.Debt > 0 {
		fmt.Fprintf(stdout, "debt %d: kiosks hold or have spent more rights than the new capacity leaves; "+
			"they return theirs and nobody more is admitted into %s until it is paid\n", ch.Rights.Debt, space)
	}
	return nil
}
