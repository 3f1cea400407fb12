package faultproxy_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"usher/internal/faultproxy"
)

// body is a response or request body long enough to be cut part-way.
var body = bytes.Repeat([]byte("0123456789abcdef"), 640) // 10,240 bytes

// recorder is a real server on loopback that records the bodies it
// reads (or the prefix it got before an error) and answers with body
// for GET, the request's own body for POST.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []received
	each chan struct{} // a token per request read
}

type received struct {
	body []byte
	err  error
}

func MustRecorder(tb testing.TB) *recorder {
	tb.Helper()
	r := &recorder{each: make(chan struct{}, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{b, err})
		r.mu.Unlock()
		r.each <- struct{}{}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if req.Method == http.MethodGet {
			b = body
		}
		w.Write(b)
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

// Wait waits until the server has read n requests in all.
func (r *recorder) Wait(tb testing.TB, n int) {
	tb.Helper()
	for len(r.Received()) < n {
		select {
		case <-r.each:
		case <-time.After(10 * time.Second):
			tb.Fatalf("the server read %d requests in 10 s, want %d", len(r.Received()), n)
		}
	}
}

func (r *recorder) Received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func MustProxy(tb testing.TB, target string, cfg faultproxy.Config) *faultproxy.Proxy {
	tb.Helper()
	p, err := faultproxy.New(strings.TrimPrefix(target, "http://"), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

func newClient(tb testing.TB) *http.Client {
	c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	tb.Cleanup(c.CloseIdleConnections)
	return c
}

// MustRaw sends msg on a connection of its own to addr and returns every
// byte that comes back until the proxy closes the connection.
func MustRaw(tb testing.TB, addr string, msg []byte) []byte {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(msg); err != nil {
		tb.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		tb.Fatalf("read from the proxy: %v", err)
	}
	return got
}

func TestForwardsKeepAlive(t *testing.T) {
	r := MustRecorder(t)
	p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: 1})
	hc := newClient(t)
	for i := range 5 {
		want := fmt.Sprintf("request %d", i)
		resp, err := hc.Post(p.URL()+"/echo", "text/plain", strings.NewReader(want))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(got) != want {
			t.Errorf("request %d: answer %q, %v; want %q", i, got, err, want)
		}
	}
	if st := p.Stats(); st != (faultproxy.Stats{Connections: 1, Requests: 5}) {
		t.Errorf("stats %+v, want 5 requests on one kept-alive connection and no faults", st)
	}
}

// TestCutResponse: the server answers in full; the client gets the head
// and a proper prefix of the body, then the connection ends. Over seeds
// the cut falls at different places.
func TestCutResponse(t *testing.T) {
	r := MustRecorder(t)
	cuts := map[int]bool{}
	for seed := range uint64(10) {
		p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: seed, CutResponse: 1})
		raw := MustRaw(t, p.Addr(), []byte("GET /doc HTTP/1.1\r\nHost: usher\r\n\r\n"))
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("seed %d: the client got %d bytes and no response head: %v", seed, len(raw), err)
		}
		got, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(len(body)) {
			t.Errorf("seed %d: status %d, length %d; want 200 and %d", seed, resp.StatusCode, resp.ContentLength, len(body))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) || len(got) == 0 || len(got) >= len(body) || !bytes.Equal(got, body[:len(got)]) {
			t.Errorf("seed %d: the client read %d of %d body bytes (%v), want a proper, non-empty prefix and an unexpected EOF",
				seed, len(got), len(body), err)
		}
		cuts[len(got)] = true
		if st := p.Stats(); st.CutResponses != 1 || st.Requests != 1 {
			t.Errorf("seed %d: stats %+v, want one request and its response cut", seed, st)
		}
	}
	if n := len(r.Received()); n != 10 {
		t.Errorf("the server answered %d requests, want 10: a response is cut only after the server's answer", n)
	}
	if len(cuts) < 5 {
		t.Errorf("10 seeds cut at only %d places: %v", len(cuts), cuts)
	}
}

// TestCutRequest: the server reads a proper prefix of the body and then
// an error; the client hears nothing back.
func TestCutRequest(t *testing.T) {
	r := MustRecorder(t)
	msg := append([]byte(fmt.Sprintf("POST /push HTTP/1.1\r\nHost: usher\r\nContent-Length: %d\r\n\r\n", len(body))), body...)
	for seed := range uint64(10) {
		p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: seed, CutRequest: 1})
		if got := MustRaw(t, p.Addr(), msg); len(got) != 0 {
			t.Errorf("seed %d: the client got %d bytes back, want none", seed, len(got))
		}
		if st := p.Stats(); st.CutRequests != 1 || st.Requests != 0 {
			t.Errorf("seed %d: stats %+v, want one request cut and none delivered", seed, st)
		}
	}
	// The server sees each cut once the proxy closed its side.
	r.Wait(t, 10)
	got := r.Received()
	if len(got) != 10 {
		t.Fatalf("the server began reading %d requests, want 10", len(got))
	}
	for i, g := range got {
		if g.err == nil || len(g.body) == 0 || len(g.body) >= len(body) || !bytes.Equal(g.body, body[:len(g.body)]) {
			t.Errorf("request %d: the server read %d of %d body bytes (error %v), want a proper, non-empty prefix and an error",
				i, len(g.body), len(body), g.err)
		}
	}
}

