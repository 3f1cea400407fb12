package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"usher/sync/server"
	"usher/sync/wire"
)

// gz is the gzip stream of parts, each a prefix repeated: {"x", n}
// stands for n bytes of x.
func gz(tb testing.TB, parts ...any) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			zw.Write([]byte(p))
		case repeat:
			chunk := bytes.Repeat([]byte{p.b}, 64<<10)
			for n := p.n; n > 0; n -= len(chunk) {
				zw.Write(chunk[:min(n, len(chunk))])
			}
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// repeat is n bytes of b.
type repeat struct {
	b byte
	n int
}

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// noRead is a body that fails the test if it is read.
type noRead struct{ tb testing.TB }

func (r noRead) Read([]byte) (int, error) {
	r.tb.Error("the body was read")
	return 0, io.EOF
}

// Every body is limited as sent and as inflated, to what its request
// carries, before it is parsed: a gzip bomb, to an enrollment that needs
// no token or to a push, is refused with 413 naming the limit, and the
// server allocates little doing so (the decoder holds one event of a
// push at a time). A body declared too long is refused unread.
func TestBodyLimits(t *testing.T) {
	c := MustAPICenter(t, filepath.Join(t.TempDir(), "central.db"))
	const maxAlloc = 2 << 20
	for _, tc := range []struct {
		name, path string
		gzip       bool
		body       []byte
		status     int
		says       string // in the message
	}{
		{"EnrollTenMBOfZeros", wire.PathEnroll, true, gz(t, repeat{0, 10 << 20}), 413, strconv.Itoa(server.MaxEnrollBody)},
		{"EnrollInflatedPastLimit", wire.PathEnroll, true, gz(t, `{"token":"x","name":"`, repeat{'a', 1 << 20}, `"}`), 413,
			fmt.Sprintf("%d bytes once inflated", server.MaxEnrollBody)},
		{"EnrollPlainPastLimit", wire.PathEnroll, false, []byte(`{"token":"x","name":"` + strings.Repeat("a", server.MaxEnrollBody) + `"}`), 413,
			strconv.Itoa(server.MaxEnrollBody)},
		{"EnrollWhiteSpace", wire.PathEnroll, true, gz(t, repeat{' ', 10 << 20}), 413, strconv.Itoa(server.MaxEnrollBody)},
		{"RightsPastLimit", wire.PathRights, true, gz(t, `{"holdings":[`, repeat{' ', server.MaxRightsBody}, `]}`), 413,
			strconv.Itoa(server.MaxRightsBody)},
		{"PushOneHugeEvent", wire.PathPush, true, gz(t, `{"events":[{"seq":1,"note":"`, repeat{'a', 20 << 20}, `"}]}`), 413,
			fmt.Sprintf("events[0] over the limit of %d bytes", server.MaxEventBody)},
		{"PushHugeSecondEvent", wire.PathPush, true, gz(t, `{"events":[{"seq":1},{"seq":2,"note":"`, repeat{'a', 20 << 20}, `"}]}`), 413,
			fmt.Sprintf("events[1] over the limit of %d bytes", server.MaxEventBody)},
		{"PushWhiteSpace", wire.PathPush, true, gz(t, `{"events":[`, repeat{' ', wire.MaxBody + 1}, `]}`), 413,
			strconv.Itoa(server.MaxEventBody)},
		{"PushWhiteSpaceAfter", wire.PathPush, true, gz(t, `{"events":[]}`, repeat{' ', wire.MaxBody + 1}), 413,
			strconv.Itoa(server.MaxEventBody)},
		// Not JSON from its first byte, but within the limit once inflated.
		{"PushTenMBOfZeros", wire.PathPush, true, gz(t, repeat{0, 10 << 20}), 400, "body"},
		{"PushTwentyMBOfZeros", wire.PathPush, true, gz(t, repeat{0, 20 << 20}), 413, fmt.Sprintf("%d bytes once inflated", server.MaxPushBody)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(tc.body))
			req.ContentLength = -1 // sent in chunks: the limit is met reading
			req.Header.Set("Authorization", "Bearer "+c.kiosk.Token)
			if tc.gzip {
				req.Header.Set("Content-Encoding", "gzip")
			}
			w := httptest.NewRecorder()
			n := allocated(func() { c.h.ServeHTTP(w, req) })
			var e wire.Error
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != tc.status || !strings.Contains(e.Message, tc.says) {
				t.Errorf("%d bytes sent: status %d, body %s; want %d naming %q", len(tc.body), w.Code, w.Body, tc.status, tc.says)
			}
			t.Logf("%d bytes sent, answered %d; %d bytes allocated", len(tc.body), w.Code, n)
			if n > maxAlloc {
				t.Errorf("%d bytes sent: the server allocated %d bytes refusing them, want at most %d", len(tc.body), n, maxAlloc)
			}
		})
	}

	// Events each within their limit, more than MaxPushBody in all.
	t.Run("PushOfManyLargeEvents", func(t *testing.T) {
		ev := `{"seq":1,"method":"` + strings.Repeat("m", 20<<10) + `"},`
		req := httptest.NewRequest(http.MethodPost, wire.PathPush, bytes.NewReader(gz(t, `{"events":[`, strings.Repeat(ev, server.MaxPushBody/len(ev)+1), `{}]}`)))
		req.Header.Set("Authorization", "Bearer "+c.kiosk.Token)
		req.Header.Set("Content-Encoding", "gzip")
		w := httptest.NewRecorder()
		c.h.ServeHTTP(w, req)
		if want := fmt.Sprintf("%d bytes once inflated", server.MaxPushBody); w.Code != 413 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("status %d, body %s; want 413 naming %q", w.Code, w.Body, want)
		}
	})

	t.Run("DeclaredTooLong", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, wire.PathEnroll, noRead{t})
		req.ContentLength = server.MaxEnrollBody + 1
		w := httptest.NewRecorder()
		c.h.ServeHTTP(w, req)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, body %s; want 413", w.Code, w.Body)
		}
	})
}

