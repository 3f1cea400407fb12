package badge_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/assets"
	"usher/badge"
	"usher/checkin"
	"usher/demo"
	"usher/eventfile"
)

// The context every case of the code table is verified in: event
// payloadEvent at payloadNow, with payloadKey(1) and payloadKey(2) (a
// rotation) known and payloadKey(3) not.
const payloadEvent = "demo"

var (
	payloadFrom  = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	payloadUntil = payloadFrom.Add(72 * time.Hour)
	payloadNow   = payloadFrom.Add(time.Hour)
)

// b32 is the encoding badge codes use after their prefix.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// sigContext is what badge signatures are made over, ahead of the
// payload. The test makes a signature by another key with it; the case
// checks that such a signature is genuine, so a wrong copy here fails.
const sigContext = "usher badge v1\x00"

// payloadKey returns the n-th fixed test key, the same in every run so
// the fuzz seeds are too.
func payloadKey(n int) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("usher badge test key %d", n)))
	return ed25519.NewKeyFromSeed(seed[:])
}

func payloadPub(n int) ed25519.PublicKey { return payloadKey(n).Public().(ed25519.PublicKey) }

// payloadKeys are the public keys the table is verified with, by id.
func payloadKeys() map[string]ed25519.PublicKey {
	return map[string]ed25519.PublicKey{
		badge.KeyID(payloadPub(1)): payloadPub(1),
		badge.KeyID(payloadPub(2)): payloadPub(2),
	}
}

// payloadPrivs are the private keys behind payloadKeys, by id.
func payloadPrivs() map[string]ed25519.PrivateKey {
	return map[string]ed25519.PrivateKey{
		badge.KeyID(payloadPub(1)): payloadKey(1),
		badge.KeyID(payloadPub(2)): payloadKey(2),
	}
}

// goodPayload is a typical badge: a speaker with a workshop ticket.
func goodPayload() badge.Payload {
	return badge.Payload{
		Event: payloadEvent, Person: "P000042", Serial: 3, Category: "speaker",
		Tags: []string{"workshop-a"}, From: payloadFrom, Until: payloadUntil,
	}
}

// MustSign signs p with key.
func MustSign(tb testing.TB, p badge.Payload, key ed25519.PrivateKey) string {
	tb.Helper()
	code, err := badge.Sign(p, key)
	if err != nil {
		tb.Fatalf("Sign(%+v): %v", p, err)
	}
	return code
}

// MustRaw decodes a badge code's payload and signature.
func MustRaw(tb testing.TB, code string) []byte {
	tb.Helper()
	if !strings.HasPrefix(code, badge.Prefix) {
		tb.Fatalf("%q does not start with %q", code, badge.Prefix)
	}
	raw, err := b32.DecodeString(code[len(badge.Prefix):])
	if err != nil {
		tb.Fatalf("%q: %v", code, err)
	}
	return raw
}

func encodeRaw(raw []byte) string { return badge.Prefix + b32.EncodeToString(raw) }

// codeCase is a badge code and what Parse and Verify (in the table's
// context) must make of it. "" means accepted.
type codeCase struct {
	name   string
	code   string
	parse  []checkin.Reason // the outcomes Parse may have
	verify checkin.Reason
}

var (
	parsed     = []checkin.Reason{""}
	malformed  = []checkin.Reason{checkin.ForgedBadge}
	notABadge  = []checkin.Reason{checkin.InvalidCode}
	okOrForged = []checkin.Reason{"", checkin.ForgedBadge} // an altered payload may still be well formed
)

