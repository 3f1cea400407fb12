// Package server is the central roster server's HTTP API for kiosks:
// enrollment, push of scan events, pull of roster changes and the
// exchange of capacity rights, as
// sync/PROTOCOL.md describes. It keeps no state of its own: everything is
// in the central database, so several server processes can share one
// PostgreSQL database behind a load balancer.
package server

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/internal/gzpool"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// Server serves the kiosk API over a central database.
type Server struct {
	db       *centralstore.DB
	clock    *hlc.Clock
	log      *slog.Logger
	throttle *Throttle // nil: none
}

// Config is what NewHandler needs beside the database.
type Config struct {
	// Log receives the server's own errors, enrollments, refused tokens
	// and codes, and the events a push carried that the center refused
	// to believe (nil: slog.Default()). Never a token or a code.
	Log *slog.Logger
	// Throttle holds back an address that keeps sending wrong tokens or
	// enrollment codes (nil: a throttle of its own on the database's
	// clock).
	Throttle *Throttle
}

// NewHandler returns the API handler, as usher-central serve runs it.
func NewHandler(db *centralstore.DB, cfg Config) http.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Throttle == nil {
		cfg.Throttle = NewThrottle(func() time.Time { return db.Now() })
	}
	return newServer(db, cfg.Log, cfg.Throttle)
}

// New returns the API handler with no throttle, logging warnings and
// errors as lines to logger (nil: the standard logger): for tests and
// in-process callers such as the simulation, whose requests come from
// one address or none and may fail on purpose.
func New(db *centralstore.DB, logger *log.Logger) http.Handler {
	if logger == nil {
		logger = log.Default()
	}
	return newServer(db, slog.New(slog.NewTextHandler(logLines{logger}, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
}

// logLines writes each slog line through a *log.Logger, which adds its
// prefix and flags.
type logLines struct{ l *log.Logger }

func (w logLines) Write(p []byte) (int, error) {
	return len(p), w.l.Output(2, strings.TrimSuffix(string(p), "\n"))
}

func newServer(db *centralstore.DB, logger *slog.Logger, throttle *Throttle) http.Handler {
	s := &Server{db: db, clock: hlc.New(func() time.Time { return db.Now() }, 0), log: logger, throttle: throttle}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathEnroll, s.guard(s.enroll))
	mux.HandleFunc("POST "+wire.PathPush, s.guard(s.kiosk(s.push)))
	mux.HandleFunc("GET "+wire.PathPull, s.guard(s.kiosk(s.pull)))
	mux.HandleFunc("POST "+wire.PathRights, s.guard(s.kiosk(s.rights)))
	mux.HandleFunc("GET "+wire.PathWait, s.guard(s.kiosk(s.wait)))
	mux.HandleFunc("POST "+wire.PathReprint, s.guard(s.kiosk(s.reprint)))
	return mux
}

type ctxKey struct{}

// guard refuses, before reading anything of it, a request from an
// address the throttle holds back.
func (s *Server) guard(h http.HandlerFunc) http.HandlerFunc {
	if s.throttle == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if wait := s.throttle.Wait(RemoteHost(r)); wait > 0 {
			s.fail(w, r, &heldBack{wait})
			return
		}
		h(w, r)
	}
}

// heldBack is a request from an address the throttle holds back: 429.
type heldBack struct{ wait time.Duration }

func (e *heldBack) Error() string {
	return fmt.Sprintf("too many wrong kiosk tokens or enrollment codes from this address; try again in %ds", RetryAfter(e.wait))
}

// kiosk wraps a handler that needs an enrolled kiosk's bearer token.
func (s *Server) kiosk(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			s.fail(w, r, checkin.Errorf(checkin.EUNAUTHORIZED, "a kiosk bearer token is required"))
			return
		}
		id, err := s.db.Authenticate(r.Context(), token)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.passed(r, id)
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	}
}

