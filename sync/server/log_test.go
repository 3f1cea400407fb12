package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"usher/sync/server"
	"usher/sync/wire"
)

// The kiosk API logs each request (method, path, status, duration,
// remote address and, once known, the kiosk), each enrollment, each
// refused token or code with its reason, each pushed event the center
// refused to believe (Warn) and a forked kiosk log (Error), and never the
// token, the enrollment code or a wrong guess at either.
func TestKioskAPILogs(t *testing.T) {
	c := MustAPICenter(t, filepath.Join(t.TempDir(), "central.db"))
	c.db.Now = newFakeClock().Now
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	h := server.LogRequests(logger, server.NewHandler(c.db, server.Config{Log: logger}))
	send := func(method, path, token, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.RemoteAddr = "10.0.0.7:5000"
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	code, err := c.db.CreateEnrollment(t.Context(), "main")
	if err != nil {
		t.Fatal(err)
	}
	w := send("POST", wire.PathEnroll, "", `{"token":"`+code+`","name":"hall kiosk"}`)
	id := MustEnrolled(t, w)
	const wrongToken, wrongCode = "wrong-token-3f9a1c", "wrong-code-77be02"
	// An event at another door than the kiosk's is stored and refused;
	// another event under the same seq is a forked log.
	ev := func(door string) string {
		return fmt.Sprintf(`{"seq":1,"hlc":%d,"at":1780300800000,"door":%q,"direction":"entry","method":"badge","code":"U-X","decision":"deny","reason":"unknown_badge"}`,
			uint64(1780300800000)<<16, door)
	}
	for _, door := range []string{"east", "main"} {
		if w := send("POST", wire.PathPush, id.Token, `{"events":[`+ev(door)+`]}`); w.Code != http.StatusOK {
			t.Fatalf("push: %d %s", w.Code, w.Body)
		}
	}
	if w := send("GET", wire.PathPull+"?cursor=0", wrongToken, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("pull with a wrong token: %d %s", w.Code, w.Body)
	}
	if w := send("POST", wire.PathEnroll, "", `{"token":"`+wrongCode+`"}`); w.Code != http.StatusUnauthorized {
		t.Fatalf("enroll with a wrong code: %d %s", w.Code, w.Body)
	}
	// The address's third failure holds it back, and says so.
	if w := send("POST", wire.PathRights, "", `{}`); w.Code != http.StatusUnauthorized {
		t.Fatalf("rights without a token: %d %s", w.Code, w.Body)
	}

	for _, secret := range []string{code, id.Token, wrongToken, wrongCode, c.kiosk.Token} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the log holds the secret %q:\n%s", secret, buf.String())
		}
	}
	entries := logged(t, &buf)
	for _, want := range []map[string]any{
		{"level": "INFO", "msg": "kiosk enrolled", "kiosk": id.KioskID, "door": "main", "name": "hall kiosk", "remote": "10.0.0.7:5000"},
		{"msg": "request", "method": "POST", "path": wire.PathEnroll, "status": 200.0, "kiosk": id.KioskID, "remote": "10.0.0.7:5000"},
		{"msg": "request", "method": "POST", "path": wire.PathPush, "status": 200.0, "kiosk": id.KioskID},
		{"msg": "request", "method": "GET", "path": wire.PathPull, "status": 401.0, "kiosk": nil},
		{"level": "WARN", "msg": "authentication refused", "path": wire.PathPull, "remote": "10.0.0.7:5000"},
		{"level": "WARN", "msg": "authentication refused", "path": wire.PathEnroll},
		{"level": "WARN", "msg": "authentication refused", "path": wire.PathRights, "why": "a kiosk bearer token is required", "held_back": 1e9},
		{"level": "WARN", "msg": "claim refused", "kiosk": id.KioskID, "seq": 1.0},
		{"level": "ERROR", "kiosk": id.KioskID},
	} {
		if !hasEntry(entries, want) {
			t.Errorf("no log entry %v in:\n%s", want, buf.String())
		}
	}
	for _, e := range entries {
		why := fmt.Sprint(e["why"])
		switch {
		case e["msg"] == "claim refused" && !strings.Contains(why, `"east"`),
			e["msg"] == "authentication refused" && e["path"] == wire.PathPull && !strings.Contains(why, "token"),
			e["msg"] == "authentication refused" && e["path"] == wire.PathEnroll && !strings.Contains(why, "enrollment code"):
			t.Errorf("an entry without why: %v", e)
		}
		if e["msg"] == "request" && e["duration"] == nil {
			t.Errorf("a request logged without its duration: %v", e)
		}
	}
}

// MustEnrolled decodes a 200 answer to an enrollment.
func MustEnrolled(tb testing.TB, w *httptest.ResponseRecorder) wire.EnrollResponse {
	tb.Helper()
	var id wire.EnrollResponse
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &id) != nil || id.KioskID == "" {
		tb.Fatalf("enroll: %d %s", w.Code, w.Body)
	}
	return id
}

// hasEntry reports whether an entry has every attribute of want (nil:
// the attribute is absent).
func hasEntry(entries []map[string]any, want map[string]any) bool {
next:
	for _, e := range entries {
		for k, v := range want {
			if got, ok := e[k]; (v == nil && ok) || (v != nil && fmt.Sprint(got) != fmt.Sprint(v)) {
				continue next
			}
		}
		return true
	}
	return false
}

// A kiosk that stops waiting for its answer (a door asking on the spot
// waits a moment only) is no failure of the server's: the request is
// logged as abandoned, at Info, not as an error. Before, every such
// request under load was an ERROR line.
func TestAbandonedRequestIsNoError(t *testing.T) {
	c := MustAPICenter(t, filepath.Join(t.TempDir(), "central.db"))
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	h := server.LogRequests(logger, server.NewHandler(c.db, server.Config{Log: logger}))
	for _, req := range []*http.Request{
		httptest.NewRequest("POST", wire.PathRights, strings.NewReader(`{"holdings":[]}`)),
		httptest.NewRequest("POST", wire.PathPush, strings.NewReader(`{"events":[]}`)),
		httptest.NewRequest("GET", wire.PathPull+"?cursor=0", nil),
	} {
		ctx, cancel := context.WithCancel(req.Context())
		cancel() // gone before the server could answer
		req = req.WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+c.kiosk.Token)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	abandoned := 0
	for _, e := range logged(t, &buf) {
		if e["level"] == "ERROR" {
			t.Errorf("an abandoned request logged as an error: %v", e)
		}
		if e["msg"] == "request abandoned by the client" {
			abandoned++
			if e["level"] != "INFO" || e["err"] != context.Canceled.Error() {
				t.Errorf("abandoned request logged as %v", e)
			}
		}
	}
	if abandoned != 3 {
		t.Errorf("%d requests logged as abandoned, want 3:\n%s", abandoned, buf.String())
	}
}