// payloadCases is the table of badge codes TestParse, TestVerify and
// FuzzParse share.
func payloadCases(tb testing.TB) []codeCase {
	tb.Helper()
	good := MustSign(tb, goodPayload(), payloadKey(1))
	raw := MustRaw(tb, good)
	sigAt := len(raw) - ed25519.SignatureSize
	cases := []codeCase{
		{"Valid", good, parsed, ""},
		{"LowerCase", strings.ToLower(good), parsed, ""},
		{"LowerCasePrefix", "ush1:" + good[len(badge.Prefix):], parsed, ""},
		{"SecondKey", MustSign(tb, goodPayload(), payloadKey(2)), parsed, ""},
		{"Empty", "", notABadge, checkin.InvalidCode},
		{"PrefixOnly", badge.Prefix, malformed, checkin.ForgedBadge},
		{"RosterCode", "U-ABCDEFGHJKLM", notABadge, checkin.InvalidCode},
		{"WrongPrefix", "USH2:" + good[len(badge.Prefix):], notABadge, checkin.InvalidCode},
		{"NoPrefix", good[len(badge.Prefix):], notABadge, checkin.InvalidCode},
		{"Padded", good + "======", malformed, checkin.ForgedBadge},
		{"SpaceInside", good[:40] + " " + good[40:], malformed, checkin.ForgedBadge},
		{"NonASCII", badge.Prefix + "ÄÖÜ€" + good[len(badge.Prefix)+4:], malformed, checkin.ForgedBadge},
		{"NonASCIIInside", good[:60] + "É" + good[61:], malformed, checkin.ForgedBadge},
		{"InvalidUTF8", good[:60] + "\xff" + good[61:], malformed, checkin.ForgedBadge},
		{"Huge", good + strings.Repeat("A", 100*checkin.MaxCodeLen), malformed, checkin.ForgedBadge},
		{"HugeGarbage", badge.Prefix + strings.Repeat("7", 100*checkin.MaxCodeLen), malformed, checkin.ForgedBadge},
		{"ExtraByteAtEnd", encodeRaw(append(slices.Clone(raw), 0)), malformed, checkin.ForgedBadge},
		{"ExtraBytesBeforeSignature", encodeRaw(slices.Concat(raw[:sigAt], []byte{0, 0}, raw[sigAt:])), malformed, checkin.ForgedBadge},
		{"TwoCodes", good + good[len(badge.Prefix):], malformed, checkin.ForgedBadge},
		{"NoSignature", encodeRaw(raw[:sigAt]), malformed, checkin.ForgedBadge},
		{"UnknownKey", MustSign(tb, goodPayload(), payloadKey(3)), parsed, checkin.UnknownKey},
		{"WrongEvent", MustSign(tb, withEdit(goodPayload(), func(p *badge.Payload) { p.Event = "other" }), payloadKey(1)), parsed, checkin.WrongEvent},
		{"Expired", MustSign(tb, withEdit(goodPayload(), func(p *badge.Payload) {
			p.From, p.Until = payloadNow.Add(-48*time.Hour), payloadNow.Add(-time.Second)
		}), payloadKey(1)), parsed, checkin.ExpiredBadge},
		{"NotYetValid", MustSign(tb, withEdit(goodPayload(), func(p *badge.Payload) {
			p.From, p.Until = payloadNow.Add(time.Second), payloadNow.Add(48*time.Hour)
		}), payloadKey(1)), parsed, checkin.NotYetValid},
		{"OtherKeyClaimsKnownID", otherKeyClaims(tb, raw), parsed, checkin.ForgedBadge},
		{"SignatureZero", encodeRaw(slices.Concat(raw[:sigAt], make([]byte, ed25519.SignatureSize))), parsed, checkin.ForgedBadge},
	}
	for _, v := range []byte{0, 2, 0xff} {
		r := slices.Clone(raw)
		r[0] = v
		cases = append(cases, codeCase{fmt.Sprintf("Version%d", v), encodeRaw(r), malformed, checkin.ForgedBadge})
	}
	for n := range len(good) {
		want, parse := checkin.ForgedBadge, malformed
		if n < len(badge.Prefix) {
			want, parse = checkin.InvalidCode, notABadge
		}
		cases = append(cases, codeCase{fmt.Sprintf("Truncated%d", n), good[:n], parse, want})
	}
	for i := range raw {
		for bit := range 8 {
			r := slices.Clone(raw)
			r[i] ^= 1 << bit
			c := codeCase{fmt.Sprintf("Flip/byte%d/bit%d", i, bit), encodeRaw(r), okOrForged, checkin.ForgedBadge}
			switch {
			case i == 0:
				c.parse = malformed // the version
			case i < 5:
				c.parse, c.verify = parsed, checkin.UnknownKey // the key id
			case i >= sigAt:
				c.parse = parsed // the signature is not parsed
			}
			cases = append(cases, c)
		}
	}
	return cases
}

func withEdit(p badge.Payload, edit func(*badge.Payload)) badge.Payload {
	edit(&p)
	return p
}

