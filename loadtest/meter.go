package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"usher/sync/wire"
)

// meter is an http.RoundTripper that counts the kiosks' requests by
// kind (push, rights, pull, enroll), their failures by kind, and the time
// from sending each request to the end of its answer.
type meter struct {
	base http.RoundTripper

	mu        sync.Mutex
	latencies map[string][]time.Duration // successful requests by kind
	errors    map[string]int             // "push: HTTP 500", "pull: network"
}

func newMeter(base http.RoundTripper) *meter {
	return &meter{base: base, latencies: map[string][]time.Duration{}, errors: map[string]int{}}
}

// kindOf names a request by its API path.
func kindOf(path string) string {
	switch path {
	case wire.PathPush:
		return "push"
	case wire.PathPull:
		return "pull"
	case wire.PathRights:
		return "rights"
	case wire.PathEnroll:
		return "enroll"
	}
	return "other"
}

func (m *meter) RoundTrip(req *http.Request) (*http.Response, error) {
	kind := kindOf(req.URL.Path)
	start := time.Now()
	resp, err := m.base.RoundTrip(req)
	if err != nil {
		if req.Context().Err() == nil {
			m.fail(kind, "network")
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		m.fail(kind, fmt.Sprintf("HTTP %d", resp.StatusCode))
		return resp, nil
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, m: m, kind: kind, start: start, req: req}
	return resp, nil
}

func (m *meter) fail(kind, what string) {
	m.mu.Lock()
	m.errors[kind+": "+what]++
	m.mu.Unlock()
}

// timedBody records its request's latency when the answer has been read
// to its end, or as a network error when reading it failed.
type timedBody struct {
	io.ReadCloser
	m     *meter
	kind  string
	start time.Time
	req   *http.Request
	done  bool
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		if errors.Is(err, io.EOF) {
			b.m.record(b.kind, time.Since(b.start))
		} else if b.req.Context().Err() == nil {
			b.m.fail(b.kind, "network")
		}
	}
	return n, err
}

func (b *timedBody) Close() error {
	if !b.done {
		// Closed before its end was read: the client had what it needed
		// (a decoder stops at the end of the JSON value).
		b.done = true
		b.m.record(b.kind, time.Since(b.start))
	}
	return b.ReadCloser.Close()
}

func (m *meter) record(kind string, d time.Duration) {
	m.mu.Lock()
	m.latencies[kind] = append(m.latencies[kind], d)
	m.mu.Unlock()
}

// snapshot returns copies of the latencies and errors so far.
func (m *meter) snapshot() (map[string][]time.Duration, map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	lat := make(map[string][]time.Duration, len(m.latencies))
	for k, v := range m.latencies {
		lat[k] = append([]time.Duration(nil), v...)
	}
	errs := make(map[string]int, len(m.errors))
	for k, v := range m.errors {
		errs[k] = v
	}
	return lat, errs
}
