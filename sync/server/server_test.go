package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"usher/centralstore"
	"usher/demo"
	"usher/sync/server"
	"usher/sync/wire"
)

// Two server processes share a database, not a clock: the answer to a
// push at one orders after every event the other stored.
func TestServerClockFollowsTheDatabase(t *testing.T) {
	ctx := context.Background()
	db, err := centralstore.Open(filepath.Join(t.TempDir(), "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, demo.Event(), demo.Roster(3), nil); err != nil {
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
