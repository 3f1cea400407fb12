package pretix_test

import (
	"regexp"
	"strings"
	"testing"

	"usher/checkin"
	"usher/pretix"
)

// parseURLCases feed TestParseURL and FuzzParseURL. want is the API root
// returned, or "" for a refusal whose message holds err. Only a message
// that err expects to guess the API root may do so.
var parseURLCases = []struct {
	raw, want, err string
}{
	{"https://pretix.eu/api/v1/organizers/bigevents/events/sampleconf/", "https://pretix.eu/api/v1/organizers/bigevents/events/sampleconf/", ""},
	{"https://pretix.eu/api/v1/organizers/bigevents/events/sampleconf", "https://pretix.eu/api/v1/organizers/bigevents/events/sampleconf/", ""},
	{"  http://127.0.0.1:8345/api/v1/organizers/o/events/e.2025/\n", "http://127.0.0.1:8345/api/v1/organizers/o/events/e.2025/", ""},
	{"HTTPS://tickets.example.org/api/v1/organizers/my-org/events/conf-25/", "https://tickets.example.org/api/v1/organizers/my-org/events/conf-25/", ""},
	{"", "", "no pretix URL"},
	{"pretix.eu/api/v1/organizers/o/events/e/", "", "must start with https://"},
	{"ftp://pretix.eu/api/v1/organizers/o/events/e/", "", "must start with https://"},
	{"https:///api/v1/organizers/o/events/e/", "", "names no host"},
	{"https://pretix.eu/api/v1/organizers/o/events/", "", "the path must be"},
	{"https://pretix.eu/api/v1/organizers/o/events/e/orders/", "", "the path must be"},
	{"https://pretix.eu/api/v2/organizers/o/events/e/", "", "the path must be"},
	{"https://pretix.eu/api/v1/organizers/o/events/e%2Fx/", "", "the path must be"},
	{"https://pretix.eu/api/v1/organizers/o/events/e x/", "", "the path must be"},
	{"https://pretix.eu/api/v1/organizers/o/events/e/?page=2", "", "leave out the part from ?"},
	{"https://pretix.eu/api/v1/organizers/o/events/e/#top", "", "leave out the part from ?"},
	{"https://me:hunter2@pretix.eu/api/v1/organizers/o/events/e/", "", "holds a user name or password"},
	{"https://pretix.eu/bigevents/sampleconf/", "", "did you mean https://pretix.eu/api/v1/organizers/bigevents/events/sampleconf/?"},
	{"https://pretix.eu/control/event/bigevents/sampleconf/orders/", "", "did you mean https://pretix.eu/api/v1/organizers/bigevents/events/sampleconf/?"},
	{"https://pretix.eu/api/v1/", "", "the path must be /api/v1/organizers/ORGANIZER/events/EVENT/"},
	{"https://pretix.eu:port/api/v1/organizers/o/events/e/", "", "not a URL"},
	{"http://pretix.eu/api/v1/organizers/o/events/e/", "", "plain http would send the API token in clear"},
	{"http://10.0.0.7:8000/api/v1/organizers/o/events/e/", "", "plain http would send the API token in clear"},
	{"http://localhost:8000/api/v1/organizers/o/events/e/", "http://localhost:8000/api/v1/organizers/o/events/e/", ""},
	{"http://[::1]:8000/api/v1/organizers/o/events/e/", "http://[::1]:8000/api/v1/organizers/o/events/e/", ""},
}

func TestParseURL(t *testing.T) {
	for _, c := range parseURLCases {
		u, err := pretix.ParseURL(c.raw)
		switch {
		case c.want != "" && (err != nil || u.String() != c.want):
			t.Errorf("ParseURL(%q) = %v, %v; want %s", c.raw, u, err, c.want)
		case c.want == "" && (checkin.ErrorCode(err) != checkin.EINVALID || !strings.Contains(checkin.ErrorMessage(err), c.err)):
			t.Errorf("ParseURL(%q) = %v, %q (%s); want EINVALID with %q", c.raw, u, err, checkin.ErrorCode(err), c.err)
		case err != nil && strings.Contains(err.Error(), "did you mean") && !strings.Contains(c.err, "did you mean"):
			t.Errorf("ParseURL(%q): error %q guesses", c.raw, err)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("ParseURL(%q): error %q shows the password", c.raw, err)
		}
	}
}

// apiRoot is the shape of every URL ParseURL returns.
var apiRoot = regexp.MustCompile(`^https?://[^/?#@]+/api/v1/organizers/[A-Za-z0-9._-]+/events/[A-Za-z0-9._-]+/$`)

// FuzzParseURL checks that ParseURL never panics, refuses with EINVALID,
// returns only an event's API root, and gives the same root again when
// handed one.
func FuzzParseURL(f *testing.F) {
	for _, c := range parseURLCases {
		f.Add(c.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := pretix.ParseURL(raw)
		if err != nil {
			if checkin.ErrorCode(err) != checkin.EINVALID || u != nil {
				t.Fatalf("ParseURL(%q) = %v, %v (%s)", raw, u, err, checkin.ErrorCode(err))
			}
			return
		}
		if !apiRoot.MatchString(u.String()) {
			t.Fatalf("ParseURL(%q) = %s, not an event's API root", raw, u)
		}
		again, err := pretix.ParseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("ParseURL(%s) = %v, %v; want it back", u, again, err)
		}
	})
}
