package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/sync/server"
	"usher/sync/wire"
)

// Two server processes share a database, not a clock: the answer to a
// push at one orders after every event the other stored.
func TestServerClockFollowsTheDatabase(t *testing.T) {
	db, _, k := mustEnrolledCenter(t, 3)
	a := httptest.NewServer(server.New(db, nil))
	defer a.Close()
	b := httptest.NewServer(server.New(db, nil))
	defer b.Close()

	now := time.Now()
	push := func(url string, seq int64, stamp time.Time) wire.PushResponse {
		t.Helper()
		body, _ := json.Marshal(wire.PushRequest{Events: []wire.Event{{Seq: seq, HLC: uint64(stamp.UnixMilli()) << 16,
			At: stamp.UnixMilli(), Door: "main", Direction: "entry", Method: "badge", Code: "X", Decision: "deny", Reason: "unknown_badge"}}})
		req, _ := http.NewRequest("POST", url+wire.PathPush, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+k.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out wire.PushResponse
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			t.Fatalf("push: status %d", resp.StatusCode)
		}
		return out
	}
	// A kiosk a minute ahead (within the plausible bound) pushes to A.
	ahead := now.Add(time.Minute)
	push(a.URL, 1, ahead)
	// B never saw that push, but its answer must order after it.
	got := push(b.URL, 2, now)
	if got.ServerHLC <= uint64(ahead.UnixMilli())<<16 {
		t.Errorf("server B answered hlc %d, not after the event stored through A (%d)", got.ServerHLC, uint64(ahead.UnixMilli())<<16)
	}
}

// POST /v1/rights: a kiosk's report is checked and answered with
// grants, which its next pull brings too.
func TestRights(t *testing.T) {
	db, _, k := mustEnrolledCenter(t, 3)
	srv := httptest.NewServer(server.New(db, nil))
	defer srv.Close()
	call := func(method, path, token, body string) (int, []byte) {
		t.Helper()
		return apiCall(t, srv.URL, method, path, token, body)
	}

	for _, c := range []struct {
		name, token, body string
		status            int
		says              string
	}{
		{"NoToken", "", `{"holdings":[]}`, http.StatusUnauthorized, "token"},
		{"UnknownField", k.Token, `{"holdings":[],"extra":1}`, http.StatusBadRequest, "extra"},
		{"NegativeBalance", k.Token, `{"holdings":[{"counter":"venue","balance":-1,"demand":0}]}`, http.StatusBadRequest, "holdings[0]"},
		// 1 + demand summed over a counter's kiosks must not overflow.
		{"HugeDemand", k.Token, `{"holdings":[{"counter":"venue","balance":0,"demand":4611686018427387904}]}`, http.StatusBadRequest, "holdings[0]"},
		{"HugeBalance", k.Token, `{"holdings":[{"counter":"venue","balance":9223372036854775807,"demand":0}]}`, http.StatusBadRequest, "holdings[0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := call("POST", wire.PathRights, c.token, c.body)
			var e wire.Error
			if status != c.status || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Message, c.says) {
				t.Errorf("status %d, body %s; want %d naming %q", status, body, c.status, c.says)
			}
		})
	}

	status, body := call("POST", wire.PathRights, k.Token, `{"holdings":[{"counter":"venue","balance":0,"demand":3}]}`)
	var got wire.RightsResponse
	if status != http.StatusOK || json.Unmarshal(body, &got) != nil {
		t.Fatalf("rights: status %d, body %s", status, body)
	}
	// The center keeps a pool of 2 (one place per door); main, with
	// people waiting, weighs 4 against east's 1: 4 fifths of the rest.
	if len(got.Grants) != 1 || got.Grants[0].Counter != "venue" || got.Grants[0].N != 1198 {
		t.Fatalf("the busier of the venue's two doors was granted %+v, want 1198 of 1500", got.Grants)
	}
	status, body = call("GET", wire.PathPull+"?cursor=0", k.Token, "")
	var pull wire.PullResponse
	if status != http.StatusOK || json.Unmarshal(body, &pull) != nil {
		t.Fatalf("pull: status %d, body %s", status, body)
	}
	if len(pull.Grants) != 1 || pull.Grants[0] != got.Grants[0] {
		t.Errorf("pull grants %+v, want %+v", pull.Grants, got.Grants)
	}
}

