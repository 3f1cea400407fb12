package central

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"usher/centralstore"
	"usher/checkin"
	"usher/dashboard"
	"usher/eventfile"
	"usher/pretix"
	"usher/report"
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

// importCmd: usher-central import --event E --roster R [--sheet S]
// [--include-pending] [--replace] [--revoked F] [--db D]
func importCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central import", flag.ContinueOnError)
	dsn := dbFlag(fs)
	eventPath := fs.String("event", "", "event definition (TOML) `file`")
	rosterPath := fs.String("roster", "", "roster CSV or XLSX `file` (optional: without it only the event is updated)")
	opt := roster.Flags(fs)
	replace := fs.Bool("replace", false, "make the roster exactly the file, undoing what was changed at the center "+
		"(person add, person revoke, a reprint's new code); without it those edits are kept")
	revokedPath := fs.String("revoked", "", "revocation list CSV `file` with columns id,serial: a serial revokes that badge and older ones, * the person (added to the list)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *eventPath == "" || fs.NArg() > 0 {
		return errors.New("usage: usher-central import --event event.toml [--roster roster.csv|.xlsx] [--sheet S] [--include-pending] [--replace] [--revoked revoked.csv] [--db D]")
	}
	ev, err := eventfile.Load(*eventPath)
	if err != nil {
		return err
	}
	var (
		people []checkin.Person
		read   *roster.Result
	)
	if *rosterPath != "" {
		if read, err = roster.ReadFile(*rosterPath, ev, stderr, *opt); err != nil {
			return err
		}
		people = read.People
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
	// Whether this import creates the event or changes it: a database
	// that holds none says ENOTFOUND.
	_, err = db.Event(context.Background())
	created := checkin.ErrorCode(err) == checkin.ENOTFOUND
	res, err := db.ImportWith(context.Background(), ev, people, revoked, centralstore.ImportOptions{Replace: *replace})
	if err != nil {
		return err
	}
	changed := "unchanged"
	switch {
	case created:
		changed = "created"
	case res.EventChanged:
		changed = "updated"
	}
	fmt.Fprintf(stdout, "event %s: %s\n", ev.ID, changed)
	if people != nil {
		fmt.Fprintf(stdout, "roster (%s, %d people): %s\n", read.Format, len(people), res)
		roster.PrintNotes(stdout, read)
	}
	if revoked != nil {
		fmt.Fprintf(stdout, "revoked badges: %d new\n", res.Revoked)
	}
	return nil
}

// serveCmd: usher-central serve [--addr A] [--db D] [--cert C --key K]
// [--insecure-http] [--log-format text|json]
func serveCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central serve", flag.ContinueOnError)
	dsn := dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on")
	cert := fs.String("cert", "", "TLS certificate `file` (PEM); with --key, serve HTTPS")
	key := fs.String("key", "", "TLS private key `file` (PEM)")
	insecure := fs.Bool("insecure-http", false, "serve plain HTTP on an address other machines reach: "+
		"kiosk tokens, enrollment codes and organizers' passwords then cross the network in clear")
	logFormat := fs.String("log-format", "text", "log `format` on stderr: text or json")
	pretixEvery := fs.Duration("pretix-every", 0, "read what changed in pretix at this `interval` (with --url and the token as for pretix sync)")
	var pf pretixFlags
	pf.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 || (*cert == "") != (*key == "") || (*logFormat != "text" && *logFormat != "json") ||
		(*pretixEvery != 0) != (pf.url != "") || *pretixEvery < 0 {
		return errors.New("usage: usher-central serve [--addr 127.0.0.1:8080] [--db D] [--cert C --key K] [--insecure-http] [--log-format text|json] " +
			"[--pretix-every 2m --url https://HOST/api/v1/organizers/ORG/events/EVENT/ [--token-file F] [--checkin-list ID] [--include-pending]]")
	}
	var pcfg pretix.Config
	if *pretixEvery != 0 {
		if *pretixEvery < 10*time.Second {
			return fmt.Errorf("--pretix-every %s: read pretix at most every 10s, to stay within its rate limits", *pretixEvery)
		}
		var err error
		if pcfg, err = pf.config(); err != nil {
			return err
		}
	}
	// Before anything is opened or bound: plain HTTP that other machines
	// reach carries every secret of the API in clear.
	local, err := loopback(*addr)
	if err != nil {
		return err
	}
	if !local && *cert == "" {
		if !*insecure {
			return fmt.Errorf("--addr %s is reachable from the network, and without --cert and --key kiosk tokens, "+
				"enrollment codes and organizers' passwords would cross it in clear: serve HTTPS with --cert and --key, "+
				"listen on 127.0.0.1 behind a TLS proxy, or accept the risk with --insecure-http", *addr)
		}
		fmt.Fprintf(stderr, "WARNING: --insecure-http: serving plain HTTP on %s, reachable from the network. Kiosk tokens, "+
			"enrollment codes and organizers' passwords cross it IN CLEAR: anyone on the network can read them and "+
			"act as a kiosk or an organizer.\n", *addr)
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	logger := slog.New(handler)

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
		Handler:           Handler(db, logger),
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
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
	// Caught from here on: whoever read the line below may stop the
	// server at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("serving", "kiosks", fmt.Sprintf("%s://%s/v1/", scheme, ln.Addr()),
		"dashboard", fmt.Sprintf("%s://%s/", scheme, ln.Addr()), "organizers", "usher-central organizer add NAME")
	// The address actually bound, on its own line: with port 0 the
	// caller learns the port from it.
	fmt.Fprintf(stdout, "serving %s://%s\n", scheme, ln.Addr())
	// The database closes only once the pretix reader has stopped.
	following := make(chan struct{})
	if *pretixEvery != 0 {
		go func() {
			defer close(following)
			followPretix(ctx, db, pcfg, *pf.read, *pretixEvery, logger)
		}()
	} else {
		close(following)
	}
	defer func() {
		stop()
		<-following
	}()
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

