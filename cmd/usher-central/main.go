// Command usher-central is the organizer side of Usher: the center that
// kiosks enroll with and sync with (serve, with the organizers' live
// dashboard), and the commands that feed and read it: the event and its
// roster (import, pretix sync, person, badge reprint, space cap), the
// kiosks (enroll, kiosk revoke and retire), the organizers' sign-in
// (organizer add), the live figures (status) and the headcount reports
// (export). It also writes the demo event (demo), makes the badge
// signing key and prints badges (keys, badges, badge-png), and puts a
// server under the load of many kiosks (loadtest); `usher-central help`
// lists them all with their flags. It never links Fyne, so it runs on a
// headless server.
package main

import (
	"os"

	"usher/central"
)

func main() {
	os.Exit(central.Run(os.Args[1:], os.Stdout, os.Stderr))
}
