package central

import (
	"context"
	"crypto/tls"
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
	"strings"
	"syscall"
	"time"

	"usher/centralstore"
	"usher/dashboard"
	"usher/pretix"
	"usher/roster"
	"usher/sync/server"
)

// serveCmd: usher-central serve [--addr A] [--db D] [--cert C --key K]
// [--insecure-http] [--log-format text|json]
func serveCmd(args []string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	pcfg, err := f.pretixConfig()
	if err != nil {
		return err
	}
	// Before anything is opened or bound: plain HTTP that other machines
	// reach carries every secret of the API in clear.
	if err := checkExposure(f.addr, f.cert != "", f.insecure, stderr); err != nil {
		return err
	}
	handler := logHandler(f.logFormat, stderr)
	logger := slog.New(handler)

	db, err := centralstore.Open(f.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Event(context.Background()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	srv := newServer(db, handler, logger)
	ln, scheme, err := withTLS(srv, ln, f.cert, f.key)
	if err != nil {
		return err
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
	following := startPretix(ctx, db, pcfg, *f.pretix.read, f.pretixEvery, logger)
	defer func() {
		stop()
		<-following
	}()
	return serveUntil(ctx, srv, ln)
}

// serveFlags are serve's flags.
type serveFlags struct {
	dsn, addr, cert, key string
	insecure             bool
	logFormat            string
	pretixEvery          time.Duration
	pretix               pretixFlags
}

// parseServeFlags parses serve's flags from args and checks they go
// together.
func parseServeFlags(args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("usher-central serve", flag.ContinueOnError)
	dsn := dbFlag(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`address` to listen on")
	fs.StringVar(&f.cert, "cert", "", "TLS certificate `file` (PEM); with --key, serve HTTPS")
	fs.StringVar(&f.key, "key", "", "TLS private key `file` (PEM)")
	fs.BoolVar(&f.insecure, "insecure-http", false, "serve plain HTTP on an address other machines reach: "+
		"kiosk tokens, enrollment codes and organizers' passwords then cross the network in clear")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format` on stderr: text or json")
	fs.DurationVar(&f.pretixEvery, "pretix-every", 0, "read what changed in pretix at this `interval` (with --url and the token as for pretix sync)")
	f.pretix.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return f, err
	}
	f.dsn = *dsn
	if fs.NArg() > 0 || (f.cert == "") != (f.key == "") || (f.logFormat != "text" && f.logFormat != "json") ||
		(f.pretixEvery != 0) != (f.pretix.url != "") || f.pretixEvery < 0 {
		return f, errors.New("usage: usher-central serve [--addr 127.0.0.1:8080] [--db D] [--cert C --key K] [--insecure-http] [--log-format text|json] " +
			"[--pretix-every 2m --url https://HOST/api/v1/organizers/ORG/events/EVENT/ [--token-file F] [--checkin-list ID] [--include-pending]]")
	}
	return f, nil
}

// pretixConfig is the configuration of the pretix reader --pretix-every
// asks for; the zero Config without the flag.
func (f serveFlags) pretixConfig() (pretix.Config, error) {
	if f.pretixEvery == 0 {
		return pretix.Config{}, nil
	}
	if f.pretixEvery < 10*time.Second {
		return pretix.Config{}, fmt.Errorf("--pretix-every %s: read pretix at most every 10s, to stay within its rate limits", f.pretixEvery)
	}
	return f.pretix.config()
}

// checkExposure refuses to serve plain HTTP (withTLS false) on an
// address other machines reach, unless insecure (--insecure-http)
// accepts the risk, and then warns of it on stderr.
func checkExposure(addr string, withTLS, insecure bool, stderr io.Writer) error {
	local, err := loopback(addr)
	if err != nil {
		return err
	}
	if local || withTLS {
		return nil
	}
	if !insecure {
		return fmt.Errorf("--addr %s is reachable from the network, and without --cert and --key kiosk tokens, "+
			"enrollment codes and organizers' passwords would cross it in clear: serve HTTPS with --cert and --key, "+
			"listen on 127.0.0.1 behind a TLS proxy, or accept the risk with --insecure-http", addr)
	}
	fmt.Fprintf(stderr, "WARNING: --insecure-http: serving plain HTTP on %s, reachable from the network. Kiosk tokens, "+
		"enrollment codes and organizers' passwords cross it IN CLEAR: anyone on the network can read them and "+
		"act as a kiosk or an organizer.\n", addr)
	return nil
}

// logHandler writes serve's log to stderr in format: text or json.
func logHandler(format string, stderr io.Writer) slog.Handler {
	if format == "json" {
		return slog.NewJSONHandler(stderr, nil)
	}
	return slog.NewTextHandler(stderr, nil)
}

// newServer is the HTTP server of serve: Handler over db, logging to
// logger, its own errors logged as warnings through handler, and
// timeouts so that a stalled client cannot hold a connection forever.
func newServer(db *centralstore.DB, handler slog.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           Handler(db, logger),
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
	}
}

// withTLS wraps ln in TLS with the certificate and key files when cert
// is given, setting srv's TLS configuration, and returns the listener
// and the scheme it serves: https, or http without cert.
func withTLS(srv *http.Server, ln net.Listener, cert, key string) (net.Listener, string, error) {
	if cert == "" {
		return ln, "http", nil
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, "", fmt.Errorf("TLS: %w", err)
	}
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	return tls.NewListener(ln, srv.TLSConfig), "https", nil
}

// startPretix starts reading pretix every interval (0: never) until ctx
// ends, and returns a channel closed once the reader has stopped (at
// once without one).
func startPretix(ctx context.Context, db *centralstore.DB, cfg pretix.Config, opt roster.Options, every time.Duration, logger *slog.Logger) <-chan struct{} {
	following := make(chan struct{})
	if every == 0 {
		close(following)
		return following
	}
	go func() {
		defer close(following)
		followPretix(ctx, db, cfg, opt, every, logger)
	}()
	return following
}

// serveUntil serves srv on ln until ctx ends, then shuts it down,
// giving the requests under way 10 seconds.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener) error {
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
