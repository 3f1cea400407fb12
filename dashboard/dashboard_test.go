package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"usher/central"
	"usher/centralstore"
	"usher/checkin"
	"usher/dashboard"
)

// morning is the start of the scripted day, in the server's time zone.
func morning() time.Time {
	y, m, d := time.Now().Date()
	return time.Date(y, m, d, 9, 30, 0, 0, time.Local)
}

// get requests path with the session cookie token ("" for none), not
// following redirects, and returns the status, Location and body.
func (v *venue) get(t testing.TB, path, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, v.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: token})
	}
	return v.do(t, req)
}

func (v *venue) do(t testing.TB, req *http.Request) (int, string, string) {
	t.Helper()
	c := *v.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// postLogin posts the sign-in form with extra headers.
func (v *venue) postLogin(t testing.TB, base, name, pw string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+dashboard.PathLogin,
		strings.NewReader(url.Values{"name": {name}, "password": {pw}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	c := *v.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// MustSignIn signs the organizer in through the form and returns the
// session cookie.
func (v *venue) MustSignIn(t testing.TB) *http.Cookie {
	t.Helper()
	resp := v.postLogin(t, v.url, organizer, password, map[string]string{"Origin": v.url})
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == dashboard.CookieName && c.Value != "" {
			return c
		}
	}
	t.Fatalf("sign-in: %d, no session cookie", resp.StatusCode)
	return nil
}

// leaks returns what of the roster (an id, a name or a code) body shows.
func (v *venue) leaks(body string) []string {
	var out []string
	for _, p := range v.people {
		for _, s := range []string{p.ID, p.Name, p.Code} {
			if strings.Contains(body, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestDashboardNeedsSignIn: without a valid session — no cookie, a
// forged one, one signed out, one run out after 12 hours — every page
// answers 303 to the sign-in form and every live fragment 401, and no
// answer holds a person's id, name or code. Signed in, the same requests
// show the event (so the check above could see a leak). The session
// cookie is HttpOnly, SameSite=Strict, Path=/, and Secure over TLS; a
// sign-in posted from another site is refused; a wrong password and an
// unknown name get the same answer.
func TestDashboardNeedsSignIn(t *testing.T) {
	v := MustVenue(t, morning())
	v.Morning(t)
	st := v.Status(t)
	if len(st.Conflicts) == 0 {
		t.Fatal("the morning left no conflict: nothing personal to leak")
	}

	good := v.MustSignIn(t)
	if !good.HttpOnly || good.SameSite != http.SameSiteStrictMode || good.Path != "/" || good.Secure {
		t.Errorf("cookie over plain HTTP: HttpOnly %v SameSite %v Path %q Secure %v; want HttpOnly, Strict, /, not Secure",
			good.HttpOnly, good.SameSite, good.Path, good.Secure)
	}
	signedOut := v.MustSignIn(t)
	req, _ := http.NewRequest(http.MethodPost, v.url+dashboard.PathLogout, nil)
	req.AddCookie(signedOut)
	if code, loc, _ := v.do(t, req); code != http.StatusSeeOther || loc != dashboard.PathLogin {
		t.Errorf("sign out: %d to %q", code, loc)
	}
	// Signed in half a day apart: one session has run out, the other not
	// (and no sign-in since has cleared the old one away).
	expired := v.MustSignIn(t)
	v.clock.Add(centralstore.SessionLifetime / 2)
	good = v.MustSignIn(t)
	v.clock.Add(centralstore.SessionLifetime / 2)

	pages := []string{"/", "/marshal"}
	fragments := []string{"/live/dashboard", "/live/marshal"}
	for _, c := range []struct{ name, token string }{
		{"NoCookie", ""},
		{"Forged", "3vHrtG226e4EgZR7xnGtFxl6eUu3rHw5j2DX8PHAyR8"},
		{"SignedOut", signedOut.Value},
		{"Expired", expired.Value},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range pages {
				code, loc, body := v.get(t, p, c.token)
				if code != http.StatusSeeOther || loc != dashboard.PathLogin {
					t.Errorf("GET %s: %d to %q, want 303 to /login", p, code, loc)
				}
				if l := v.leaks(body); len(l) > 0 {
					t.Errorf("GET %s shows %q", p, l)
				}
			}
			for _, p := range fragments {
				code, _, body := v.get(t, p, c.token)
				if code != http.StatusUnauthorized {
					t.Errorf("GET %s: %d, want 401", p, code)
				}
				if l := v.leaks(body); len(l) > 0 {
					t.Errorf("GET %s shows %q", p, l)
				}
			}
		})
	}
	if code, _, body := v.get(t, dashboard.PathLogin, ""); code != http.StatusOK || len(v.leaks(body)) > 0 {
		t.Errorf("the sign-in form: %d, shows %q", code, v.leaks(body))
	}

	// Signed in, the fragment does show the conflict's person: the
	// checks above would have seen a leak.
	code, _, body := v.get(t, "/live/dashboard", good.Value)
	if code != http.StatusOK || !strings.Contains(body, st.Conflicts[0].Person) {
		t.Fatalf("signed in, /live/dashboard: %d, conflict of %s shown: %v", code, st.Conflicts[0].Person,
			strings.Contains(body, st.Conflicts[0].Person))
	}

	t.Run("CrossSite", func(t *testing.T) {
		for _, h := range []map[string]string{
			{"Origin": "http://evil.example"},
			{"Sec-Fetch-Site": "cross-site"},
		} {
			resp := v.postLogin(t, v.url, organizer, password, h)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) > 0 {
				t.Errorf("sign-in with %v: %d, cookies %v; want 403 and none", h, resp.StatusCode, resp.Cookies())
			}
		}
	})

	t.Run("SameAnswer", func(t *testing.T) {
		var bodies []string
		for _, c := range [][2]string{{organizer, "not the password"}, {"nobody", password}} {
			resp := v.postLogin(t, v.url, c[0], c[1], nil)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) > 0 {
				t.Errorf("sign-in %s: %d, cookies %v", c[0], resp.StatusCode, resp.Cookies())
			}
			// The form keeps the name typed; the rest must be the same.
			bodies = append(bodies, strings.Replace(string(b), `value="`+c[0]+`"`, "", 1))
		}
		if bodies[0] != bodies[1] {
			t.Errorf("a wrong password and an unknown name are answered differently:\n%s\n---\n%s", bodies[0], bodies[1])
		}
		if !strings.Contains(bodies[0], "Unknown name or wrong password") {
			t.Errorf("the answer does not say why:\n%s", bodies[0])
		}
	})

	t.Run("SecureOverTLS", func(t *testing.T) {
		ts := httptest.NewTLSServer(central.Handler(v.db, nil))
		defer ts.Close()
		saved := v.client
		v.client = ts.Client()
		defer func() { v.client = saved }()
		resp := v.postLogin(t, ts.URL, organizer, password, map[string]string{"Origin": ts.URL})
		resp.Body.Close()
		cs := resp.Cookies()
		if len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie over TLS: %+v; want one, Secure, HttpOnly, Strict", cs)
		}
	})
}

// bySpace returns the center's occupancy of every space of the event.
func bySpace(st centralstore.Status, ev *checkin.Event) map[string]int {
	out := map[string]int{}
	for _, s := range ev.Spaces {
		out[s.ID] = st.Occupancy[s.ID]
	}
	return out
}

// TestDashboardBeforeImport: a center with no event yet shows a signed-in
// organizer what to do, not an error page.
func TestDashboardBeforeImport(t *testing.T) {
	db, err := centralstore.Open(t.TempDir() + "/center.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, err := db.AddOrganizer(ctx, organizer, password); err != nil {
		t.Fatal(err)
	}
	token, err := db.SignIn(ctx, organizer, password)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(dashboard.New(db, nil))
	defer srv.Close()
	for _, path := range []string{"/", "/marshal", "/live/dashboard"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: token})
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "No event yet: run usher-central import") {
			t.Errorf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
}
