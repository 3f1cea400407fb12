package pretix_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"usher/checkin"
	"usher/pretix"
)

// A redirect is not followed: Go would carry the Authorization header to
// another port or scheme of the same host, where anyone listening gets
// the token.
func TestReadRefusesRedirect(t *testing.T) {
	var leaked []string
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = append(leaked, r.Header.Get("Authorization"))
		http.Error(w, "nothing here", http.StatusNotFound)
	}))
	t.Cleanup(thief.Close)
	s := MustEvent(t)
	s.Answer("items/", http.StatusFound, "")
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, thief.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(front.Close)
	cfg := config(s)
	cfg.URL = front.URL + "/api/v1/organizers/o/events/e/"
	_, err := pretix.Read(context.Background(), cfg, time.Time{})
	if checkin.ErrorCode(err) != checkin.EINVALID || !strings.Contains(checkin.ErrorMessage(err), "redirected") {
		t.Errorf("error %v (%s), want EINVALID saying pretix redirected", err, checkin.ErrorCode(err))
	}
	if len(leaked) > 0 {
		t.Errorf("the redirect target was asked, with Authorization %q", leaked)
	}
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("error %q shows the token", err)
	}
}
