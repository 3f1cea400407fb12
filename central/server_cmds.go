package central

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"usher/centralstore"
	"usher/checkin"
	"usher/dashboard"
	"usher/eventfile"
	"usher/roster"
	"usher/sync/server"
	"usher/sync/wire"
)

// defaultDB is the central database when --db is not given.
const defaultDB = "usher-central.db"

func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", defaultDB, "central database: a SQLite `file`, or a postgres:// URL")
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return nil
}

// importCmd: usher-central import --event E --roster R [--revoked F] [--db D]
func importCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central import", flag.ContinueOnError)
	dsn := dbFlag(fs)
	eventPath := fs.String("event", "", "event definition (TOML) `file`")
	rosterPath := fs.String("roster", "", "roster CSV `file` (optional: without it only the event is updated)")
	revokedPath := fs.String("revoked", "", "revoked badges CSV `file` with columns id,serial (added to the list)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *eventPath == "" || fs.NArg() > 0 {
		return errors.New("usage: usher-central import --event event.toml [--roster roster.csv] [--revoked revoked.csv] [--db D]")
	}
	ev, err := eventfile.Load(*eventPath)
	if err != nil {
		return err
	}
	var people []checkin.Person
	if *rosterPath != "" {
		if people, _, err = roster.ReadFile(*rosterPath, ev, stderr); err != nil {
			return err
		}
	}
	var revoked []checkin.Revocation
	if *revokedPath != "" {
		if revoked, err = roster.ReadRevocationsFile(*revokedPath); err != nil {
			return err
		}
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.Import(context.Background(), ev, people, revoked)
	if err != nil {
		return err
	}
	changed := "unchanged"
	if res.EventChanged {
		changed = "updated"
	}
	fmt.Fprintf(stdout, "event %s: %s\n", ev.ID, changed)
	if people != nil {
		fmt.Fprintf(stdout, "roster (%d people): %s\n", len(people), res)
	}
	if revoked != nil {
		fmt.Fprintf(stdout, "revoked badges: %d new\n", res.Revoked)
	}
	return nil
}

// serveCmd: usher-central serve [--addr A] [--db D] [--cert C --key K]
func serveCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central serve", flag.ContinueOnError)
	dsn := dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on")
	cert := fs.String("cert", "", "TLS certificate `file` (PEM); with --key, serve HTTPS")
	key := fs.String("key", "", "TLS private key `file` (PEM)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 || (*cert == "") != (*key == "") {
		return errors.New("usage: usher-central serve [--addr 127.0.0.1:8080] [--db D] [--cert C --key K]")
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Event(context.Background()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           Handler(db, log.New(stderr, "", log.LstdFlags)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
	}
	scheme := "http"
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	// The address actually bound, on its own line: with port 0 the
	// caller learns the port from it.
	fmt.Fprintf(stdout, "serving %s://%s\n", scheme, ln.Addr())
	fmt.Fprintf(stderr, "kiosks: %s://%s/v1/; organizers' dashboard: %s://%s/ (usher-central organizer add NAME)\n",
		scheme, ln.Addr(), scheme, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler is what serve serves: the kiosk API (sync/PROTOCOL.md) under
// /v1/ and the organizers' dashboard at /.
func Handler(db *centralstore.DB, logger *log.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", server.New(db, logger))
	mux.Handle("/", dashboard.New(db, logger))
	return mux
}

// statusCmd: usher-central status [--json] [--db D]
func statusCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central status", flag.ContinueOnError)
	dsn := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Status(context.Background())
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	ev, err := db.Event(context.Background())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n\nOccupancy\n", ev.Name)
	for _, s := range ev.Spaces {
		fmt.Fprintf(stdout, "  %-24s %6d / %d\n", s.Name, st.Occupancy[s.ID], s.Capacity)
	}
	fmt.Fprintf(stdout, "\nKiosks\n")
	if len(st.Kiosks) == 0 {
		fmt.Fprintln(stdout, "  none enrolled (usher-central enroll --door DOOR)")
	}
	sort.Slice(st.Kiosks, func(i, j int) bool { return st.Kiosks[i].ID < st.Kiosks[j].ID })
	for _, k := range st.Kiosks {
		state := "last heard " + k.LastSeen.Local().Format("15:04:05")
		switch {
		case k.Retired:
			state = "RETIRED"
		case k.Revoked:
			state = "REVOKED"
		}
		flagged := ""
		if k.Flagged > 0 {
			flagged = fmt.Sprintf(", %d with clocks far ahead", k.Flagged)
		}
		waiting := ""
		if k.Waiting > 0 {
			waiting = fmt.Sprintf(", %d scans waiting at the kiosk", k.Waiting)
		}
		fmt.Fprintf(stdout, "  %-14s %-16s %-20s %d events%s%s\n", k.ID, k.Door, state, k.Events, waiting, flagged)
	}
	if len(st.Rights) > 0 {
		// inside + freeing + held + reserve = cap + debt: "freeing" are the
		// places exits elsewhere freed, on their way back through the
		// kiosk that admitted.
		fmt.Fprintf(stdout, "\nCapacity rights\n  %-24s %6s %6s %7s %6s %7s %6s\n", "", "cap", "inside", "freeing", "held", "reserve", "debt")
		for _, r := range st.Rights {
			name := r.Counter
			if s := ev.Space(r.Counter); s != nil {
				name = s.Name
			}
			fmt.Fprintf(stdout, "  %-24s %6d %6d %7d %6d %7d %6d\n", name, r.Cap, r.Inside, r.Pending, r.Held, r.Reserve, r.Debt)
		}
	}
	if len(st.Conflicts) > 0 {
		fmt.Fprintf(stdout, "\nConflicts (%d)\n", len(st.Conflicts))
		for _, c := range st.Conflicts {
			fmt.Fprintf(stdout, "  %s  %-22s %-12s at %s (kiosk %s, event %d)\n",
				c.At.Local().Format("15:04:05"), c.Kind, c.Person, c.Door, c.Kiosk, c.Seq)
		}
	}
	return nil
}

// enrollCmd: usher-central enroll --door DOOR [--server URL] [--qr F] [--db D]
func enrollCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central enroll", flag.ContinueOnError)
	dsn := dbFlag(fs)
	door := fs.String("door", "", "the `door` the kiosk will scan at")
	serverURL := fs.String("server", "http://127.0.0.1:8080", "the `URL` kiosks reach this server at")
	qrPath := fs.String("qr", "", "where to write the QR `PNG` (default enroll-DOOR.png)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *door == "" || fs.NArg() > 0 {
		return errors.New("usage: usher-central enroll --door DOOR [--server URL] [--qr FILE.png] [--db D]")
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := db.CreateEnrollment(context.Background(), *door)
	if err != nil {
		return err
	}
	code := wire.EnrollCode{URL: *serverURL, Door: *door, Token: token}
	if _, err := wire.ParseEnrollCode(code.String()); err != nil {
		return err
	}
	if *qrPath == "" {
		*qrPath = "enroll-" + *door + ".png"
	}
	if err := qrcode.WriteFile(code.String(), qrcode.Medium, 512, *qrPath); err != nil {
		return fmt.Errorf("write %s: %w", *qrPath, err)
	}
	abs, _ := filepath.Abs(*qrPath)
	fmt.Fprintf(stderr, "One-time enrollment for door %s; QR written to %s.\n", *door, abs)
	fmt.Fprintf(stderr, "On the kiosk: scan it in staff mode, or run: usher enroll --db K.db CODE\n")
	fmt.Fprintln(stdout, code.String())
	return nil
}

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
