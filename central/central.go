// Package central holds the commands of usher-central, the organizer
// side. It must not import Fyne.
package central

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"usher/badge"
	"usher/demo"
)

const usage = `usage: usher-central COMMAND [flags]

commands:
  demo --dir DIR [--people N]   write the demo event (event.toml), a roster (roster.csv)
                                and its badge signing key (keys/signing.key)
  keys --out DIR                create the event's badge signing key (DIR/signing.key) and
                                print the [[key]] block for the event file
  badges --event E --roster R --key DIR/signing.key --out badges.pdf
         [--layout insert-4x3|a4-labels|letter-labels] [--person ID]
         [--valid-from YYYY-MM-DD] [--valid-until YYYY-MM-DD]
                                print signed badges as a PDF (default: 4×3 in inserts,
                                valid for the event's days, [event] start to end, or
                                from today with no end when the event file has no dates)
  badge-png --event E --roster R --key K --person ID --out F.png
                                one person's badge as a 300 dpi PNG

  import --event E [--roster R] [--sheet S] [--include-pending] [--replace] [--revoked F] [--db D]
                                load or update the center's event and roster (CSV or XLSX:
                                Usher's, pretix's or Eventbrite's); edits made here are kept
                                unless --replace
  pretix sync --url https://HOST/api/v1/organizers/ORG/events/EVENT/ [--token-file F]
         [--checkin-list ID] [--include-pending] [--full] [--db D]
                                read what changed in pretix into the roster (the token from
                                --token-file or $USHER_PRETIX_TOKEN)
  serve [--addr 127.0.0.1:8080] [--db D] [--cert C --key K] [--insecure-http] [--log-format text|json]
        [--pretix-every 2m --url U [--token-file F] [--checkin-list ID] [--include-pending]]
                                serve kiosks (sync/PROTOCOL.md)
                                and the organizers' live dashboard at / (organizer add first);
                                off loopback, TLS (--cert/--key) unless --insecure-http;
                                with --pretix-every, pretix sync at that interval
  status [--json] [--db D]      occupancy per space, each kiosk's state and the capacity rights
  enroll --door DOOR [--valid-for 24h] [--server URL] [--qr F.png] [--db D]
                                a one-time kiosk enrollment code (last line) and its QR,
                                which expires after --valid-for
  enroll list [--db D]          the enrollment codes: open, used, expired or cancelled
  enroll cancel ID [--db D]     stop an enrollment code that was not used yet
  kiosk revoke KIOSK [--db D]   stop a lost kiosk at its next request
  kiosk retire KIOSK [--db D]   give up a kiosk for good: revoke it and free the capacity
                                rights it holds (it must never come back: it could spend them)
  space cap SPACE N [--db D]    change a space's capacity; on a lowering, kiosks return
                                their rights of it and none are granted until the debt is paid
  person add --id ID --name N --category C --code CODE [--company C] [--email E]
         [--tags a;b] [--db D]  add one person; kiosks get them on their next pull
  person revoke ID [--db D]     remove one person; kiosks deny their badges on their next pull
  badge reprint ID [--code NEWCODE] [--db D]
                                raise ID's badge serial (and replace their code): kiosks
                                deny the old badge; print the new one with badges --person ID
  organizer add NAME [--password-file F] [--db D]
                                let NAME sign in to the dashboard, or give them a new
                                password; without a file, a strong one is made and printed once
  export --format csv|xlsx|png|svg --out PATH [--force] [--db D]
                                headcount reports: csv (rooms, sessions, conflicts,
                                occupancy, doors .csv in folder PATH), xlsx (one workbook PATH;
                                --force replaces it), png or svg (an occupancy chart per
                                space in folder PATH)
  loadtest [--kiosks 500] [--every 2s] [--duration 60s] [--scans-per-min 12] [--people 1000]
         [--db D | --server URL --db D] [--kiosk-dir DIR] [--json] [--keep]
                                real kiosks (SQLite files, the kiosk's sync code) syncing with a
                                server started on 127.0.0.1 (its own process, measured apart)
                                over a fresh demo database; reports rounds, latencies, errors,
                                the server's CPU and memory, and checks every event stored once

--db is a SQLite file (default usher-central.db) or a postgres:// URL.
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
	case "keys":
		err = keysCmd(args[1:], stdout, stderr)
	case "badges":
		err = badgesCmd(args[1:], stdout, stderr)
	case "badge-png":
		err = badgePNGCmd(args[1:], stdout, stderr)
	case "import":
		err = importCmd(args[1:], stdout, stderr)
	case "pretix":
		err = pretixCmd(args[1:], stdout, stderr)
	case "serve":
		err = serveCmd(args[1:], stdout, stderr)
	case "status":
		err = statusCmd(args[1:], stdout, stderr)
	case "enroll":
		err = enrollCmd(args[1:], stdout, stderr)
	case "kiosk":
		err = kioskCmd(args[1:], stdout, stderr)
	case "space":
		err = spaceCmd(args[1:], stdout, stderr)
	case "person":
		err = personCmd(args[1:], stdout, stderr)
	case "badge":
		err = badgeCmd(args[1:], stdout, stderr)
	case "organizer":
		err = organizerCmd(args[1:], stdout, stderr)
	case "export":
		err = exportCmd(args[1:], stdout, stderr)
	case "loadtest":
		err = loadtestCmd(args[1:], stdout, stderr)
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
	fmt.Fprintf(stdout, "wrote %s/event.toml, %s/roster.csv (%d people) and the badge signing key %s/keys/signing.key\n", *dir, *dir, *n, *dir)
	return nil
}

func keysCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "`folder` for signing.key (created, mode 0700; the key file is 0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: usher-central keys --out DIR")
	}
	key, id, err := badge.NewKey(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (key %s); keep it on the central side only.\n", filepath.Join(*out, "signing.key"), id)
	fmt.Fprintf(stderr, "Add this block to the event file, so kiosks verify the badges it signs:\n\n")
	fmt.Fprint(stdout, badge.KeyBlock(key))
	return nil
}