// loopback reports whether addr (host:port) is reachable from this
// machine only: a loopback IP or localhost. An empty host (":8080") is
// every interface; a host name other than localhost may resolve anywhere.
func loopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("--addr %q: %v", addr, err)
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true, nil
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback(), nil
}

// Handler is what serve serves: the kiosk API (sync/PROTOCOL.md) under
// /v1/ and the organizers' dashboard at /, every request logged to
// logger (nil: slog.Default()).
func Handler(db *centralstore.DB, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", server.NewHandler(db, server.Config{Log: logger}))
	mux.Handle("/", dashboard.New(db, logger))
	return server.LogRequests(logger, mux)
}

// statusCmd: usher-central status [--json] [--db D]
// statusDoor is one door's figures as status shows them.
type statusDoor struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Entries int    `json:"entries"`
	Exits   int    `json:"exits"`
}

// doorFigures are the entries and exits of each door over the whole
// history, up to now or the newest move if a kiosk's clock ran ahead
// (as the dashboard counts them).
func doorFigures(log report.Log, now time.Time) []statusDoor {
	end := now
	if n := len(log.Moves); n > 0 && log.Moves[n-1].At.After(end) {
		end = log.Moves[n-1].At
	}
	out := []statusDoor{}
	for _, d := range report.Build(log, end).Doors {
		out = append(out, statusDoor{ID: d.ID, Name: d.Name, Entries: d.Entries, Exits: d.Exits})
	}
	return out
}

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
	// One snapshot for the live figures and the per-door ones, which
	// come from the same report as the dashboard's and the exports'.
	st, log, err := db.History(context.Background(), true)
	if err != nil {
		return err
	}
	doors := doorFigures(log, db.Now())
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			centralstore.Status
			Doors []statusDoor `json:"doors"`
		}{st, doors})
	}
	ev, err := db.Event(context.Background())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n\nOccupancy\n", ev.Name)
	for _, s := range ev.Spaces {
		fmt.Fprintf(stdout, "  %-24s %6d / %d\n", s.Name, st.Occupancy[s.ID], s.Capacity)
	}
	fmt.Fprintf(stdout, "\nDoors\n  %-24s %7s %7s\n", "", "entries", "exits")
	for _, d := range doors {
		fmt.Fprintf(stdout, "  %-24s %7d %7d\n", d.Name, d.Entries, d.Exits)
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
		notes := ""
		if k.Waiting > 0 {
			notes += fmt.Sprintf(", %d scans waiting at the kiosk", k.Waiting)
		}
		if k.Flagged > 0 {
			notes += fmt.Sprintf(", %d with clocks far off", k.Flagged)
		}
		if k.Refused > 0 {
			notes += fmt.Sprintf(", %d REFUSED (claims the center did not grant)", k.Refused)
		}
		if k.Forks > 0 {
			notes += fmt.Sprintf(", LOG FORKED: %d events under seqs it had used (restored or copied): enroll it again", k.Forks)
		}
		fmt.Fprintf(stdout, "  %-14s %-16s %-20s %d events%s\n", k.ID, k.Door, state, k.Events, notes)
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
			detail := ""
			if c.Detail != "" {
				detail = ": " + c.Detail
			}
			fmt.Fprintf(stdout, "  %s  %-22s %-12s at %s (kiosk %s, event %d)%s\n",
				c.At.Local().Format("15:04:05"), c.Kind, c.Person, c.Door, c.Kiosk, c.Seq, detail)
		}
	}
	px, err := db.Pretix(context.Background())
	if err != nil {
		return err
	}
	if px.URL != "" {
		fmt.Fprintf(stdout, "\npretix %s\n  last read %s: ", px.URL, px.ReadAt.Local().Format("2006-01-02 15:04:05"))
		if px.Error != "" {
			fmt.Fprintf(stdout, "FAILED: %s\n", px.Error)
		} else {
			fmt.Fprintln(stdout, px.Result)
		}
	}
	return nil
}

