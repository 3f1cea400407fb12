package checkin_test

import (
	"strings"
	"testing"

	"usher/checkin"
)

func TestHashPIN(t *testing.T) {
	h, err := checkin.HashPIN("73915048")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(h, "$")
	if len(f) != 4 || f[0] != "pbkdf2-sha256" || f[1] != "300000" || strings.Contains(h, "73915048") {
		t.Fatalf("hash %q, want pbkdf2-sha256$300000$salt$hash without the PIN", h)
	}
	if !checkin.ValidPINHash(h) {
		t.Errorf("ValidPINHash(%q) = false", h)
	}
	for _, c := range []struct {
		pin  string
		want bool
	}{{"73915048", true}, {"7391504", false}, {"739150480", false}, {"", false}} {
		if ok, err := checkin.CheckPIN(c.pin, h); err != nil || ok != c.want {
			t.Errorf("CheckPIN(%q) = %v, %v; want %v", c.pin, ok, err, c.want)
		}
	}
	again, err := checkin.HashPIN("73915048")
	if err != nil {
		t.Fatal(err)
	}
	if again == h {
		t.Errorf("the same PIN hashed twice gave the same hash %q: the salt is not random", h)
	}
}

// A stored hash that is not HashPIN's is refused, never checked: a
// tampered iteration count must neither hang the kiosk nor make the
// check cheap.
func TestCheckPINBadHash(t *testing.T) {
	good, err := checkin.HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$")
	for name, h := range map[string]string{
		"Empty":          "",
		"PlainSHA256":    strings.Repeat("ab", 32),
		"OtherScheme":    "bcrypt$" + strings.Join(f[1:], "$"),
		"FewIterations":  strings.Join([]string{f[0], "1", f[2], f[3]}, "$"),
		"ManyIterations": strings.Join([]string{f[0], "2000000000", f[2], f[3]}, "$"),
		"BadSalt":        strings.Join([]string{f[0], f[1], "!!", f[3]}, "$"),
		"ShortHash":      strings.Join([]string{f[0], f[1], f[2], f[3][:10]}, "$"),
		"ExtraField":     good + "$x",
	} {
		t.Run(name, func(t *testing.T) {
			if checkin.ValidPINHash(h) {
				t.Errorf("ValidPINHash(%q) = true", h)
			}
			if ok, err := checkin.CheckPIN("2468", h); ok || checkin.ErrorCode(err) != checkin.EINVALID {
				t.Errorf("CheckPIN against %q = %v, %v; want false and code %s", h, ok, err, checkin.EINVALID)
			}
		})
	}
}
