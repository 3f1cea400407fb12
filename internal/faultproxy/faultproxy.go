// Package faultproxy is a TCP proxy for tests that breaks HTTP/1.1
// connections the way a flaky venue Wi-Fi does. It listens on a loopback
// port, forwards each connection it accepts to a server, and, as a seeded
// random source decides, resets a connection at once, holds bytes back
// for a while, cuts a connection in the middle of a request's body (the
// server never gets all of it) or of a response's body (the server did
// the work, the client never learns), sends a request to the server a
// second time on a connection of its own, and refuses every connection
// during a partition.
//
// It reads each exchange whole (http.ReadRequest, http.ReadResponse)
// before passing it on, so it knows where a body starts and ends and
// keeps the client's keep-alive connections working between faults. A
// message goes on as the same request or response with its body
// delimited by Content-Length. The seed fixes the sequence of dice, not
// which connection draws which when several are open at once.
package faultproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Config is the proxy's faults: each chance is in [0, 1].
type Config struct {
	Seed uint64

	// Refuse is the chance a new connection is reset before any byte.
	Refuse float64
	// Partition is the chance a new connection starts a partition of
	// PartitionFor: it and every connection until the end are reset, and
	// exchanges under way are cut.
	Partition    float64
	PartitionFor time.Duration // default 100 ms

	// Delay is the chance, per request and per response, that its bytes
	// are sent in two parts with a pause of up to MaxDelay between.
	Delay    float64
	MaxDelay time.Duration // default 20 ms

	// CutRequest is the chance a request is cut part-way through its body
	// (through its head when it has none): the server gets a prefix, then
	// both connections close.
	CutRequest float64
	// CutResponse is the chance the server's whole answer is read and
	// the client gets only its head and part of its body, then the
	// connection closes.
	CutResponse float64
	// Duplicate is the chance a request is sent to the server once more,
	// on a connection of its own, before or after the original; that
	// answer is discarded.
	Duplicate float64
}

// Stats counts what the proxy did.
type Stats struct {
	Connections  int // accepted from clients
	Refused      int // reset at once by the dice
	Partitions   int // partitions started
	Partitioned  int // connections reset, or exchanges cut, during a partition
	Requests     int // requests the server got in full from a client
	Delayed      int // requests and responses held back part-way
	CutRequests  int // requests cut part-way
	CutResponses int // responses cut part-way, after the server answered
	Duplicates   int // requests sent to the server twice
}

func (s Stats) String() string {
	return fmt.Sprintf("%d connections, %d requests; %d refused, %d partitions (%d connections or exchanges refused in one), "+
		"%d delayed, %d requests and %d responses cut part-way, %d requests duplicated",
		s.Connections, s.Requests, s.Refused, s.Partitions, s.Partitioned, s.Delayed, s.CutRequests, s.CutResponses, s.Duplicates)
}

// Proxy forwards connections to one server, breaking some.
type Proxy struct {
	cfg    Config
	target string
	ln     net.Listener

	mu        sync.Mutex
	rng       *rand.Rand
	faults    bool
	partition time.Time // connections are refused until then
	stats     Stats
	conns     map[net.Conn]bool
	closed    bool
	wg        sync.WaitGroup
}

// New listens on a free loopback port and forwards to target
// ("host:port"), with faults on.
func New(target string, cfg Config) (*Proxy, error) {
	for _, c := range []struct {
		name string
		v    float64
	}{{"Refuse", cfg.Refuse}, {"Partition", cfg.Partition}, {"Delay", cfg.Delay}, {"CutRequest", cfg.CutRequest},
		{"CutResponse", cfg.CutResponse}, {"Duplicate", cfg.Duplicate}} {
		if !(c.v >= 0 && c.v <= 1) {
			return nil, fmt.Errorf("faultproxy: %s chance %v is not in [0, 1]", c.name, c.v)
		}
	}
	if cfg.PartitionFor <= 0 {
		cfg.PartitionFor = 100 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 20 * time.Millisecond
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	p := &Proxy{cfg: cfg, target: target, ln: ln, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6661756c74)),
		faults: true, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address, "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's address as an http:// URL.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// SetFaults turns the dice on or off. Off, the proxy forwards everything
// faithfully (a partition under way still runs out).
func (p *Proxy) SetFaults(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = on
}

// Heal turns faults off and ends a partition: from now on every
// connection and exchange goes through.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults, p.partition = false, time.Time{}
}