// otherKeyClaims re-signs raw's payload, which names payloadKey(1), with
// payloadKey(3): a forger's own key claiming a known key's id.
func otherKeyClaims(tb testing.TB, raw []byte) string {
	tb.Helper()
	body := raw[:len(raw)-ed25519.SignatureSize]
	sig := ed25519.Sign(payloadKey(3), append([]byte(sigContext), body...))
	code := encodeRaw(slices.Concat(body, sig))
	// The forgery is a genuine signature by key 3: a kiosk that took key
	// 3 for key 1 would admit it.
	id := badge.KeyID(payloadPub(1))
	if _, err := badge.Verify(code, payloadEvent, map[string]ed25519.PublicKey{id: payloadPub(3)}, payloadNow); err != nil {
		tb.Fatalf("the forged signature is not key 3's (is sigContext out of date?): %v", err)
	}
	return code
}

// reasonOf returns the reason of a *badge.Problem, "" for nil, and fails
// for any other error.
func reasonOf(tb testing.TB, err error) checkin.Reason {
	tb.Helper()
	if err == nil {
		return ""
	}
	var prob *badge.Problem
	if !errors.As(err, &prob) {
		tb.Fatalf("error %v (%T) is not a *badge.Problem", err, err)
	}
	if prob.Detail == "" || prob.Error() == "" {
		tb.Errorf("problem %s has no detail", prob.Reason)
	}
	return prob.Reason
}

func TestParse(t *testing.T) {
	for _, c := range payloadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			p, body, sig, err := badge.Parse(c.code)
			got := reasonOf(t, err)
			if !slices.Contains(c.parse, got) {
				t.Fatalf("Parse: %q (%v), want one of %q", got, err, c.parse)
			}
			if got != "" {
				if !reflect.DeepEqual(p, badge.Payload{}) || body != nil || sig != nil {
					t.Errorf("Parse failed but returned %+v, %d body bytes, %d signature bytes", p, len(body), len(sig))
				}
				return
			}
			if len(sig) != ed25519.SignatureSize || len(body) == 0 || body[0] != badge.Version {
				t.Errorf("body %x, signature of %d bytes", body, len(sig))
			}
			if raw := slices.Concat(body, sig); !bytes.Equal(raw, MustRaw(t, strings.ToUpper(c.code))) {
				t.Errorf("body and signature %x are not the code's bytes", raw)
			}
			if p.KeyID != fmt.Sprintf("%x", body[1:5]) {
				t.Errorf("key id %q, body starts %x", p.KeyID, body[:5])
			}
			if p.From.Location() != time.UTC || p.Until.Before(p.From) {
				t.Errorf("validity %v – %v", p.From, p.Until)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	keys := payloadKeys()
	for _, c := range payloadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			p, err := badge.Verify(c.code, payloadEvent, keys, payloadNow)
			if got := reasonOf(t, err); got != c.verify {
				t.Fatalf("Verify: %q (%v), want %q", got, err, c.verify)
			}
			if err != nil {
				return
			}
			want := goodPayload()
			want.KeyID = p.KeyID
			if _, known := keys[p.KeyID]; !known {
				t.Errorf("verified with key %s, which is not in the event", p.KeyID)
			}
			if !samePayload(p, want) {
				t.Errorf("Verify = %+v, want %+v", p, want)
			}
		})
	}
}

// samePayload compares payloads, times by instant.
func samePayload(a, b badge.Payload) bool {
	return a.KeyID == b.KeyID && a.Event == b.Event && a.Person == b.Person && a.Serial == b.Serial &&
		a.Category == b.Category && slices.Equal(a.Tags, b.Tags) && a.From.Equal(b.From) && a.Until.Equal(b.Until)
}

