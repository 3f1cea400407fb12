// Command usher-central is the organizer side of Usher: it writes the demo
// event, and (as the central roster server grows) imports rosters, serves
// kiosks, prints badges and exports headcounts. It never links Fyne, so it
// runs on a headless server.
package main

import (
	"os"

	"usher/central"
)

func main() {
	os.Exit(central.Run(os.Args[1:], os.Stdout, os.Stderr))
}
