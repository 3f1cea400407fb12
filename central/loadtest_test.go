package central_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"usher/central"
	"usher/internal/pgtest"
	"usher/loadtest"
)

// serveEnv makes the test binary act as usher-central: the load test
// starts its server by running its own executable with "serve", which
// here is this test binary.
const serveEnv = "USHER_CENTRAL_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		os.Exit(central.Run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// A small load test on each backend: 20 real kiosks syncing every 200 ms
// for 3 s with a server process of its own. Every round started
// completes, no request fails, and the center holds exactly the events
// the kiosks logged, each once. Nothing here depends on how fast it runs.
func TestLoadtest(t *testing.T) {
	for _, tc := range []struct{ name, db string }{
		{"SQLite", filepath.Join(t.TempDir(), "central.db")},
		{"PostgreSQL", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.db
			if db == "" {
				db = pgtest.URL(t) // the load test makes a database of its own there, and drops it
			}
			t.Setenv(serveEnv, "1")
			var out, errOut bytes.Buffer
			code := central.Run([]string{"loadtest", "--kiosks", "20", "--every", "200ms", "--duration", "3s",
				"--scans-per-min", "300", "--people", "300", "--db", db, "--json"}, &out, &errOut)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
			}
			var rep loadtest.Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, out.String())
			}
			wantDB := "sqlite"
			if tc.name == "PostgreSQL" {
				wantDB = "postgres"
			}
			switch {
			case rep.Database != wantDB || rep.Kiosks != 20:
				t.Errorf("database %s, %d kiosks; want %s, 20", rep.Database, rep.Kiosks, wantDB)
			case len(rep.Errors) != 0:
				t.Errorf("errors: %v", rep.Errors)
			case rep.Rounds == 0 || rep.RoundsFailed != 0 || rep.Rounds != rep.RoundsStarted:
				t.Errorf("%d rounds started, %d completed, %d failed", rep.RoundsStarted, rep.Rounds, rep.RoundsFailed)
			case rep.RoundLatency.Count != rep.Rounds:
				t.Errorf("%d round latencies for %d rounds", rep.RoundLatency.Count, rep.Rounds)
			case rep.Requests["pull"].Count < rep.Rounds || rep.Requests["rights"].Count < rep.Rounds || rep.Requests["push"].Count == 0:
				t.Errorf("requests %+v for %d rounds", rep.Requests, rep.Rounds)
			case rep.Scans == 0 || rep.Decisions["admitted"] == 0:
				t.Errorf("%d scans: %v", rep.Scans, rep.Decisions)
			}
			// Exactly once: what the kiosks logged is what the center holds,
			// kiosk by kiosk, and what it acknowledged storing; the final
			// sync carried at least the scan every door makes after the load.
			if len(rep.Mismatches) != 0 {
				t.Errorf("mismatches: %+v", rep.Mismatches)
			}
			if rep.EventsLogged == 0 || rep.EventsStored != rep.EventsLogged ||
				rep.EventsAccepted+rep.EventsDrained != rep.EventsStored || rep.EventsPushed != rep.EventsAccepted ||
				rep.EventsDrained < int64(rep.Kiosks) {
				t.Errorf("events: %d logged, %d stored; %d pushed, %d accepted during the load, %d by the final sync",
					rep.EventsLogged, rep.EventsStored, rep.EventsPushed, rep.EventsAccepted, rep.EventsDrained)
			}
			if rep.ServerCPUSeconds <= 0 || rep.ServerRSSHWM <= 0 || rep.DatabaseBytes <= 0 {
				t.Errorf("server CPU %.2f s, VmHWM %d, database %d bytes: not measured", rep.ServerCPUSeconds, rep.ServerRSSHWM, rep.DatabaseBytes)
			}
			if tc.name == "SQLite" {
				if _, err := os.Stat(db); err != nil {
					t.Errorf("the database the test was given: %v", err)
				}
			}
		})
	}
}

// The load test makes its own database: it refuses a SQLite file that
// exists, and bad flags, before starting anything.
func TestLoadtestRefuses(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "central.db")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ExistingFile", []string{"--db", existing}, "exists already"},
		{"NoKiosks", []string{"--kiosks", "0"}, "--kiosks 0"},
		{"ZeroEvery", []string{"--every", "0s"}, "--every 0s"},
		{"NegativeScans", []string{"--scans-per-min", "-1"}, "--scans-per-min -1"},
		{"ServerWithoutDB", []string{"--server", "http://127.0.0.1:1"}, "--server needs --db"},
		{"ServerNotURL", []string{"--server", "localhost:80", "--db", "x.db"}, "not an http(s) URL"},
		{"ExtraArgument", []string{"now"}, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := central.Run(append([]string{"loadtest"}, tc.args...), &out, &errOut)
			if code != 1 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut.String(), tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
}
