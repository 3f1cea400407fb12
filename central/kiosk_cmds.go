package central

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"usher/centralstore"
	"usher/checkin"
)

// kioskCmd: usher-central kiosk revoke KIOSK | kiosk retire KIOSK
// [--db D]; the kiosk id may stand before or after the flags.
func kioskCmd(args []string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: usher-central kiosk revoke KIOSK [--db D]\n       usher-central kiosk retire KIOSK [--db D]")
	if len(args) == 0 || (args[0] != "revoke" && args[0] != "retire") {
		return usage
	}
	fs := flag.NewFlagSet("usher-central kiosk "+args[0], flag.ContinueOnError)
	dsn := dbFlag(fs)
	ids, err := parseWithArgs(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usage
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "revoke" {
		if err := db.RevokeKiosk(context.Background(), ids[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "kiosk %s revoked: its next request is refused\n", ids[0])
		return nil
	}
	freed, err := db.RetireKiosk(context.Background(), ids[0])
	if err != nil {
		return err
	}
	if len(freed) == 0 {
		fmt.Fprintf(stdout, "kiosk %s retired; it held no capacity rights to free\n", ids[0])
		return nil
	}
	var parts []string
	for _, c := range checkin.SortedCounters(freed) {
		parts = append(parts, fmt.Sprintf("%s %d", c, freed[c]))
	}
	fmt.Fprintf(stdout, "kiosk %s retired; capacity rights freed: %s\n", ids[0], strings.Join(parts, ", "))
	return nil
}