// GET /v1/wait holds a kiosk's request until the center has news for
// it: here a right asked back for another door where someone waits, with
// the reserve empty. A bad timeout is refused, and no token gets 401.
func TestWait(t *testing.T) {
	db, err := centralstore.Open(filepath.Join(t.TempDir(), "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Import(context.Background(), demo.Event(), demo.Roster(20), nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(db, nil))
	t.Cleanup(srv.Close)
	enroll := func(door string) wire.EnrollResponse {
		tok, err := db.CreateEnrollment(context.Background(), door)
		if err != nil {
			t.Fatal(err)
		}
		k, err := db.Enroll(context.Background(), tok, door)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	call := func(method, path, token, body string) (int, []byte) {
		t.Helper()
		return apiCall(t, srv.URL, method, path, token, body)
	}
	holder, asker := enroll("main"), enroll("east")
	for _, c := range []struct {
		query, token string
		status       int
	}{
		{"timeout=abc", holder.Token, http.StatusBadRequest},
		{"timeout=-1", holder.Token, http.StatusBadRequest},
		{"timeout=30001", holder.Token, http.StatusBadRequest},
		{"", holder.Token, http.StatusBadRequest},
		{"timeout=10", "", http.StatusUnauthorized},
		{"timeout=10", "nope", http.StatusUnauthorized},
	} {
		if status, body := call("GET", wire.PathWait+"?"+c.query, c.token, ""); status != c.status {
			t.Errorf("wait ?%s: %d %s, want %d", c.query, status, body, c.status)
		}
	}
	if status, body := call("GET", wire.PathWait+"?timeout=20", holder.Token, ""); status != http.StatusOK || !strings.Contains(string(body), `"woken":false`) {
		t.Fatalf("a wait with no news: %d %s, want not woken", status, body)
	}

	// Main holds its share; east asks on the spot until the reserve is
	// empty, then once more: main is asked for one back and woken.
	if status, body := call("POST", wire.PathRights, holder.Token, `{"holdings":[{"counter":"venue","balance":0,"demand":0}]}`); status != http.StatusOK {
		t.Fatalf("main's rights: %d %s", status, body)
	}
	woken := make(chan string, 1)
	go func() {
		_, body := call("GET", wire.PathWait+"?timeout=10000", holder.Token, "")
		woken <- string(body)
	}()
	var last wire.RightsResponse
	for range 2000 {
		_, body := call("POST", wire.PathRights, asker.Token, `{"holdings":[{"counter":"venue","balance":0,"demand":0}],"urgent":true}`)
		if err := json.Unmarshal(body, &last); err != nil {
			t.Fatalf("east's urgent rights: %s", body)
		}
		if last.Wait || len(last.Grants) == 0 {
			break
		}
	}
	if !last.Wait {
		t.Fatalf("east asked with the reserve empty and main holding rights: %+v, want wait", last)
	}
	if got := <-woken; !strings.Contains(got, `"woken":true`) {
		t.Errorf("main's wait: %s, want woken", got)
	}
	// Main's next exchange gives the right back, whatever its share.
	var back wire.RightsResponse
	_, body := call("POST", wire.PathRights, holder.Token, `{"holdings":[{"counter":"venue","balance":1000,"demand":0}]}`)
	if err := json.Unmarshal(body, &back); err != nil || back.Return["venue"] < 1 || len(back.Grants) != 0 {
		t.Errorf("main's exchange after it was asked: %s, want at least one back and no grant", body)
	}
}

// apiCall sends one request to the API at url, with the kiosk's bearer
// token when one is given, and returns the status and body.
func apiCall(t *testing.T, url, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// A kiosk asks for a person's next badge serial: the answer is the
// serial the new badge carries, and the old one is on the revocation list
// kiosks pull. Without a token, with a body that is no request, or for
// nobody on the roster, the center refuses and changes nothing.
func TestReprint(t *testing.T) {
	db, people, k := mustEnrolledCenter(t, 3)
	srv := httptest.NewServer(server.New(db, nil))
	defer srv.Close()
	p := people[0]
	for _, tc := range []struct {
		token, body string
		status      int
	}{
		{"", `{"person":"` + p.ID + `"}`, http.StatusUnauthorized},
		{"wrong", `{"person":"` + p.ID + `"}`, http.StatusUnauthorized},
		{k.Token, `{"person":""}`, http.StatusBadRequest},
		{k.Token, `{"person":"` + strings.Repeat("x", 65) + `"}`, http.StatusBadRequest},
		{k.Token, `{"person":"P\u0000"}`, http.StatusBadRequest},
		{k.Token, `[1,2]`, http.StatusBadRequest},
		{k.Token, `{"person":"NOBODY"}`, http.StatusNotFound},
	} {
		if status, body := apiCall(t, srv.URL, "POST", wire.PathReprint, tc.token, tc.body); status != tc.status {
			t.Errorf("reprint %s with token %q: %d %s, want %d", tc.body, tc.token, status, body, tc.status)
		}
	}
	for want := uint32(2); want <= 3; want++ {
		status, body := apiCall(t, srv.URL, "POST", wire.PathReprint, k.Token, `{"person":"`+p.ID+`"}`)
		var resp wire.ReprintResponse
		if status != http.StatusOK || json.Unmarshal(body, &resp) != nil || resp.Serial != want {
			t.Fatalf("reprint: %d %s, want serial %d", status, body, want)
		}
	}
	// The kiosks' next pull carries both old serials.
	status, body := apiCall(t, srv.URL, "GET", wire.PathPull+"?cursor=0&limit=5000", k.Token, "")
	var pull wire.PullResponse
	if status != http.StatusOK || json.Unmarshal(body, &pull) != nil {
		t.Fatalf("pull: %d %.200s", status, body)
	}
	var serials []uint32
	for _, r := range pull.Revocations {
		if r.Person == p.ID {
			serials = append(serials, r.Serial)
		}
	}
	if !slices.Contains(serials, 1) || !slices.Contains(serials, 2) {
		t.Errorf("the pull revokes %s's serials %v, want 1 and 2", p.ID, serials)
	}
}

// mustEnrolledCenter is a central database in a temp folder with the
// demo event and an n-person roster, and one kiosk enrolled at door main.
func mustEnrolledCenter(t *testing.T, n int) (*centralstore.DB, []checkin.Person, wire.EnrollResponse) {
	t.Helper()
	ctx := context.Background()
	db, err := centralstore.Open(filepath.Join(t.TempDir(), "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	people := demo.Roster(n)
	if _, err := db.Import(ctx, demo.Event(), people, nil); err != nil {
		t.Fatal(err)
	}
	tok, err := db.CreateEnrollment(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	k, err := db.Enroll(ctx, tok, "k")
	if err != nil {
		t.Fatal(err)
	}
	return db, people, k
}
