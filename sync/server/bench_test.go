package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"usher/centralstore"
	"usher/checkin"
	"usher/demo"
	"usher/sync/server"
	"usher/sync/wire"
)

const benchPeople = 500_000

var (
	benchOnce sync.Once
	benchDSN  string
	benchDir  string
	round     int
	benchErr  error
)

// MustBenchCenter returns a central database (SQLite) holding the demo
// event and a 500,000-person roster, built once per process.
func MustBenchCenter(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "usher-bench-central-")
		if err != nil {
			benchErr = err
			return
		}
		benchDir, benchDSN = dir, filepath.Join(dir, "central.db")
		db, err := centralstore.Open(benchDSN)
		if err != nil {
			benchErr = err
			return
		}
		defer db.Close()
		_, benchErr = db.Import(context.Background(), demo.Event(), demo.Roster(benchPeople), nil)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDSN
}

// pullAll pulls every page after cursor through the real HTTP API with
// gzip, the way a kiosk does, and returns the wire bytes and the new
// cursor.
func pullAll(b *testing.B, url, token string, cursor int64) (int64, int64, int) {
	var wireBytes int64
	people := 0
	for {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s?cursor=%d", url, wire.PathPull, cursor), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("pull: %d %v", resp.StatusCode, err)
		}
		wireBytes += int64(len(raw))
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		var page wire.PullResponse
		if err := json.NewDecoder(zr).Decode(&page); err != nil {
			b.Fatal(err)
		}
		people += len(page.People)
		cursor = page.Cursor
		if !page.More {
			return wireBytes, cursor, people
		}
	}
}

// BenchmarkPull measures a kiosk's first, full pull of a 500,000-person
// roster and an incremental pull after 10 changes, over loopback HTTP
// with gzip; both report the bytes on the wire.
func BenchmarkPull(b *testing.B) {
	dsn := MustBenchCenter(b)
	db, err := centralstore.Open(dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(server.New(db, nil))
	defer srv.Close()
	ctx := context.Background()
	tok, err := db.CreateEnrollment(ctx, "main")
	if err != nil {
		b.Fatal(err)
	}
	k, err := db.Enroll(ctx, tok, "bench")
	if err != nil {
		b.Fatal(err)
	}

	var fullBytes int64
	var top int64
	b.Run("Full", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n, cursor, people := pullAll(b, srv.URL, k.Token, 0)
			if people != benchPeople {
				b.Fatalf("full pull gave %d people", people)
			}
			fullBytes, top = n, cursor
		}
		b.ReportMetric(float64(fullBytes), "bytes/pull")
	})
	b.Run("Incremental10", func(b *testing.B) {
		var incBytes int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			round++ // a new change every run, also under -count
			roster := demo.Roster(benchPeople)
			for j := 0; j < 10; j++ {
				roster[j*1000].Name = fmt.Sprintf("Changed %d-%d", round, j)
			}
			if _, err := db.Import(ctx, demo.Event(), roster, []checkin.Revocation(nil)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			n, cursor, people := pullAll(b, srv.URL, k.Token, top)
			if people != 10 {
				b.Fatalf("incremental pull gave %d people, want 10", people)
			}
			incBytes, top = n, cursor
		}
		b.ReportMetric(float64(incBytes), "bytes/pull")
		if fullBytes > 0 {
			b.ReportMetric(100*float64(incBytes)/float64(fullBytes), "%of-full")
		}
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