// TestVerifyValidity checks the edges of a badge's validity: it is good
// from From to Until, both included.
func TestVerifyValidity(t *testing.T) {
	code := MustSign(t, goodPayload(), payloadKey(1))
	for _, c := range []struct {
		name string
		now  time.Time
		want checkin.Reason
	}{
		{"SecondBeforeFrom", payloadFrom.Add(-time.Second), checkin.NotYetValid},
		{"AtFrom", payloadFrom, ""},
		{"AtUntil", payloadUntil, ""},
		{"SecondAfterUntil", payloadUntil.Add(time.Second), checkin.ExpiredBadge},
		{"YearLater", payloadUntil.AddDate(1, 0, 0), checkin.ExpiredBadge},
		{"OtherZone", payloadFrom.In(time.FixedZone("UTC+14", 14*3600)), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := badge.Verify(code, payloadEvent, payloadKeys(), c.now)
			if got := reasonOf(t, err); got != c.want {
				t.Errorf("at %v: %q (%v), want %q", c.now, got, err, c.want)
			}
		})
	}
	t.Run("NoKeys", func(t *testing.T) {
		_, err := badge.Verify(code, payloadEvent, nil, payloadNow)
		if got := reasonOf(t, err); got != checkin.UnknownKey {
			t.Errorf("with no keys: %q, want unknown_key", got)
		}
	})
}

func TestSignRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 64)
	for _, c := range []struct {
		name string
		p    badge.Payload
	}{
		{"Typical", goodPayload()},
		{"NoTags", withEdit(goodPayload(), func(p *badge.Payload) { p.Tags = nil })},
		{"EightShortTags", withEdit(goodPayload(), func(p *badge.Payload) { p.Tags = []string{"a", "b", "c", "d", "e", "f", "g", "h"} })},
		// 156 bytes with the signature: the most a code of MaxCodeLen holds.
		{"Largest", withEdit(goodPayload(), func(p *badge.Payload) { p.Person, p.Tags = long[:63], nil })},
		{"LongestFields", withEdit(goodPayload(), func(p *badge.Payload) { p.Event, p.Person, p.Category, p.Tags = "e", "p", long, []string{long[:2]} })},
		{"SerialZero", withEdit(goodPayload(), func(p *badge.Payload) { p.Serial = 0 })},
		{"SerialMax", withEdit(goodPayload(), func(p *badge.Payload) { p.Serial = 1<<32 - 1 })},
		{"ZeroSpan", withEdit(goodPayload(), func(p *badge.Payload) { p.Until = p.From })},
		{"Before1970", withEdit(goodPayload(), func(p *badge.Payload) {
			p.From, p.Until = time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), time.Date(1969, 7, 21, 0, 0, 0, 0, time.UTC)
		})},
		{"TenYears", withEdit(goodPayload(), func(p *badge.Payload) { p.Until = p.From.AddDate(10, 0, 0) })},
		{"UTF8Fields", withEdit(goodPayload(), func(p *badge.Payload) { p.Person = "Zoë-Ølund" })},
		{"ExplicitKeyID", withEdit(goodPayload(), func(p *badge.Payload) { p.KeyID = badge.KeyID(payloadPub(1)) })},
	} {
		t.Run(c.name, func(t *testing.T) {
			code := MustSign(t, c.p, payloadKey(1))
			if len(code) > checkin.MaxCodeLen || !checkin.PlausibleCode(code) || !badge.IsBadge(code) {
				t.Errorf("code %q (%d bytes) is not a plausible badge code", code, len(code))
			}
			if strings.ToUpper(code) != code {
				t.Errorf("code %q is not upper case", code)
			}
			got, _, _, err := badge.Parse(code)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := c.p
			want.KeyID = badge.KeyID(payloadPub(1))
			if !samePayload(got, want) {
				t.Errorf("Parse(Sign(p)) = %+v, want %+v", got, want)
			}
			if again := MustSign(t, got, payloadKey(1)); again != code {
				t.Errorf("re-signing the parsed payload gives another code:\n%s\n%s", again, code)
			}
		})
	}
	t.Run("SubSecondsDropped", func(t *testing.T) {
		p := withEdit(goodPayload(), func(p *badge.Payload) {
			p.From, p.Until = p.From.Add(900*time.Millisecond), p.Until.Add(100*time.Millisecond)
		})
		got, _, _, err := badge.Parse(MustSign(t, p, payloadKey(1)))
		if err != nil {
			t.Fatal(err)
		}
		if !got.From.Equal(payloadFrom) || !got.Until.Equal(payloadUntil) {
			t.Errorf("validity %v – %v, want %v – %v", got.From, got.Until, payloadFrom, payloadUntil)
		}
	})
}