// TestDuplicate: the server gets the request twice, the client one
// answer.
func TestDuplicate(t *testing.T) {
	r := MustRecorder(t)
	p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: 3, Duplicate: 1})
	hc := newClient(t)
	for i := range 4 {
		want := fmt.Sprintf("push %d", i)
		resp, err := hc.Post(p.URL()+"/push", "text/plain", strings.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != want {
			t.Errorf("answer %q, want %q", got, want)
		}
	}
	got := r.Received()
	if len(got) != 8 {
		t.Fatalf("the server got %d requests, want each of 4 twice", len(got))
	}
	n := map[string]int{}
	for _, g := range got {
		n[string(g.body)]++
	}
	for i := range 4 {
		if k := fmt.Sprintf("push %d", i); n[k] != 2 {
			t.Errorf("the server got %q %d times, want 2", k, n[k])
		}
	}
	if st := p.Stats(); st.Duplicates != 4 || st.Requests != 4 {
		t.Errorf("stats %+v, want 4 requests, each duplicated", st)
	}
}

func TestRefuse(t *testing.T) {
	r := MustRecorder(t)
	p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: 1, Refuse: 1})
	hc := newClient(t)
	if resp, err := hc.Get(p.URL() + "/doc"); err == nil {
		resp.Body.Close()
		t.Fatal("a request through a proxy that refuses every connection succeeded")
	}
	if n := len(r.Received()); n != 0 {
		t.Errorf("the server got %d requests, want none", n)
	}
	if st := p.Stats(); st.Refused == 0 || st.Refused != st.Connections || st.Requests != 0 {
		t.Errorf("stats %+v, want every connection refused", st)
	}
	// Faults off: the same proxy forwards.
	p.SetFaults(false)
	resp, err := hc.Get(p.URL() + "/doc")
	if err != nil {
		t.Fatalf("with faults off: %v", err)
	}
	resp.Body.Close()
}

func TestPartition(t *testing.T) {
	r := MustRecorder(t)
	p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: 1})
	hc := newClient(t)
	get := func() error {
		resp, err := hc.Get(p.URL() + "/doc")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && !bytes.Equal(b, body) {
			err = fmt.Errorf("answer of %d bytes, want %d", len(b), len(body))
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("before the partition: %v", err)
	}
	p.Partition(time.Hour)
	// The kept-alive connection's next exchange is cut, and so is every
	// new connection.
	for i := range 3 {
		if err := get(); err == nil {
			t.Fatalf("request %d during the partition succeeded", i)
		}
	}
	if st := p.Stats(); st.Partitions != 1 || st.Partitioned < 3 || st.Requests != 1 {
		t.Errorf("stats %+v, want one partition that stopped 3 exchanges, 1 request through", st)
	}
	p.Heal()
	if err := get(); err != nil {
		t.Fatalf("after healing: %v", err)
	}
}

func TestDelay(t *testing.T) {
	r := MustRecorder(t)
	p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: 1, Delay: 1, MaxDelay: 5 * time.Millisecond})
	hc := newClient(t)
	resp, err := hc.Post(p.URL()+"/echo", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("answer of %d bytes (%v), want the %d sent", len(got), err, len(body))
	}
	if st := p.Stats(); st.Delayed != 2 || st.Requests != 1 {
		t.Errorf("stats %+v, want the request and its response delayed", st)
	}
}

func TestNewRefusesBadChance(t *testing.T) {
	for _, cfg := range []faultproxy.Config{{Refuse: -0.1}, {Duplicate: 1.5}, {CutResponse: 2}} {
		if p, err := faultproxy.New("127.0.0.1:1", cfg); err == nil {
			p.Close()
			t.Errorf("New(%+v) took a chance outside [0, 1]", cfg)
		} else if !strings.Contains(err.Error(), "not in [0, 1]") {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}

// TestPartitionByDice: a connection that draws a partition is reset, and
// so is every connection after it until the partition ends.
func TestPartitionByDice(t *testing.T) {
	r := MustRecorder(t)
	p := MustProxy(t, r.srv.URL, faultproxy.Config{Seed: 1, Partition: 1, PartitionFor: time.Hour})
	hc := newClient(t)
	if resp, err := hc.Get(p.URL() + "/doc"); err == nil {
		resp.Body.Close()
		t.Fatal("the connection that started a partition went through")
	}
	p.SetFaults(false)
	if resp, err := hc.Get(p.URL() + "/doc"); err == nil {
		resp.Body.Close()
		t.Fatal("a connection during the partition went through")
	}
	if st := p.Stats(); st.Partitions != 1 || st.Partitioned != 2 || st.Requests != 0 {
		t.Errorf("stats %+v, want one partition that refused 2 connections", st)
	}
	if n := len(r.Received()); n != 0 {
		t.Errorf("the server got %d requests, want none", n)
	}
	p.Heal()
	resp, err := hc.Get(p.URL() + "/doc")
	if err != nil {
		t.Fatalf("after healing: %v", err)
	}
	resp.Body.Close()
}
