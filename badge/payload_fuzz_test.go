package badge_test

import (
	"crypto/ed25519"
	"slices"
	"strings"
	"testing"
	"time"

	"usher/badge"
	"usher/checkin"
)

// FuzzParse feeds Parse and Verify anything: they never panic, every
// error is a *badge.Problem, and whatever parses re-signs to the same
// payload, whatever verifies to the very same signed bytes and is a code
// a kiosk looks up.
func FuzzParse(f *testing.F) {
	for _, c := range payloadCases(f) {
		f.Add(c.code)
	}
	keys, privs := payloadKeys(), payloadPrivs()
	f.Fuzz(func(t *testing.T, code string) {
		p, body, sig, err := badge.Parse(code)
		if r := reasonOf(t, err); r != "" {
			if want := checkin.ForgedBadge; !badge.IsBadge(code) {
				want = checkin.InvalidCode
				if r != want {
					t.Fatalf("Parse of a non-badge: %q, want %q", r, want)
				}
			} else if r != want {
				t.Fatalf("Parse: %q, want %q", r, want)
			}
		} else {
			if len(sig) != ed25519.SignatureSize || len(body) < 5 || body[0] != badge.Version {
				t.Fatalf("Parse accepted body %x with a %d-byte signature", body, len(sig))
			}
			// What parses re-signs, when it fits a code, to itself.
			q := p
			q.KeyID = ""
			if again, err := badge.Sign(q, payloadKey(1)); err == nil {
				back, _, _, err := badge.Parse(again)
				q.KeyID = badge.KeyID(payloadPub(1))
				if err != nil || !samePayload(back, q) {
					t.Fatalf("Parse(Sign(%+v)) = %+v, %v", q, back, err)
				}
			}
		}
		v, err := badge.Verify(code, payloadEvent, keys, payloadNow)
		switch r := reasonOf(t, err); r {
		case "":
		case checkin.InvalidCode, checkin.ForgedBadge, checkin.UnknownKey, checkin.WrongEvent,
			checkin.ExpiredBadge, checkin.NotYetValid:
			return
		default:
			t.Fatalf("Verify: reason %q", r)
		}
		if !samePayload(v, p) || v.Event != payloadEvent || payloadNow.Before(v.From) || (!v.Until.IsZero() && payloadNow.After(v.Until)) {
			t.Fatalf("Verify accepted %+v (Parse: %+v) at %v", v, p, payloadNow)
		}
		// The kiosk looks up only plausible codes (store's lookup): a
		// good badge must be one.
		if !checkin.PlausibleCode(code) {
			t.Fatalf("%q verifies but is not a plausible code, so a kiosk would never look it up", code)
		}
		again := MustSign(t, v, privs[v.KeyID])
		if want := encodeRaw(slices.Concat(body, sig)); again != want {
			t.Fatalf("a verified badge re-signs to other bytes:\n%s\n%s", again, want)
		}
	})
}

// FuzzSignTamper signs payloads made of arbitrary fields and checks what
// a kiosk relies on: whatever Sign accepts gives a plausible code of at
// most checkin.MaxCodeLen that parses back to the payload, verifies at
// any instant of its validity, and re-encodes to the very same text;
// and with any one bit of its signed bytes flipped, or any one character
// of its text replaced other than by the same letter in the other case,
// it never verifies.
func FuzzSignTamper(f *testing.F) {
	g := goodPayload()
	f.Add(g.Event, g.Person, g.Category, strings.Join(g.Tags, ","), g.Serial, g.From.Unix(), int64(72*3600), uint16(0), uint8(0), byte('A'))
	f.Add("e", "p", strings.Repeat("x", 64), "ab", uint32(0), int64(-14182940), int64(0), uint16(5), uint8(7), byte('7'))
	f.Add("demo", strings.Repeat("x", 63), "attendee", "", uint32(1<<32-1), int64(1<<40), int64(1<<40-1), uint16(150), uint8(3), byte('a'))
	f.Add("demo", "P000001", "attendee", "", uint32(1), int64(1780300800), int64(-1), uint16(40), uint8(2), byte('Q')) // no end
	f.Add("demo", "Zoë-Ølund", "staff", "a,b,c,d,e,f,g,h", uint32(7), int64(0), int64(1), uint16(60), uint8(1), byte(0))
	keys := payloadKeys()
	f.Fuzz(func(t *testing.T, event, person, category, tags string, serial uint32, from, span int64, at uint16, bit uint8, char byte) {
		p := badge.Payload{Event: event, Person: person, Serial: serial, Category: category,
			From: time.Unix(from, 0).UTC(), Until: time.Unix(from+span, 0).UTC()}
		instants := []time.Time{p.From, p.Until, p.From.Add(p.Until.Sub(p.From) / 2)}
		if span == -1 { // a validity with no end
			p.Until = time.Time{}
			instants = []time.Time{p.From, p.From.AddDate(1000, 0, 0)}
		}
		if tags != "" {
			p.Tags = strings.Split(tags, ",")
		}
		code, err := badge.Sign(p, payloadKey(1))
		if err != nil {
			if code != "" || !strings.HasPrefix(err.Error(), "badge: ") {
				t.Fatalf("Sign(%+v) = %q, %v", p, code, err)
			}
			return
		}
		if len(code) > checkin.MaxCodeLen || !checkin.PlausibleCode(code) || !badge.IsBadge(code) {
			t.Fatalf("Sign(%+v) made %q (%d bytes), not a plausible badge code", p, code, len(code))
		}
		p.KeyID = badge.KeyID(payloadPub(1))
		for _, now := range instants {
			v, err := badge.Verify(code, event, keys, now)
			if err != nil || !samePayload(v, p) {
				t.Fatalf("Verify(Sign(%+v)) at %v = %+v, %v", p, now, v, err)
			}
		}
		back, body, sig, err := badge.Parse(code)
		if err != nil || !samePayload(back, p) {
			t.Fatalf("Parse(Sign(%+v)) = %+v, %v", p, back, err)
		}
		if again := encodeRaw(slices.Concat(body, sig)); again != code {
			t.Fatalf("Parse then encode gives %q, not %q", again, code)
		}

		raw := MustRaw(t, code)
		flipped := slices.Clone(raw)
		flipped[int(at)%len(raw)] ^= 1 << (bit % 8)
		if v, err := badge.Verify(encodeRaw(flipped), event, keys, p.From); err == nil {
			t.Fatalf("%s with bit %d of byte %d flipped verifies: %+v", code, bit%8, int(at)%len(raw), v)
		}

		i := len(badge.Prefix) + int(at)%(len(code)-len(badge.Prefix))
		if strings.EqualFold(string(char), code[i:i+1]) {
			return
		}
		edited := code[:i] + string(char) + code[i+1:]
		if v, err := badge.Verify(edited, event, keys, p.From); err == nil {
			t.Fatalf("%s with character %d replaced by %q verifies: %+v", code, i, char, v)
		}
	})
}
