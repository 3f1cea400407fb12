package wire_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"usher/sync/wire"
)

// enrollCases are enrollment codes as an organizer's QR, a typist or a
// misread give them. good says whether ParseEnrollCode must accept it.
var enrollCases = []struct {
	name string
	code string
	good bool
}{
	{"Printed", wire.EnrollCode{URL: "https://central.example.org", Door: "main", Token: "c2VjcmV0LXRva2Vu"}.String(), true},
	{"HTTPWithPort", wire.EnrollCode{URL: "http://10.0.0.2:8080/usher", Door: "ballroom-north", Token: "t"}.String(), true},
	{"Spaces", "  " + wire.EnrollCode{URL: "https://c.example", Door: "main", Token: "t"}.String() + "\n", true},
	{"NoPrefix", "eyJ1cmwiOiJodHRwczovL2MuZXhhbXBsZSJ9", false},
	{"PrefixOnly", wire.EnrollPrefix, false},
	{"NotBase64", wire.EnrollPrefix + "!!!", false},
	{"Padded", wire.EnrollCode{URL: "https://c.example", Door: "main", Token: "t"}.String() + "==", false},
	{"NotJSON", wire.EnrollPrefix + base64.RawURLEncoding.EncodeToString([]byte("hello")), false},
	{"JSONArray", wire.EnrollPrefix + base64.RawURLEncoding.EncodeToString([]byte(`[1]`)), false},
	{"FileURL", wire.EnrollCode{URL: "file:///etc/passwd", Door: "main", Token: "t"}.String(), false},
	{"NoHost", wire.EnrollCode{URL: "https://", Door: "main", Token: "t"}.String(), false},
	{"Relative", wire.EnrollCode{URL: "/v1", Door: "main", Token: "t"}.String(), false},
	{"NoDoor", wire.EnrollCode{URL: "https://c.example", Token: "t"}.String(), false},
	{"NoToken", wire.EnrollCode{URL: "https://c.example", Door: "main"}.String(), false},
	{"BadBadgeCode", "USH1:AEAAAAAA", false},
	{"Empty", "", false},
}

func TestParseEnrollCode(t *testing.T) {
	for _, c := range enrollCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := wire.ParseEnrollCode(c.code)
			if (err == nil) != c.good {
				t.Errorf("ParseEnrollCode(%q): %v, want good=%v", c.code, err, c.good)
			}
		})
	}
}

// FuzzParseEnrollCode checks that ParseEnrollCode never panics, says in
// every error that the code is at fault, and accepts only a code with an
// http(s) server, a door and a token, which encodes back to a code that
// parses the same.
func FuzzParseEnrollCode(f *testing.F) {
	for _, c := range enrollCases {
		f.Add(c.code)
	}
	f.Fuzz(func(t *testing.T, code string) {
		ec, err := wire.ParseEnrollCode(code)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "enrollment code: ") && !strings.HasPrefix(msg, "not an enrollment code") {
				t.Fatalf("error %q does not say it is about the enrollment code", msg)
			}
			return
		}
		u, err := url.Parse(ec.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || ec.Door == "" || ec.Token == "" {
			t.Fatalf("accepted %+v", ec)
		}
		again, err := wire.ParseEnrollCode(ec.String())
		if err != nil || again != ec {
			t.Fatalf("%+v encodes to %q, which parses to %+v, %v", ec, ec.String(), again, err)
		}
		if b, _ := json.Marshal(ec); !strings.Contains(ec.String(), base64.RawURLEncoding.EncodeToString(b)) {
			t.Fatalf("String of %+v is not the base64 of its JSON", ec)
		}
	})
}
