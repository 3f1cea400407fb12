// Command usher is the door kiosk: `usher load` builds its database from
// an event file and a roster, and `usher scan` decides badge scans read
// from standard input, one JSON decision per line.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"usher/kiosk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 || !slices.Contains(kiosk.Commands, os.Args[1]) {
		fmt.Fprintln(os.Stderr, "usage: usher load --db K.db --event event.toml [--roster roster.csv]")
		fmt.Fprintln(os.Stderr, "       usher scan --db K.db --door DOOR [--exit]")
		os.Exit(2)
	}
	os.Exit(kiosk.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
