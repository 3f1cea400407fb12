package central_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"usher/centralstore"
	"usher/sync/wire"
)

// mustCenter imports the demo event into a new central database and
// returns its path and a kiosk enrolled at door main holding all the
// venue's rights.
func mustCenter(t *testing.T) (string, *centralstore.DB) {
	t.Helper()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "central.db")
	if code, _, errOut := run("demo", "--dir", dir, "--people", "20"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	if code, _, errOut := run("import", "--event", filepath.Join(dir, "event.toml"), "--roster", filepath.Join(dir, "roster.csv"), "--db", dsn); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	db, err := centralstore.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

func mustKiosk(t *testing.T, db *centralstore.DB, door string) string {
	t.Helper()
	ctx := context.Background()
	tok, err := db.CreateEnrollment(ctx, door)
	if err != nil {
		t.Fatal(err)
	}
	k, err := db.Enroll(ctx, tok, door)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Rights(ctx, k.KioskID, wire.RightsRequest{}); err != nil {
		t.Fatal(err)
	}
	return k.KioskID
}

func TestKioskRetire(t *testing.T) {
	dsn, db := mustCenter(t)
	k := mustKiosk(t, db, "main")
	if code, out, errOut := run("kiosk", "retire", k, "--db", dsn); code != 0 || !strings.Contains(out, "venue 749") {
		t.Errorf("retire: exit %d, out %q, err %q; want venue 749 freed (half of 1500 less the center's pool of 2: east keeps its half)", code, out, errOut)
	}
	if code, out, _ := run("kiosk", "retire", "--db", dsn, k); code != 0 || !strings.Contains(out, "no capacity rights") {
		t.Errorf("second retire: exit %d, out %q; want nothing freed", code, out)
	}
	if _, err := db.Authenticate(context.Background(), k); err == nil {
		t.Error("a retired kiosk authenticates")
	}
	for _, args := range [][]string{{"kiosk", "retire"}, {"kiosk", "retire", "K-nobody"}, {"kiosk", "retire", k, "K-other"}, {"kiosk", "retrie", k}} {
		if code, _, errOut := run(append(args, "--db", dsn)...); code == 0 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want a refusal", args, code, errOut)
		}
	}
	if _, _, errOut := run("kiosk", "retire", "K-nobody", "--db", dsn); !strings.Contains(errOut, "K-nobody") {
		t.Errorf("retiring an unknown kiosk: %q does not name it", errOut)
	}
}

func TestSpaceCap(t *testing.T) {
	dsn, db := mustCenter(t)
	mustKiosk(t, db, "main")
	// Main holds 749 of the venue's 1500; the reserve covers 751 of a
	// lowering to 600, and the rest is debt.
	code, out, errOut := run("space", "cap", "venue", "600", "--db", dsn)
	if code != 0 || !strings.Contains(out, "1500 → 600") || !strings.Contains(out, "debt 149") {
		t.Errorf("space cap: exit %d, out %q, err %q; want 1500 → 600 with debt 149", code, out, errOut)
	}
	if code, out, _ := run("space", "cap", "--db", dsn, "ballroom", "700"); code != 0 || !strings.Contains(out, "800 → 700") || strings.Contains(out, "debt") {
		t.Errorf("space cap ballroom: exit %d, out %q; want 800 → 700 and no debt", code, out)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"space", "cap", "nowhere", "5"}, "nowhere"},
		{[]string{"space", "cap", "venue", "many"}, "many"},
		{[]string{"space", "cap", "venue", "0"}, "above 0"},
		{[]string{"space", "cap", "venue"}, "usage"},
		{[]string{"space"}, "usage"},
	} {
		if code, _, errOut := run(append(c.args, "--db", dsn)...); code != 1 || !strings.Contains(errOut, c.says) {
			t.Errorf("%q: exit %d, stderr %q; want 1 and a message naming %q", c.args, code, errOut, c.says)
		}
	}

	code, out, _ = run("status", "--db", dsn)
	if code != 0 || !strings.Contains(out, "Capacity rights") || !strings.Contains(out, "Convention Center") {
		t.Errorf("status: exit %d, out %q; want the capacity rights per space", code, out)
	}
	code, out, _ = run("status", "--json", "--db", dsn)
	var st centralstore.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("status --json: exit %d, out %q", code, out)
	}
	found := false
	for _, r := range st.Rights {
		if r.Counter == "venue" {
			found = true
			if r.Cap != 600 || r.Debt != 149 || r.Held != 749 || r.Reserve != 0 {
				t.Errorf("venue rights %+v, want cap 600, 749 held, debt 149", r)
			}
		}
	}
	if !found {
		t.Errorf("status --json has no venue rights: %+v", st.Rights)
	}
}