// Partition refuses every connection for d from now, whether or not the
// dice are on, and cuts exchanges under way.
func (p *Proxy) Partition(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partition = time.Now().Add(d)
	p.stats.Partitions++
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			c.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			p.serve(c)
		}()
	}
}

// track records a live connection so Close can end it; false when the
// proxy is closed already.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// chance draws one die; false when faults are off.
func (p *Proxy) chance(prob float64) bool {
	return p.faults && prob > 0 && p.rng.Float64() < prob
}

// admit decides a new connection's fate: false when it is to be reset.
func (p *Proxy) admit() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Connections++
	now := time.Now()
	if p.chance(p.cfg.Partition) {
		p.partition = now.Add(p.cfg.PartitionFor)
		p.stats.Partitions++
	}
	switch {
	case now.Before(p.partition):
		p.stats.Partitioned++
		return false
	case p.chance(p.cfg.Refuse):
		p.stats.Refused++
		return false
	}
	return true
}

// cutOff reports whether a partition is on now, counting the exchange
// it cuts.
func (p *Proxy) cutOff() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Now().Before(p.partition) {
		p.stats.Partitioned++
		return true
	}
	return false
}

// plan is the faults one exchange gets.
type plan struct {
	cutRequest, cutResponse bool
	cutAt                   float64 // where in the body, as a fraction
	duplicate, dupFirst     bool
	delayRequest            time.Duration // 0: none
	delayResponse           time.Duration
	splitAt                 float64 // where a delayed message pauses, as a fraction
}

func (p *Proxy) plan() plan {
	p.mu.Lock()
	defer p.mu.Unlock()
	var f plan
	f.cutRequest = p.chance(p.cfg.CutRequest)
	f.cutResponse = !f.cutRequest && p.chance(p.cfg.CutResponse)
	f.duplicate = p.chance(p.cfg.Duplicate)
	f.dupFirst = f.duplicate && p.rng.IntN(2) == 0
	if p.chance(p.cfg.Delay) {
		f.delayRequest = 1 + time.Duration(p.rng.Int64N(int64(p.cfg.MaxDelay)))
	}
	if p.chance(p.cfg.Delay) {
		f.delayResponse = 1 + time.Duration(p.rng.Int64N(int64(p.cfg.MaxDelay)))
	}
	f.cutAt, f.splitAt = p.rng.Float64(), p.rng.Float64()
	return f
}

