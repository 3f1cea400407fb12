package central_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"usher/centralstore"
)

// status says when pretix was last read and what came of it; nothing
// while the center follows no pretix event.
func TestStatusShowsPretix(t *testing.T) {
	dsn, db := mustCenter(t)
	if code, out, errOut := run("status", "--db", dsn); code != 0 || strings.Contains(out, "pretix") {
		t.Fatalf("status before any pretix read: %d %q %q", code, out, errOut)
	}
	const url = "https://pretix.example/api/v1/organizers/o/events/e/"
	at := time.Date(2026, 11, 3, 9, 30, 0, 0, time.Local)
	for _, tc := range []struct {
		st   centralstore.PretixState
		want string
	}{
		{centralstore.PretixState{URL: url, ReadAt: at, Result: "pretix (everything): 3 orders, 4 positions: 4 added"},
			"last read 2026-11-03 09:30:00: pretix (everything): 3 orders, 4 positions: 4 added"},
		{centralstore.PretixState{URL: url, ReadAt: at, Error: "pretix refused the API token (HTTP 401)"},
			"last read 2026-11-03 09:30:00: FAILED: pretix refused the API token (HTTP 401)"},
	} {
		if err := db.SetPretix(context.Background(), tc.st); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run("status", "--db", dsn)
		if code != 0 || !strings.Contains(out, "pretix "+url) || !strings.Contains(out, tc.want) {
			t.Errorf("status: %d %q %q; want the pretix URL and %q", code, out, errOut, tc.want)
		}
	}
}