// passed clears the address of a kiosk that proved itself, and names the
// kiosk in the request's log entry.
func (s *Server) passed(r *http.Request, kiosk string) {
	if s.throttle != nil {
		s.throttle.Succeed(RemoteHost(r))
	}
	if e, ok := r.Context().Value(entryKey{}).(*entry); ok {
		e.kiosk = kiosk
	}
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req wire.EnrollRequest
	if err := decode(w, r, MaxEnrollBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := req.Check(); err != nil {
		s.fail(w, r, checkin.Errorf(checkin.EINVALID, "%v", err))
		return
	}
	resp, err := s.db.Enroll(r.Context(), req.Token, req.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.passed(r, resp.KioskID)
	s.log.Info("kiosk enrolled", "kiosk", resp.KioskID, "door", resp.Door, "name", req.Name, "remote", r.RemoteAddr)
	s.reply(w, r, resp)
}

func (s *Server) push(w http.ResponseWriter, r *http.Request) {
	kiosk := r.Context().Value(ctxKey{}).(string)
	req, err := decodePush(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var through int64
	for i, e := range req.Events {
		if err := e.Check(); err != nil {
			s.fail(w, r, checkin.Errorf(checkin.EINVALID, "events[%d]: %v", i, err))
			return
		}
		through = max(through, e.Seq)
		// A kiosk clock far ahead is flagged at the center; its stamp must
		// not drag the server's clock, and so every kiosk's, with it.
		if hlc.Ahead(hlc.Timestamp(e.HLC), s.db.Now()) <= centralstore.FlagAhead {
			s.clock.Observe(hlc.Timestamp(e.HLC))
		}
	}
	res, err := s.db.Ingest(r.Context(), kiosk, req.Events)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Other server processes share the database, not this clock: catch
	// up with every kiosk's stored events before answering.
	latest, err := s.db.LatestHLC(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.clock.Observe(latest)
	resp := wire.PushResponse{Accepted: res.Accepted, Duplicates: len(req.Events) - res.Accepted, Through: through,
		ServerHLC: uint64(s.clock.Now()), ServerTime: s.db.Now().UnixMilli(), Refused: res.Refused, Forked: res.Forked}
	s.logPush(kiosk, resp)
	s.reply(w, r, resp)
}

// logPush logs what a push's answer tells the organizers: each event the
// center refused to believe, and a kiosk log that forked.
func (s *Server) logPush(kiosk string, resp wire.PushResponse) {
	for _, f := range resp.Refused {
		s.log.Warn("claim refused", "kiosk", kiosk, "seq", f.Seq, "why", f.Why)
	}
	if resp.Forked {
		s.log.Error("kiosk log forked: the center holds other events under its sequence numbers; enroll it again",
			"kiosk", kiosk, "through", resp.Through)
	}
}

// MaxWait bounds how long one GET /v1/wait is held, under the kiosks'
// and proxies' request timeouts.
const MaxWait = 30 * time.Second

// wait holds the request until the center has news for the kiosk or the
// asked timeout (milliseconds, at most MaxWait) passes.
func (s *Server) wait(w http.ResponseWriter, r *http.Request) {
	kiosk := r.Context().Value(ctxKey{}).(string)
	ms, err := strconv.ParseInt(r.URL.Query().Get("timeout"), 10, 64)
	if err != nil || ms < 0 || ms > MaxWait.Milliseconds() {
		s.fail(w, r, checkin.Errorf(checkin.EINVALID, "timeout %q: want milliseconds from 0 to %d", r.URL.Query().Get("timeout"), MaxWait.Milliseconds()))
		return
	}
	woken := s.db.Wait(r.Context(), kiosk, time.Duration(ms)*time.Millisecond)
	s.reply(w, r, wire.WaitResponse{Woken: woken})
}

func (s *Server) pull(w http.ResponseWriter, r *http.Request) {
	kiosk := r.Context().Value(ctxKey{}).(string)
	q := r.URL.Query()
	cursor, err := strconv.ParseInt(q.Get("cursor"), 10, 64)
	if err != nil || cursor < 0 {
		s.fail(w, r, checkin.Errorf(checkin.EINVALID, "cursor %q must be a whole number ≥ 0", q.Get("cursor")))
		return
	}
	limit := wire.MaxPullLimit
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > wire.MaxPullLimit {
			s.fail(w, r, checkin.Errorf(checkin.EINVALID, "limit %q must be 1 to %d", l, wire.MaxPullLimit))
			return
		}
	}
	waiting := int64(-1) // a kiosk that does not say
	if v := q.Get("waiting"); v != "" {
		if waiting, err = strconv.ParseInt(v, 10, 64); err != nil || waiting < 0 {
			s.fail(w, r, checkin.Errorf(checkin.EINVALID, "waiting %q must be a whole number ≥ 0", v))
			return
		}
	}
	resp, err := s.db.Pull(r.Context(), kiosk, cursor, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.db.Seen(r.Context(), kiosk, waiting); err != nil {
		s.log.Error("record a kiosk seen", "kiosk", kiosk, "err", err)
	}
	s.reply(w, r, resp)
}

// rights answers a kiosk's report of its capacity rights with grants,
// returns to make and the places free at other doors.
func (s *Server) rights(w http.ResponseWriter, r *http.Request) {
	exchange(s, w, r, s.db.Rights)
}

// reprint gives a person a new badge serial for a badge a kiosk prints
// at its door (centralstore.DB.ReprintBadge): the old serial goes on the
// revocation list every kiosk pulls. Each is logged with the kiosk that
// asked, for the organizer to see who printed what.
func (s *Server) reprint(w http.ResponseWriter, r *http.Request) {
	exchange(s, w, r, func(ctx context.Context, kiosk string, req wire.ReprintRequest) (wire.ReprintResponse, error) {
		serial, err := s.db.ReprintBadge(ctx, req.Person, "")
		if err == nil {
			s.log.Info("badge reprinted at a kiosk", "kiosk", kiosk, "person", req.Person, "serial", serial)
		}
		return wire.ReprintResponse{Serial: serial}, err
	})
}

// exchange answers a kiosk's small JSON request (at most MaxRightsBody):
// decoded, checked (400 naming the field at fault), then do's answer or
// its error.
func exchange[T interface{ Check() error }, R any](s *Server, w http.ResponseWriter, r *http.Request,
	do func(ctx context.Context, kiosk string, req T) (R, error)) {
	kiosk := r.Context().Value(ctxKey{}).(string)
	var req T
	if err := decode(w, r, MaxRightsBody, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := req.Check(); err != nil {
		s.fail(w, r, checkin.Errorf(checkin.EINVALID, "%v", err))
		return
	}
	resp, err := do(r.Context(), kiosk, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, resp)
}

// reply writes v as JSON, gzip-compressed when the client accepts it.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json")
	var out io.Writer = w
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzpool.Get(w, gzip.DefaultCompression)
		defer func() {
			zw.Close()
			zw.Release()
		}()
		out = zw
	}
	if err := json.NewEncoder(out).Encode(v); err != nil {
		s.log.Warn("write a response", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
	}
}

// fail writes an error response with the status its code calls for. A
// 401 counts against the client's address, and is logged with the
// reason (never the token or code sent) and how long the address is now
// held back, if it is; the 429s that follow are left to the request log.
// The server's own errors are logged whole.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, checkin.ErrorCode(err), checkin.ErrorMessage(err)
	var (
		tl *tooLarge
		hb *heldBack
	)
	switch {
	case errors.As(err, &tl):
		status, code, msg = http.StatusRequestEntityTooLarge, checkin.EINVALID, tl.Error()
	case errors.As(err, &hb):
		// Kiosks go by the status: 429 is "try later", as when offline.
		status, code, msg = http.StatusTooManyRequests, checkin.EUNAUTHORIZED, hb.Error()
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter(hb.wait)))
	case code == checkin.EINVALID:
		status = http.StatusBadRequest
	case code == checkin.EUNAUTHORIZED:
		status = http.StatusUnauthorized
		attrs := []any{"path", r.URL.Path, "remote", r.RemoteAddr, "why", msg}
		if s.throttle != nil {
			s.throttle.Fail(RemoteHost(r))
			if wait := s.throttle.Wait(RemoteHost(r)); wait > 0 {
				attrs = append(attrs, "held_back", wait)
			}
		}
		s.log.Warn("authentication refused", attrs...)
	case code == checkin.ENOTFOUND:
		status = http.StatusNotFound
	case code == checkin.ECONFLICT:
		status = http.StatusConflict
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		// The kiosk stopped waiting (a door asking on the spot waits a
		// moment only) or went away: nobody reads the answer, and nothing
		// failed here. Nothing was committed either: the transaction
		// ended with the context.
		status = http.StatusServiceUnavailable
		s.log.Info("request abandoned by the client", "method", r.Method, "path", r.URL.Path, "err", err)
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(wire.Error{Code: code, Message: msg})
}
