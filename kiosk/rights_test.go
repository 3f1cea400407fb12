package kiosk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	centralcmd "usher/central"
	"usher/centralstore"
	"usher/checkin"
	"usher/kiosk"
	"usher/sync/server"
)

// MustCentralRun runs an usher-central command and fails the test unless
// it exits 0.
func MustCentralRun(tb testing.TB, args ...string) string {
	tb.Helper()
	var out, errOut bytes.Buffer
	if code := centralcmd.Run(args, &out, &errOut); code != 0 {
		tb.Fatalf("usher-central %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// TestThreeDoorsOffline is the README's walk-through: a salon with a
// fire-code limit of 10 and three doors, a kiosk at each. The kiosks
// enroll and sync while the center runs; then the center stops, and the
// three `usher scan`s admit 10 people in all, no more, each door only
// with the rights it holds.
func TestThreeDoorsOffline(t *testing.T) {
	dir := t.TempDir()
	centerDB := filepath.Join(dir, "center.db")
	MustCentralRun(t, "import", "--db", centerDB, "--event", "../docs/salon/event.toml", "--roster", "../docs/salon/roster.csv")
	db, err := centralstore.Open(centerDB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(server.New(db, log.New(io.Discard, "", 0)))
	doors := []string{"salon-a", "salon-b", "salon-c"}
	for _, d := range doors {
		out := MustCentralRun(t, "enroll", "--db", centerDB, "--door", d, "--server", srv.URL, "--qr", filepath.Join(dir, d+".png"))
		lines := strings.Split(strings.TrimSpace(out), "\n")
		MustRun(t, "", "enroll", "--db", filepath.Join(dir, d+".db"), lines[len(lines)-1])
	}
	for range 2 {
		for _, d := range doors {
			MustRun(t, "", "sync", "--db", filepath.Join(dir, d+".db"))
		}
	}
	srv.Close() // the center is gone: the kiosks are on their own

	admitted, next := 0, 1
	for _, d := range doors {
		var codes []string
		for range 6 {
			codes = append(codes, fmt.Sprintf("CODE-%02d", next))
			next++
		}
		r := run(t, strings.Join(codes, "\n")+"\n", "scan", "--db", filepath.Join(dir, d+".db"))
		if r.code != 0 {
			t.Fatalf("usher scan at %s: exit %d\n%s", d, r.code, r.stderr)
		}
		here := 0
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		for i := 0; dec.More(); i++ {
			var o kiosk.Output
			if err := dec.Decode(&o); err != nil {
				t.Fatal(err)
			}
			switch {
			case o.Decision == checkin.Admit:
				if here < i {
					t.Errorf("%s admitted %s after a denial", d, o.Code)
				}
				here++
			case o.Reason != checkin.OutOfCapacity && o.Reason != checkin.RoomFull:
				t.Errorf("%s: %s got %s (%s); want an admission or a capacity denial", d, o.Code, o.Reason, o.Message)
			}
		}
		if here == 0 || here == 6 {
			t.Errorf("%s admitted %d of 6: each door should hold a share of the 10 places", d, here)
		}
		admitted += here
	}
	if admitted != 10 {
		t.Fatalf("the three doors admitted %d people into a salon for 10", admitted)
	}
	// A fourth round of scans anywhere is denied too.
	r := run(t, "CODE-30\n", "scan", "--db", filepath.Join(dir, "salon-a.db"))
	if !strings.Contains(r.stdout, `"decision":"deny"`) {
		t.Fatalf("an 11th person was not denied: %s", r.stdout)
	}
}
