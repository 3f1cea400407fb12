package dashboard_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"usher/centralstore"
	"usher/dashboard"
	"usher/demo"
)

// TestPretixOnDashboard: the dashboard, the page and the fragment it
// polls alike, says when the center last read pretix, from where, and
// what came of it or why it failed; nothing while the center follows no
// pretix event.
func TestPretixOnDashboard(t *testing.T) {
	ctx := t.Context()
	db, err := centralstore.Open(filepath.Join(t.TempDir(), "center.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Import(ctx, demo.Event(), demo.Roster(5), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddOrganizer(ctx, organizer, password); err != nil {
		t.Fatal(err)
	}
	token, err := db.SignIn(ctx, organizer, password)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dashboard.New(db, nil))
	t.Cleanup(srv.Close)

	// each checks the page and the live fragment, signed in.
	each := func(t *testing.T, check func(t *testing.T, path, body string)) {
		t.Helper()
		for _, path := range []string{"/", dashboard.PathLive + "dashboard"} {
			req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: token})
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
			}
			check(t, path, string(body))
		}
	}
	wantIn := func(t *testing.T, path, body string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", path, w)
			}
		}
	}
	wantNotIn := func(t *testing.T, path, body string, unwanted ...string) {
		t.Helper()
		for _, u := range unwanted {
			if strings.Contains(body, u) {
				t.Errorf("GET %s shows %q", path, u)
			}
		}
	}

	t.Run("NotFollowed", func(t *testing.T) {
		each(t, func(t *testing.T, path, body string) {
			wantIn(t, path, body, `<section class="conflicts">`) // the fragment, rendered
			wantNotIn(t, path, body, `class="pretix"`, "Last read")
		})
	})

	const url = "https://pretix.example/api/v1/organizers/bigevents/events/sampleconf/"
	at := time.Date(2026, 5, 14, 8, 45, 30, 0, time.Local)
	const result = `pretix (everything): 3 orders, 4 positions: 4 added, 0 updated, 0 unchanged, 0 removed; ` +
		`1 without a name on file, shown as "(no name) · category · order"`

	t.Run("LastRead", func(t *testing.T) {
		if err := db.SetPretix(ctx, centralstore.PretixState{URL: url, Since: "2026-05-14T06:45:29Z", ReadAt: at, Result: result}); err != nil {
			t.Fatal(err)
		}
		each(t, func(t *testing.T, path, body string) {
			wantIn(t, path, body, `<section class="pretix" data-pretix-error="false">`, "Last read", "2026-05-14 08:45:30",
				url, html.EscapeString(result))
			wantNotIn(t, path, body, "The last read failed")
		})
	})

	t.Run("Failed", func(t *testing.T) {
		const failure = "pretix refused the API token (HTTP 401) for /api/v1/organizers/bigevents/events/sampleconf/items/: " +
			"check the token file or USHER_PRETIX_TOKEN"
		later := at.Add(2 * time.Minute)
		if err := db.SetPretix(ctx, centralstore.PretixState{URL: url, Since: "2026-05-14T06:45:29Z", ReadAt: later, Error: failure}); err != nil {
			t.Fatal(err)
		}
		each(t, func(t *testing.T, path, body string) {
			wantIn(t, path, body, `<section class="pretix" data-pretix-error="true">`, "Last read", "2026-05-14 08:47:30",
				url, "The last read failed", html.EscapeString(failure))
			wantNotIn(t, path, body, html.EscapeString(result))
		})
	})
}