func TestSignRejects(t *testing.T) {
	long := strings.Repeat("x", 65)
	for _, c := range []struct {
		name string
		p    badge.Payload
		key  ed25519.PrivateKey
	}{
		{"NineTags", withEdit(goodPayload(), func(p *badge.Payload) { p.Tags = strings.Split("a,b,c,d,e,f,g,h,i", ",") }), nil},
		{"LongEvent", withEdit(goodPayload(), func(p *badge.Payload) { p.Event = long }), nil},
		{"LongPerson", withEdit(goodPayload(), func(p *badge.Payload) { p.Person = long }), nil},
		{"LongCategory", withEdit(goodPayload(), func(p *badge.Payload) { p.Category = long }), nil},
		{"LongTag", withEdit(goodPayload(), func(p *badge.Payload) { p.Tags = []string{long} }), nil},
		{"TooBigForACode", withEdit(goodPayload(), func(p *badge.Payload) {
			p.Event, p.Person, p.Category = long[:64], long[:64], long[:64]
		}), nil},
		{"OneByteTooBig", withEdit(goodPayload(), func(p *badge.Payload) { p.Person, p.Tags = long[:64], nil }), nil},
		{"EmptyEvent", withEdit(goodPayload(), func(p *badge.Payload) { p.Event = "" }), nil},
		{"EmptyPerson", withEdit(goodPayload(), func(p *badge.Payload) { p.Person = "" }), nil},
		{"EmptyCategory", withEdit(goodPayload(), func(p *badge.Payload) { p.Category = "" }), nil},
		{"EmptyTag", withEdit(goodPayload(), func(p *badge.Payload) { p.Tags = []string{"workshop-a", ""} }), nil},
		{"UntilBeforeFrom", withEdit(goodPayload(), func(p *badge.Payload) { p.Until = p.From.Add(-time.Second) }), nil},
		{"NoFrom", withEdit(goodPayload(), func(p *badge.Payload) { p.From = time.Time{} }), nil},
		// No Until is no end (TestNoExpiry); a span of 2^40 s is how it
		// is written, so a date that far is refused.
		{"SpanOfNoEnd", withEdit(goodPayload(), func(p *badge.Payload) { p.Until = time.Unix(p.From.Unix()+1<<40, 0) }), nil},
		// Parse refuses validity beyond ±2^40 s of 1970; Sign must not
		// make a badge its own Parse cannot read.
		{"FromBeyondParse", withEdit(goodPayload(), func(p *badge.Payload) {
			p.From, p.Until = time.Unix(1<<40+1, 0), time.Unix(1<<40+2, 0)
		}), nil},
		{"SpanBeyondParse", withEdit(goodPayload(), func(p *badge.Payload) { p.Until = time.Unix(p.From.Unix()+1<<40+1, 0) }), nil},
		{"OtherKeyID", withEdit(goodPayload(), func(p *badge.Payload) { p.KeyID = badge.KeyID(payloadPub(2)) }), nil},
		{"MalformedKeyID", withEdit(goodPayload(), func(p *badge.Payload) { p.KeyID = "not-hex" }), nil},
		{"EmptyKey", goodPayload(), ed25519.PrivateKey{}},
		{"ShortKey", goodPayload(), ed25519.PrivateKey(make([]byte, 16))},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := c.key
			if key == nil {
				key = payloadKey(1)
			}
			var (
				code string
				err  error
			)
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = nil
						t.Errorf("Sign panicked instead of returning an error: %v", r)
					}
				}()
				code, err = badge.Sign(c.p, key)
			}()
			if err == nil {
				if code != "" {
					_, _, _, perr := badge.Parse(code)
					t.Errorf("Sign made %q (Parse: %v), want an error", code, perr)
				}
				return
			}
			if code != "" {
				t.Errorf("Sign returned code %q with error %v", code, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "badge: ") {
				t.Errorf("error %q does not say it is about the badge", msg)
			}
		})
	}
}

