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
	"net/http"
	"strconv"
	"strings"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/sync/hlc"
	"usher/sync/wire"
)

// Server serves the kiosk API over a central database.
type Server struct {
	db    *centralstore.DB
	clock *hlc.Clock
	log   *log.Logger
}

// New returns the API handler. Errors that are the server's own are
// logged to logger (nil: the standard logger).
func New(db *centralstore.DB, logger *log.Logger) http.Handler {
	if logger == nil {
		logger = log.Default()
	}
	s := &Server{db: db, clock: hlc.New(func() time.Time { return db.Now() }, 0), log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathEnroll, s.enroll)
	mux.HandleFunc("POST "+wire.PathPush, s.kiosk(s.push))
	mux.HandleFunc("GET "+wire.PathPull, s.kiosk(s.pull))
	mux.HandleFunc("POST "+wire.PathRights, s.kiosk(s.rights))
	mux.HandleFunc("GET "+wire.PathWait, s.kiosk(s.wait))
	return mux
}

type ctxKey struct{}

// kiosk wraps a handler that needs an enrolled kiosk's bearer token.
func (s *Server) kiosk(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			s.fail(w, checkin.Errorf(centralstore.EUNAUTHORIZED, "a kiosk bearer token is required"))
			return
		}
		id, err := s.db.Authenticate(r.Context(), token)
		if err != nil {
			s.fail(w, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	}
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req wire.EnrollRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := req.Check(); err != nil {
		s.fail(w, checkin.Errorf(checkin.EINVALID, "%v", err))
		return
	}
	resp, err := s.db.Enroll(r.Context(), req.Token, req.Name)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.reply(w, r, resp)
}

func (s *Server) push(w http.ResponseWriter, r *http.Request) {
	kiosk := r.Context().Value(ctxKey{}).(string)
	var req wire.PushRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if len(req.Events) > wire.MaxPushEvents {
		s.fail(w, checkin.Errorf(checkin.EINVALID, "%d events in one push; at most %d", len(req.Events), wire.MaxPushEvents))
		return
	}
	var through int64
	for i, e := range req.Events {
		if err := e.Check(); err != nil {
			s.fail(w, checkin.Errorf(checkin.EINVALID, "events[%d]: %v", i, err))
			return
		}
		through = max(through, e.Seq)
		// A kiosk clock far ahead is flagged at the center; its stamp must
		// not drag the server's clock, and so every kiosk's, with it.
		if hlc.Ahead(hlc.Timestamp(e.HLC), s.db.Now()) <= centralstore.FlagAhead {
			s.clock.Observe(hlc.Timestamp(e.HLC))
		}
	}
	accepted, err := s.db.Push(r.Context(), kiosk, req.Events)
	if err != nil {
		s.fail(w, err)
		return
	}
	// Other server processes share the database, not this clock: catch
	// up with every kiosk's stored events before answering.
	latest, err := s.db.LatestHLC(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	s.clock.Observe(latest)
	s.reply(w, r, wire.PushResponse{Accepted: accepted, Duplicates: len(req.Events) - accepted, Through: through,
		ServerHLC: uint64(s.clock.Now()), ServerTime: s.db.Now().UnixMilli()})
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
		s.fail(w, checkin.Errorf(checkin.EINVALID, "timeout %q: want milliseconds from 0 to %d", r.URL.Query().Get("timeout"), MaxWait.Milliseconds()))
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
		s.fail(w, checkin.Errorf(checkin.EINVALID, "cursor %q must be a whole number ≥ 0", q.Get("cursor")))
		return
	}
	limit := wire.MaxPullLimit
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > wire.MaxPullLimit {
			s.fail(w, checkin.Errorf(checkin.EINVALID, "limit %q must be 1 to %d", l, wire.MaxPullLimit))
			return
		}
	}
	waiting := int64(-1) // a kiosk that does not say
	if v := q.Get("waiting"); v != "" {
		if waiting, err = strconv.ParseInt(v, 10, 64); err != nil || waiting < 0 {
			s.fail(w, checkin.Errorf(checkin.EINVALID, "waiting %q must be a whole number ≥ 0", v))
			return
		}
	}
	resp, err := s.db.Pull(r.Context(), kiosk, cursor, limit)
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.db.Seen(r.Context(), kiosk, waiting); err != nil {
		s.log.Printf("usher-central: record kiosk %s seen: %v", kiosk, err)
	}
	s.reply(w, r, resp)
}

// rights answers a kiosk's report of its capacity rights with grants,
// returns to make and the places free at other doors.
func (s *Server) rights(w http.ResponseWriter, r *http.Request) {
	kiosk := r.Context().Value(ctxKey{}).(string)
	var req wire.RightsRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := req.Check(); err != nil {
		s.fail(w, checkin.Errorf(checkin.EINVALID, "%v", err))
		return
	}
	resp, err := s.db.Rights(r.Context(), kiosk, req)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.reply(w, r, resp)
}

// decode reads a JSON body, gzip-compressed or not, of at most
// wire.MaxBody bytes, and refuses unknown fields.
func decode(r *http.Request, v any) error {
	var body io.Reader = http.MaxBytesReader(nil, r.Body, wire.MaxBody)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return checkin.Errorf(checkin.EINVALID, "body: not gzip: %v", err)
		}
		defer zr.Close()
		body = io.LimitReader(zr, wire.MaxBody+1)
	}
	data, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || len(data) > wire.MaxBody:
		return &tooLarge{}
	case err != nil:
		return checkin.Errorf(checkin.EINVALID, "body: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return checkin.Errorf(checkin.EINVALID, "body: %v", err)
	}
	if dec.More() {
		return checkin.Errorf(checkin.EINVALID, "body: more than one JSON value")
	}
	return nil
}

type tooLarge struct{}

func (*tooLarge) Error() string { return fmt.Sprintf("body over %d bytes", wire.MaxBody) }

// reply writes v as JSON, gzip-compressed when the client accepts it.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json")
	var out io.Writer = w
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		defer zw.Close()
		out = zw
	}
	if err := json.NewEncoder(out).Encode(v); err != nil {
		s.log.Printf("usher-central: write response: %v", err)
	}
}

// fail writes an error response with the status its code calls for.
func (s *Server) fail(w http.ResponseWriter, err error) {
	status, code := http.StatusInternalServerError, checkin.ErrorCode(err)
	var tl *tooLarge
	switch {
	case errors.As(err, &tl):
		status, code = http.StatusRequestEntityTooLarge, checkin.EINVALID
	case code == checkin.EINVALID:
		status = http.StatusBadRequest
	case code == centralstore.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	case code == checkin.ENOTFOUND:
		status = http.StatusNotFound
	case code == checkin.ECONFLICT:
		status = http.StatusConflict
	default:
		s.log.Printf("usher-central: %v", err)
	}
	msg := checkin.ErrorMessage(err)
	if errors.As(err, &tl) {
		msg = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(wire.Error{Code: code, Message: msg})
}