// enrollCmd: usher-central enroll --door DOOR [--valid-for 24h] [--server URL] [--qr F] [--db D],
// enroll list [--db D], enroll cancel ID [--db D]
func enrollCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "list" || args[0] == "cancel") {
		return enrollAdminCmd(args, stdout, stderr)
	}
	fs := flag.NewFlagSet("usher-central enroll", flag.ContinueOnError)
	dsn := dbFlag(fs)
	door := fs.String("door", "", "the `door` the kiosk will scan at")
	validFor := fs.Duration("valid-for", centralstore.EnrollValidFor, "how long the code works (`duration`, e.g. 2h)")
	serverURL := fs.String("server", "http://127.0.0.1:8080", "the `URL` kiosks reach this server at")
	qrPath := fs.String("qr", "", "where to write the QR `PNG` (default enroll-DOOR.png)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *door == "" || fs.NArg() > 0 {
		return errors.New("usage: usher-central enroll --door DOOR [--valid-for 24h] [--server URL] [--qr FILE.png] [--db D]")
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	e, err := db.NewEnrollment(context.Background(), *door, *validFor)
	if err != nil {
		return err
	}
	code := wire.EnrollCode{URL: *serverURL, Door: *door, Token: e.Token}
	if _, err := wire.ParseEnrollCode(code.String()); err != nil {
		return err
	}
	if *qrPath == "" {
		*qrPath = "enroll-" + *door + ".png"
	}
	png, err := qrcode.Encode(code.String(), qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("QR of the enrollment code: %w", err)
	}
	// The QR is a secret until it is used: its owner alone may read it.
	if err := writePrivate(*qrPath, png); err != nil {
		return err
	}
	abs, _ := filepath.Abs(*qrPath)
	fmt.Fprintf(stderr, "One-time enrollment %s for door %s, valid until %s; QR written to %s (readable by you only).\n",
		e.ID, *door, e.Expires.Local().Format("2006-01-02 15:04"), abs)
	fmt.Fprintf(stderr, "On the kiosk: scan it in staff mode, or run: usher enroll --db K.db CODE\n")
	fmt.Fprintf(stderr, "To cancel it: usher-central enroll cancel %s\n", e.ID)
	fmt.Fprintln(stdout, code.String())
	return nil
}

// writePrivate writes a secret to path, mode 0600 whether the file is
// new or was there before.
func writePrivate(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// enrollAdminCmd: usher-central enroll list | enroll cancel ID
func enrollAdminCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-central enroll "+args[0], flag.ContinueOnError)
	dsn := dbFlag(fs)
	ids, err := parseWithArgs(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if (args[0] == "list") != (len(ids) == 0) || len(ids) > 1 {
		return errors.New("usage: usher-central enroll list [--db D] | usher-central enroll cancel ID [--db D]")
	}
	db, err := centralstore.Open(*dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if args[0] == "cancel" {
		if err := db.CancelEnrollment(ctx, ids[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enrollment code %s cancelled\n", ids[0])
		return nil
	}
	list, err := db.Enrollments(ctx)
	if err != nil {
		return err
	}
	now := db.Now()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDOOR\tCREATED\tEXPIRES\tSTATE")
	for _, e := range list {
		state := "open"
		switch {
		case e.Used:
			state = "used"
		case e.Cancelled:
			state = "cancelled"
		case !now.Before(e.Expires):
			state = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Door, e.Created.Local().Format("2006-01-02 15:04"),
			e.Expires.Local().Format("2006-01-02 15:04"), state)
	}
	return tw.Flush()
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
