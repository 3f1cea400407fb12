package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
)

// link is one kiosk's network connection to the center: an
// http.RoundTripper that hands each request to the center's real
// handler, in the caller's goroutine, unless the world's dice say the
// request or its answer is lost, or the link is cut. A request may also
// be delivered twice, or kept back and delivered later, out of order.
type link struct {
	w     *World
	kiosk int
	down  bool // partitioned from the center
}

var errLost = errors.New("sim: message lost")

// stashed is a request kept back by the network, to arrive late.
type stashed struct {
	method, url string
	header      http.Header
	body        []byte
}

func (l *link) RoundTrip(req *http.Request) (*http.Response, error) {
	w := l.w
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	if l.down || w.center == nil || w.chance(w.cfg.DropRequest) {
		w.stats.Lost++
		return nil, errLost
	}
	msg := stashed{method: req.Method, url: req.URL.String(), header: req.Header.Clone(), body: body}
	if w.chance(w.cfg.Delay) && len(w.late) < 64 {
		// A copy arrives later; this one goes through now.
		w.late = append(w.late, msg)
	}
	rec := w.deliver(msg)
	if w.chance(w.cfg.Duplicate) {
		w.stats.Duplicated++
		rec = w.deliver(msg)
	}
	if w.chance(w.cfg.DropResponse) {
		w.stats.Lost++
		return nil, errLost
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// deliver hands one request to the center's handler and returns its
// answer.
func (w *World) deliver(m stashed) *httptest.ResponseRecorder {
	req := httptest.NewRequest(m.method, m.url, bytes.NewReader(m.body))
	req.Header = m.header.Clone()
	rec := httptest.NewRecorder()
	w.center.handler.ServeHTTP(rec, req)
	w.stats.Delivered++
	return rec
}

// call hands a request straight to the center's handler, with the
// kiosk bearer token when there is one: a client that no network
// fault reaches (the byzantine kiosk).
func (w *World) call(method, path, token string, body any) (*httptest.ResponseRecorder, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req := httptest.NewRequest(method, "http://center.sim"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	w.center.handler.ServeHTTP(rec, req)
	return rec, nil
}