func (p *Proxy) count(f func(*Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// serve forwards one client connection's exchanges, one at a time, over
// one connection to the server, until either side closes or a fault
// ends it.
func (p *Proxy) serve(c net.Conn) {
	if !p.admit() {
		reset(c)
		return
	}
	up := p.dial()
	if up == nil {
		return
	}
	defer p.untrack(up)
	cr, ur := bufio.NewReader(c), bufio.NewReader(up)
	for p.exchange(c, up, cr, ur) {
	}
}

// dial opens a connection to the server, tracked (track); nil when the
// server cannot be reached or the proxy is closed.
func (p *Proxy) dial() net.Conn {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return nil
	}
	if !p.track(up) {
		up.Close()
		return nil
	}
	return up
}

// exchange forwards one request from the client's connection c (read
// through cr) to the server's up, and the answer (read through ur) back,
// with the faults the dice plan for it. It reports whether both
// connections stay open for the next exchange.
func (p *Proxy) exchange(c, up net.Conn, cr, ur *bufio.Reader) bool {
	req, raw, head, err := readRequest(cr)
	if err != nil {
		return false // the client closed, or sent what is not HTTP
	}
	f := p.plan()
	if p.cutOff() {
		reset(c)
		return false
	}
	if f.duplicate && f.dupFirst {
		p.replay(raw, req)
	}
	if f.cutRequest {
		up.Write(raw[:requestCut(len(raw), head, f.cutAt)])
		p.count(func(s *Stats) { s.CutRequests++ })
		return false
	}
	if err := p.send(up, raw, f.delayRequest, f.splitAt); err != nil {
		return false
	}
	resp, rawResp, respHead, err := readResponse(ur, req)
	if err != nil {
		return false
	}
	p.count(func(s *Stats) { s.Requests++ })
	if f.duplicate && !f.dupFirst {
		p.replay(raw, req)
	}
	if p.cutOff() {
		reset(c)
		return false
	}
	if f.cutResponse {
		c.Write(rawResp[:responseCut(len(rawResp), respHead, f.cutAt)])
		p.count(func(s *Stats) { s.CutResponses++ })
		return false
	}
	if err := p.send(c, rawResp, f.delayResponse, f.splitAt); err != nil {
		return false
	}
	return !req.Close && !resp.Close
}

// requestCut is how many bytes of a request of n, head of them its head,
// the server gets when the request is cut at cutAt of its body: a prefix
// of the body, at least its first byte when it has two, never all of it;
// a request without a body loses part of its head.
func requestCut(n, head int, cutAt float64) int {
	at := head + int(cutAt*float64(n-head))
	if n-head < 2 {
		at = int(cutAt * float64(head))
	}
	return max(at, 1)
}

// responseCut is how many bytes of a response of n, head of them its
// head, the client gets when the response is cut at cutAt of its body:
// the head and part of the body, at least one byte of it when it has
// two, never all of it.
func responseCut(n, head int, cutAt float64) int {
	at := head + int(cutAt*float64(n-head))
	if n-head >= 2 {
		at = max(at, head+1)
	}
	return at
}

// send writes msg to w, when pause > 0 in two parts with the pause
// between.
func (p *Proxy) send(w io.Writer, msg []byte, pause time.Duration, splitAt float64) error {
	if pause <= 0 || len(msg) < 2 {
		_, err := w.Write(msg)
		return err
	}
	at := 1 + int(splitAt*float64(len(msg)-1))
	if _, err := w.Write(msg[:at]); err != nil {
		return err
	}
	p.count(func(s *Stats) { s.Delayed++ })
	time.Sleep(pause)
	_, err := w.Write(msg[at:])
	return err
}

// replay sends a request to the server on a new connection and reads
// and discards the answer.
func (p *Proxy) replay(raw []byte, req *http.Request) {
	up := p.dial()
	if up == nil {
		return
	}
	defer p.untrack(up)
	if _, err := up.Write(raw); err != nil {
		return
	}
	if _, _, _, err := readResponse(bufio.NewReader(up), req); err == nil {
		p.count(func(s *Stats) { s.Duplicates++ })
	}
}

// readRequest reads one request and returns it with its wire form (the
// body delimited by Content-Length) and the length of that form's head.
func readRequest(r *bufio.Reader) (*http.Request, []byte, int, error) {
	req, err := http.ReadRequest(r)
	if err != nil {
		return nil, nil, 0, err
	}
	raw, head, err := wireForm("request", req.Body, func(body []byte) {
		req.ContentLength, req.TransferEncoding = int64(len(body)), nil
		req.Body = io.NopCloser(bytes.NewReader(body))
		if len(body) == 0 {
			req.Body = nil
		}
	}, req.Write)
	if err != nil {
		return nil, nil, 0, err
	}
	return req, raw, head, nil
}

// readResponse is readRequest for the answer to req.
func readResponse(r *bufio.Reader, req *http.Request) (*http.Response, []byte, int, error) {
	resp, err := http.ReadResponse(r, req)
	if err != nil {
		return nil, nil, 0, err
	}
	raw, head, err := wireForm("response", resp.Body, func(body []byte) {
		resp.ContentLength, resp.TransferEncoding = int64(len(body)), nil
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}, resp.Write)
	if err != nil {
		return nil, nil, 0, err
	}
	return resp, raw, head, nil
}

// wireForm reads a message's whole body, has the message carry it with
// a Content-Length (setBody), and returns the message as write puts it
// on the wire, with the length of its head.
func wireForm(what string, body io.ReadCloser, setBody func([]byte), write func(io.Writer) error) ([]byte, int, error) {
	data, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		return nil, 0, err
	}
	setBody(data)
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return nil, 0, err
	}
	if !bytes.HasSuffix(b.Bytes(), data) {
		return nil, 0, fmt.Errorf("faultproxy: a %s's body is not at its end", what)
	}
	return b.Bytes(), b.Len() - len(data), nil
}

// reset closes c at once with a TCP reset rather than an orderly end,
// as a dropped link or a refusing host looks to the client.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
