package checkin

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A staff PIN is kept only as a slow salted hash, "pbkdf2-sha256$iter$salt$hash"
// (salt and hash in unpadded base64): the event's definition and the kiosk's
// settings travel to the center, to backups and to every kiosk, and a PIN
// of a few digits under a fast hash is read back in a moment.
const (
	pinScheme  = "pbkdf2-sha256"
	pinSaltLen = 16
	pinKeyLen  = 32
	// PINIterations makes one check take about 70 ms on a kiosk laptop:
	// staff do not notice it, and trying every 6-digit PIN against a
	// stolen hash takes a core most of a day.
	PINIterations = 300_000
	// A stored hash outside these bounds is refused rather than checked:
	// a tampered count must not hang the kiosk or make the check cheap.
	minPINIterations = 10_000
	maxPINIterations = 10_000_000
)

var pinEncoding = base64.RawStdEncoding

// HashPIN returns a slow hash of pin under a new random salt.
func HashPIN(pin string) (string, error) {
	salt := make([]byte, pinSaltLen)
	rand.Read(salt) // never fails: crypto/rand crashes the program instead
	return hashPIN(pin, salt, PINIterations)
}

func hashPIN(pin string, salt []byte, iter int) (string, error) {
	key, err := pbkdf2.Key(sha256.New, pin, salt, iter, pinKeyLen)
	if err != nil {
		return "", fmt.Errorf("hash staff PIN: %w", err)
	}
	return fmt.Sprintf("%s$%d$%s$%s", pinScheme, iter, pinEncoding.EncodeToString(salt), pinEncoding.EncodeToString(key)), nil
}

// CheckPIN reports whether pin is the PIN hash was made from (HashPIN),
// comparing in constant time. Returns EINVALID when hash is not of that
// form.
func CheckPIN(pin, hash string) (bool, error) {
	salt, key, iter, err := parsePINHash(hash)
	if err != nil {
		return false, err
	}
	got, err := pbkdf2.Key(sha256.New, pin, salt, iter, len(key))
	if err != nil {
		return false, fmt.Errorf("check staff PIN: %w", err)
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// ValidPINHash reports whether s has the form HashPIN gives.
func ValidPINHash(s string) bool {
	_, _, _, err := parsePINHash(s)
	return err == nil
}

func parsePINHash(s string) (salt, key []byte, iter int, err error) {
	bad := func(why string) error {
		return Errorf(EINVALID, "the stored staff PIN hash %s; set the PIN again", why)
	}
	f := strings.Split(s, "$")
	if len(f) != 4 || f[0] != pinScheme {
		return nil, nil, 0, bad("is not " + pinScheme + "$iterations$salt$hash")
	}
	iter, err = strconv.Atoi(f[1])
	if err != nil || iter < minPINIterations || iter > maxPINIterations {
		return nil, nil, 0, bad(fmt.Sprintf("has %q iterations; want %d to %d", f[1], minPINIterations, maxPINIterations))
	}
	if salt, err = pinEncoding.DecodeString(f[2]); err != nil || len(salt) < pinSaltLen {
		return nil, nil, 0, bad(fmt.Sprintf("has a salt that is not %d bytes of base64", pinSaltLen))
	}
	if key, err = pinEncoding.DecodeString(f[3]); err != nil || len(key) != pinKeyLen {
		return nil, nil, 0, bad(fmt.Sprintf("has a hash that is not %d bytes of base64", pinKeyLen))
	}
	return salt, key, iter, nil
}

// HashClearPIN rewrites an event definition (JSON of Event) that holds
// the staff PIN in clear, as versions before the slow hash stored it, so
// that it holds only the hash: decoding drops the clear field, and a
// kiosk would then let anyone set a PIN. ok is false when def holds no
// clear PIN and needs no change.
func HashClearPIN(def []byte) (out []byte, ok bool, err error) {
	var clear struct{ StaffPIN string }
	if json.Unmarshal(def, &clear) != nil || clear.StaffPIN == "" {
		return nil, false, nil // nothing in clear; a bad definition is reported where it is decoded
	}
	ev, err := DecodeEvent(def)
	if err != nil {
		return nil, false, err
	}
	if ev.StaffPINHash == "" {
		if ev.StaffPINHash, err = HashPIN(clear.StaffPIN); err != nil {
			return nil, false, err
		}
	}
	out, err = json.Marshal(ev)
	if err != nil {
		return nil, false, fmt.Errorf("encode event: %w", err)
	}
	return out, true, nil
}

// Reloaded returns ev as it stands against old, the event stored before
// (nil for none), and whether it differs from old. An event file read
// again hashes its PIN again under a new salt: when the PIN is the one
// old's hash was made from, ev takes old's hash, and is no change.
func Reloaded(ev, old *Event) (*Event, bool) {
	if old == nil {
		return ev, true
	}
	if ev.StaffPIN != "" && old.StaffPINHash != "" && ev.StaffPINHash != old.StaffPINHash {
		if ok, err := CheckPIN(ev.StaffPIN, old.StaffPINHash); err == nil && ok {
			same := *ev
			same.StaffPINHash = old.StaffPINHash
			ev = &same
		}
	}
	x, _ := json.Marshal(ev)
	y, _ := json.Marshal(old)
	return ev, string(x) != string(y)
}