// TestQRVersion measures the QR version the badges of a 5,000-person demo
// roster need, and keeps it at 10 or below: a small symbol scans quickly
// from a lanyard. The validity is a three-day conference.
func TestQRVersion(t *testing.T) {
	key, _, err := badge.NewKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ev := demo.Event()
	versions := map[int]int{}
	byLen := map[int]int{} // code length → version
	longest := ""
	for _, p := range demo.Roster(5000) {
		code, err := badge.Code(ev, p, key, payloadFrom, payloadUntil)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) > len(longest) {
			longest = code
		}
		q, err := badge.QR(code)
		if err != nil {
			t.Fatalf("QR(%q): %v", code, err)
		}
		if v, seen := byLen[len(code)]; seen && v != q.VersionNumber {
			t.Errorf("codes of %d characters need QR versions %d and %d", len(code), v, q.VersionNumber)
		}
		byLen[len(code)] = q.VersionNumber
		versions[q.VersionNumber]++
	}
	t.Logf("QR versions of 5,000 demo badges (version: badges): %v; code lengths → version: %v; longest code %d characters",
		versions, byLen, len(longest))
	for v, n := range versions {
		if v > 10 {
			t.Errorf("%d badges need QR version %d, want at most 10", n, v)
		}
	}
}

func TestNewKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	key, id, err := badge.NewKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "signing.key")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("signing.key has mode %v, want 0600", fi.Mode().Perm())
	}
	if id != badge.KeyID(key.Public().(ed25519.PublicKey)) || len(id) != 8 {
		t.Errorf("NewKey returned id %q for a key whose id is %q", id, badge.KeyID(key.Public().(ed25519.PublicKey)))
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("RefusesToOverwrite", func(t *testing.T) {
		if _, _, err := badge.NewKey(dir); err == nil {
			t.Fatal("a second NewKey in the same folder succeeded")
		}
		if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
			t.Errorf("the existing key changed (read error %v)", err)
		}
	})
	t.Run("LoadKey", func(t *testing.T) {
		loaded, err := badge.LoadKey(path)
		if err != nil {
			t.Fatal(err)
		}
		if !loaded.Equal(key) {
			t.Error("LoadKey returned another key than NewKey made")
		}
		code := MustSign(t, goodPayload(), loaded)
		pub := key.Public().(ed25519.PublicKey)
		if _, err := badge.Verify(code, payloadEvent, map[string]ed25519.PublicKey{id: pub}, payloadNow); err != nil {
			t.Errorf("a badge signed with the loaded key does not verify: %v", err)
		}
	})
	t.Run("TwoKeysDiffer", func(t *testing.T) {
		other, otherID, err := badge.NewKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if other.Equal(key) || otherID == id {
			t.Error("two NewKey calls made the same key")
		}
	})

	for _, c := range []struct {
		name string
		edit func(string) string
	}{
		{"TamperedKeyID", func(s string) string {
			other := "00000000"
			if id == other {
				other = "11111111"
			}
			return strings.Replace(s, "Key-Id: "+id, "Key-Id: "+other, 1)
		}},
		{"NoKeyID", func(s string) string { return strings.Replace(s, "Key-Id: "+id+"\n", "", 1) }},
		{"OtherPEMType", func(s string) string { return strings.ReplaceAll(s, "USHER ED25519 SIGNING KEY", "PRIVATE KEY") }},
		{"NotPEM", func(string) string { return "hello\n" }},
		{"Empty", func(string) string { return "" }},
	} {
		t.Run("LoadKeyRejects/"+c.name, func(t *testing.T) {
			edited := c.edit(string(before))
			if edited == string(before) {
				t.Fatalf("the edit changed nothing in:\n%s", before)
			}
			bad := filepath.Join(t.TempDir(), "signing.key")
			if err := os.WriteFile(bad, []byte(edited), 0o600); err != nil {
				t.Fatal(err)
			}
			if k, err := badge.LoadKey(bad); err == nil {
				t.Errorf("LoadKey accepted it (key %s)", badge.KeyID(k.Public().(ed25519.PublicKey)))
			} else if !strings.Contains(err.Error(), bad) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	t.Run("LoadKeyRejects/Missing", func(t *testing.T) {
		if _, err := badge.LoadKey(filepath.Join(t.TempDir(), "none.key")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("LoadKey of a missing file: %v, want a not-exist error", err)
		}
	})
}

// TestKeyBlock checks that the block NewKey's key prints, appended to an
// event file, loads through eventfile, and that a block with a wrong id
// or a public key that is not base64 is refused at its line.
func TestKeyBlock(t *testing.T) {
	key := payloadKey(1)
	pub := payloadPub(1)
	block := badge.KeyBlock(key)
	base := string(assets.DemoEvent) + "\n"
	blockLine := strings.Count(base, "\n") + 1 // the [[key]] line

	ev, err := eventfile.Parse("event.toml", []byte(base+block))
	if err != nil {
		t.Fatalf("event with the key block: %v\n%s", err, block)
	}
	if len(ev.Keys) != 1 || ev.Keys[0].ID != badge.KeyID(pub) || !bytes.Equal(ev.Keys[0].Public, pub) {
		t.Fatalf("keys %+v, want one with id %s and the public key", ev.Keys, badge.KeyID(pub))
	}
	got, err := badge.ParsePublic(badge.KeyID(pub), base64.StdEncoding.EncodeToString(ev.Keys[0].Public))
	if err != nil || !got.Equal(pub) {
		t.Errorf("ParsePublic: %v", err)
	}

	t.Run("TwoKeys", func(t *testing.T) {
		ev, err := eventfile.Parse("event.toml", []byte(base+block+"\n"+badge.KeyBlock(payloadKey(2))))
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Keys) != 2 || ev.Keys[1].ID != badge.KeyID(payloadPub(2)) {
			t.Errorf("keys %+v", ev.Keys)
		}
	})

	otherID := badge.KeyID(payloadPub(2))
	for _, c := range []struct {
		name string
		edit func(string) string
		line int // of the [[key]] block, 0 for [[key]] itself
		want string
	}{
		{"WrongID", func(b string) string { return strings.Replace(b, badge.KeyID(pub), otherID, 1) }, 1, "does not match"},
		{"BadBase64", func(b string) string { return strings.Replace(b, "public = \"", "public = \"!!", 1) }, 2, "base64"},
		{"ShortKey", func(b string) string {
			return strings.Replace(b, base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(pub[:16]), 1)
		}, 2, "32 bytes"},
		{"Duplicate", func(b string) string { return b + "\n" + b }, 5, "twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			edited := c.edit(block)
			if edited == block {
				t.Fatal("the edit changed nothing")
			}
			_, err := eventfile.Parse("event.toml", []byte(base+edited))
			if err == nil {
				t.Fatalf("eventfile accepted:\n%s", edited)
			}
			at := fmt.Sprintf("event.toml:%d:", blockLine+c.line)
			if msg := checkin.ErrorMessage(err); !strings.HasPrefix(msg, at) || !strings.Contains(msg, c.want) {
				t.Errorf("error %q, want it to start with %q and say %q", msg, at, c.want)
			}
			if checkin.ErrorCode(err) != checkin.EINVALID {
				t.Errorf("error code %s, want %s", checkin.ErrorCode(err), checkin.EINVALID)
			}
		})
	}
}

