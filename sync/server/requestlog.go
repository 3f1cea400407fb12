package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// entry is what a request's log entry learns from the handlers: the
// kiosk, once its token or enrollment code checked.
type entry struct{ kiosk string }

type entryKey struct{}

// LogRequests logs each request to logger once answered: method, path
// (not the query), status, duration, remote address and, for the kiosk
// API, the kiosk. Nothing a client sends in a header or body is logged,
// so neither is a token, a code or a password.
func LogRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		e := &entry{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), entryKey{}, e)))
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status()),
			slog.Duration("duration", time.Since(start)), slog.String("remote", r.RemoteAddr),
		}
		if e.kiosk != "" {
			attrs = append(attrs, slog.String("kiosk", e.kiosk))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
