package central_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"usher/central"
	"usher/centralstore"
	"usher/dashboard"
	"usher/demo"
	"usher/internal/syncbuf"
	"usher/sync/wire"
)

// serve runs usher-central serve in this process; it must return before
// serving.
func serve(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = central.Run(append([]string{"serve"}, args...), &out, &errOut)
	if out.Len() > 0 {
		t.Errorf("serve %v printed %q: it served", args, out.String())
	}
	return code, errOut.String()
}

// Without --cert and --key, serve refuses any address other machines
// reach (every interface, a routable address, a host name other than
// localhost), before it opens the database or binds the port, saying
// that tokens and passwords would cross the network in clear.
func TestServeRefusesPlainHTTPOffLoopback(t *testing.T) {
	// The port is held on every interface: had serve bound it, it would
	// have failed otherwise.
	held, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	port := fmt.Sprint(held.Addr().(*net.TCPAddr).Port)
	for _, addr := range []string{"0.0.0.0:" + port, ":" + port, "[::]:" + port, "192.168.1.20:8080", "usher.example.com:8080",
		"localhost.example.com:8080", "[2001:db8::1]:8080"} {
		t.Run(addr, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "center.db")
			code, stderr := serve(t, "--addr", addr, "--db", dsn)
			for _, want := range []string{addr, "in clear", "tokens", "passwords", "--cert", "--insecure-http"} {
				if code == 0 || !strings.Contains(stderr, want) {
					t.Errorf("exit %d, %q; want a refusal naming %q", code, stderr, want)
				}
			}
			if _, err := os.Stat(dsn); !os.IsNotExist(err) {
				t.Errorf("the database was opened before the refusal (%v)", err)
			}
		})
	}
}

// Loopback addresses serve without TLS; any address does with
// --insecure-http, after a warning on stderr. (The center here has no
// event, so serve stops at that, past the address check.)
func TestServeAllowsLoopbackOrInsecureHTTP(t *testing.T) {
	for _, c := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--addr", "127.0.0.1:0"}, false},
		{[]string{"--addr", "127.8.9.10:0"}, false},
		{[]string{"--addr", "[::1]:0"}, false},
		{[]string{"--addr", "localhost:0"}, false},
		{[]string{"--addr", "LocalHost:0"}, false},
		{[]string{"--addr", "0.0.0.0:0", "--insecure-http"}, true},
		{[]string{"--addr", ":0", "--insecure-http"}, true},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "center.db")
			code, stderr := serve(t, append(c.args, "--db", dsn)...)
			if code == 0 || strings.Contains(stderr, "would cross") {
				t.Errorf("exit %d: %s; want it past the address check", code, stderr)
			}
			if _, err := os.Stat(dsn); err != nil {
				t.Errorf("the database was not opened: %v; stderr %s", err, stderr)
			}
			warned := strings.Contains(stderr, "WARNING") && strings.Contains(stderr, "IN CLEAR") &&
				strings.Contains(stderr, "tokens") && strings.Contains(stderr, "passwords")
			if warned != c.warn {
				t.Errorf("warned %v, want %v: %s", warned, c.warn, stderr)
			}
		})
	}
}

// --log-format is text or json; anything else is a usage error.
func TestServeLogFormatFlag(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "center.db")
	if code, stderr := serve(t, "--log-format", "xml", "--db", dsn); code == 0 || !strings.Contains(stderr, "usage:") ||
		!strings.Contains(stderr, "--log-format text|json") {
		t.Errorf("--log-format xml: exit %d, %q; want the usage", code, stderr)
	}
}

// serveProc is usher-central serve running as a child process (this test
// binary, see TestMain).
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncbuf.Buffer
}

func mustServeProc(t *testing.T, args ...string) *serveProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: exec.Command(exe, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...), stderr: &syncbuf.Buffer{}}
	p.cmd.Env = append(os.Environ(), serveEnv+"=1")
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop() })
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-first:
		u, ok := strings.CutPrefix(strings.TrimSpace(line), "serving ")
		if !ok {
			t.Fatalf("serve printed %q; stderr %s", line, p.stderr)
		}
		p.url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed nothing in 30 s; stderr %s", p.stderr)
	}
	return p
}

// stop ends the server as an operator would and returns its stderr.
func (p *serveProc) stop() string {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}
	return p.stderr.String()
}