// TestParseCanonical checks that a badge has one code, up to letter case:
// text that is not exactly the base32 of the signed bytes is not a badge.
func TestParseCanonical(t *testing.T) {
	good := MustSign(t, goodPayload(), payloadKey(1))
	raw := MustRaw(t, good)
	t.Run("SlackBits", func(t *testing.T) {
		// The last character carries bits beyond the last byte when the
		// bit count is not a multiple of 5.
		slack := len(good[len(badge.Prefix):])*5 - len(raw)*8
		if slack == 0 {
			t.Skip("this payload's code has no slack bits")
		}
		last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", good[len(good)-1])
		for bit := range slack {
			code := good[:len(good)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last^1<<bit])
			if _, err := badge.Verify(code, payloadEvent, payloadKeys(), payloadNow); reasonOf(t, err) != checkin.ForgedBadge {
				t.Errorf("%q (slack bit %d set) verifies as %q, want forged_badge: the code is not the one that was signed", code[len(code)-8:], bit, reasonOf(t, err))
			}
		}
	})
	t.Run("UnicodeCaseFolding", func(t *testing.T) {
		// "ſ" (long s) and "ı" (dotless i) upper-case to S and I.
		for _, r := range []struct{ ascii, other string }{{"S", "ſ"}, {"I", "ı"}} {
			i := strings.LastIndex(good, r.ascii)
			if i < len(badge.Prefix) {
				continue
			}
			code := good[:i] + r.other + good[i+1:]
			if _, err := badge.Verify(code, payloadEvent, payloadKeys(), payloadNow); reasonOf(t, err) != checkin.ForgedBadge {
				t.Errorf("the code with %q for %q at %d verifies as %q, want forged_badge", r.other, r.ascii, i, reasonOf(t, err))
			}
		}
	})
}