// The limits leave room for the largest requests a kiosk makes: an
// enrollment with a 255-byte host name, a push of wire.MaxPushEvents
// events with 1,000-byte notes, rights of 256 holdings.
func TestBodyLimitsFitTheLargestRequests(t *testing.T) {
	c := MustAPICenter(t, filepath.Join(t.TempDir(), "central.db"))
	send := func(path string, v any) (int, string) {
		t.Helper()
		body, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(gz(t, string(body))))
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Authorization", "Bearer "+c.kiosk.Token)
		w := httptest.NewRecorder()
		c.h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	tok, err := c.db.CreateEnrollment(t.Context(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := send(wire.PathEnroll, wire.EnrollRequest{Token: tok, Name: strings.Repeat("k", 255)}); status != http.StatusOK {
		t.Errorf("enroll with a 255-byte name: %d %s", status, body)
	}

	stamp := uint64(1780300800000) << 16
	var push wire.PushRequest
	for i := range wire.MaxPushEvents {
		push.Events = append(push.Events, wire.Event{Seq: int64(100 + i), HLC: stamp + uint64(i), At: 1780300800000, Door: "main",
			Direction: "entry", Method: "badge", Code: "U-X", Decision: "deny", Reason: "unknown_badge", Note: strings.Repeat("<&>", 333)})
	}
	status, body := send(wire.PathPush, push)
	var got wire.PushResponse
	if status != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || got.Accepted != wire.MaxPushEvents {
		t.Errorf("a push of %d events: %d %.300s", wire.MaxPushEvents, status, body)
	}
	push.Events = append(push.Events, push.Events[0])
	if status, body := send(wire.PathPush, push); status != http.StatusBadRequest || !strings.Contains(body, "events") {
		t.Errorf("a push of %d events: %d %.300s, want 400 naming the events", len(push.Events), status, body)
	}

	var rights wire.RightsRequest
	for i := range 256 {
		rights.Holdings = append(rights.Holdings, wire.Holding{Counter: fmt.Sprintf("%064d", i), Balance: wire.MaxHolding, Demand: wire.MaxHolding})
	}
	if status, body := send(wire.PathRights, rights); status == http.StatusRequestEntityTooLarge {
		t.Errorf("rights of 256 holdings: %d %s", status, body)
	}
}

// The push body is read field by field by hand, so that it is read one
// event at a time: a field added to wire.PushRequest must be added to
// that reading too.
func TestPushRequestFields(t *testing.T) {
	typ := reflect.TypeFor[wire.PushRequest]()
	if typ.NumField() != 1 || typ.Field(0).Tag.Get("json") != "events" {
		t.Errorf("wire.PushRequest has fields %v: read them in decodePush (sync/server/body.go)", reflect.VisibleFields(typ))
	}
}