// mustCenterDB is a center with the demo event, an organizer and an
// enrollment code for door main.
func mustCenterDB(t *testing.T, organizer, password string) (dsn, code string) {
	t.Helper()
	dsn = filepath.Join(t.TempDir(), "center.db")
	db, err := centralstore.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(t.Context(), demo.Event(), demo.Roster(5), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddOrganizer(t.Context(), organizer, password); err != nil {
		t.Fatal(err)
	}
	if code, err = db.CreateEnrollment(t.Context(), "main"); err != nil {
		t.Fatal(err)
	}
	return dsn, code
}

// usher-central serve --log-format json logs one JSON object a line:
// each request (method, path, status, duration, remote address, and the
// kiosk when known), sign-ins and their failures, enrollments and
// refused tokens. No line holds a password, an enrollment code, a kiosk
// token or a session token, whether right or wrong.
func TestServeLogsNoSecrets(t *testing.T) {
	const (
		organizer, password = "maria", "maria's long password c0ffee"
		wrongPassword       = "maria's wrong password 5eed"
		wrongToken          = "wrong-kiosk-token-d00d"
	)
	dsn, code := mustCenterDB(t, organizer, password)
	p := mustServeProc(t, "--db", dsn, "--log-format", "json")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, auth, contentType, body string, cookie *http.Cookie) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	form := func(pw string) string { return url.Values{"name": {organizer}, "password": {pw}}.Encode() }
	const formType = "application/x-www-form-urlencoded"

	if r := do("POST", dashboard.PathLogin, "", formType, form(wrongPassword), nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in with a wrong password: %d", r.StatusCode)
	}
	r := do("POST", dashboard.PathLogin, "", formType, form(password), nil)
	if r.StatusCode != http.StatusSeeOther || len(r.Cookies()) != 1 {
		t.Fatalf("sign-in: %d, cookies %v", r.StatusCode, r.Cookies())
	}
	session := r.Cookies()[0]
	if r := do("GET", "/", "", "", "", session); r.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard: %d", r.StatusCode)
	}

	enrollCode := wire.EnrollCode{URL: p.url, Door: "main", Token: code}.String()
	req, _ := http.NewRequest("POST", p.url+wire.PathEnroll, strings.NewReader(`{"token":"`+code+`","name":"hall"}`))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var id wire.EnrollResponse
	if err := json.NewDecoder(resp.Body).Decode(&id); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("enroll: %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if r := do("POST", wire.PathPush, id.Token, "application/json", `{"events":[]}`, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("push: %d", r.StatusCode)
	}
	if r := do("GET", wire.PathPull+"?cursor=0", wrongToken, "", "", nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("pull with a wrong token: %d", r.StatusCode)
	}

	log := p.stop()
	for _, secret := range []string{password, wrongPassword, url.QueryEscape(password), code, enrollCode, id.Token, wrongToken, session.Value} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds the secret %q:\n%s", secret, log)
		}
	}
	var entries []map[string]any
	for line := range strings.Lines(log) {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Errorf("a log line is not JSON: %q", line)
		}
		entries = append(entries, e)
	}
	for _, want := range []map[string]any{
		{"level": "INFO", "msg": "serving"},
		{"level": "WARN", "msg": "sign-in failed"},
		{"level": "INFO", "msg": "organizer signed in", "name": organizer},
		{"level": "INFO", "msg": "kiosk enrolled", "kiosk": id.KioskID, "door": "main"},
		{"level": "WARN", "msg": "authentication refused", "path": wire.PathPull},
		{"msg": "request", "method": "POST", "path": dashboard.PathLogin, "status": "401"},
		{"msg": "request", "method": "POST", "path": dashboard.PathLogin, "status": "303"},
		{"msg": "request", "method": "GET", "path": "/", "status": "200"},
		{"msg": "request", "method": "POST", "path": wire.PathEnroll, "status": "200", "kiosk": id.KioskID},
		{"msg": "request", "method": "POST", "path": wire.PathPush, "status": "200", "kiosk": id.KioskID},
		{"msg": "request", "method": "GET", "path": wire.PathPull, "status": "401"},
	} {
		if !hasEntry(entries, want) {
			t.Errorf("no log entry %v in:\n%s", want, log)
		}
	}
	for _, e := range entries {
		if e["msg"] == "request" && (e["duration"] == nil || !strings.HasPrefix(fmt.Sprint(e["remote"]), "127.0.0.1:")) {
			t.Errorf("a request logged without its duration or remote address: %v", e)
		}
	}
}

// By default serve logs text lines.
func TestServeLogsText(t *testing.T) {
	dsn, _ := mustCenterDB(t, "maria", "maria's long password c0ffee")
	p := mustServeProc(t, "--db", dsn)
	if log := p.stop(); !strings.HasPrefix(log, "time=") || !strings.Contains(log, "level=INFO msg=serving") {
		t.Errorf("serve's log is not slog's text:\n%s", log)
	}
}

// hasEntry reports whether an entry has every attribute of want.
func hasEntry(entries []map[string]any, want map[string]any) bool {
next:
	for _, e := range entries {
		for k, v := range want {
			if fmt.Sprint(e[k]) != fmt.Sprint(v) {
				continue next
			}
		}
		return true
	}
	return false
}
