// Package badge makes and checks Usher's signed badges. A badge's QR code
// carries a compact payload — event, person, badge serial, category,
// entitlement tags and validity — signed with the event's Ed25519 key, so
// a kiosk can admit someone registered after its last sync, and refuse a
// forged badge, without the network. The payload holds no name, email or
// other personal data (docs/design.md "Badges").
package badge

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"usher/checkin"
)

// Prefix starts every signed badge code, telling it apart from roster
// codes. Its characters, like base32's, are in the QR alphanumeric set,
// which packs 5.5 bits a character instead of 8.
const Prefix = "USH1:"

// Version is the payload format this package writes.
const Version = 1

// sigContext separates badge signatures from anything else the key might
// ever sign.
const sigContext = "usher badge v1\x00"

// Limits keep a badge code within checkin.MaxCodeLen.
const (
	maxField = 64 // bytes of an id, category or tag
	maxTags  = 8
	// maxPayload is the largest payload, signature included, whose code
	// fits checkin.MaxCodeLen.
	maxPayload = (checkin.MaxCodeLen - len(Prefix)) * 5 / 8
)

// maxTime bounds validity times and spans, in seconds (about 35,000
// years): far beyond any event, and small enough never to overflow. A
// span of exactly maxTime is a validity with no end (Payload.Until zero):
// a kiosk that reads it as a date reads one 35,000 years on, so badges
// without an end need no new payload version.
const maxTime = 1 << 40

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Payload is what a badge says.
type Payload struct {
	KeyID    string // 8 hex digits: the signing key's id
	Event    string
	Person   string
	Serial   uint32 // a reprint has a higher serial and revokes the lower ones
	Category string
	Tags     []string
	From     time.Time // valid from, to the second
	Until    time.Time // valid until, to the second; zero: no end (an event without dates)
}

// Problem is why a badge code is not a good badge. Its Reason is the
// decision's reason code.
type Problem struct {
	Reason checkin.Reason
	Detail string
}

func (p *Problem) Error() string { return p.Detail }

func problem(r checkin.Reason, format string, args ...any) *Problem {
	return &Problem{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// IsBadge reports whether code claims to be a signed badge.
func IsBadge(code string) bool { return strings.HasPrefix(strings.ToUpper(code), Prefix) }

// Sign encodes p, signs it with key and returns the badge code.
func Sign(p Payload, key ed25519.PrivateKey) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", errors.New("badge: not an Ed25519 private key")
	}
	pub := key.Public().(ed25519.PublicKey)
	if id := KeyID(pub); p.KeyID == "" {
		p.KeyID = id
	} else if p.KeyID != id {
		return "", fmt.Errorf("badge: key id %s does not match the key (%s)", p.KeyID, id)
	}
	body, err := p.marshal()
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(key, append([]byte(sigContext), body...))
	return Prefix + enc.EncodeToString(append(body, sig...)), nil
}

func (p Payload) marshal() ([]byte, error) {
	kid, err := parseKeyID(p.KeyID)
	if err != nil {
		return nil, err
	}
	if len(p.Tags) > maxTags {
		return nil, fmt.Errorf("badge: %d tags, at most %d fit on a badge", len(p.Tags), maxTags)
	}
	if p.From.IsZero() || (!p.Until.IsZero() && p.Until.Before(p.From)) {
		return nil, fmt.Errorf("badge: validity %v – %v is not a period", p.From, p.Until)
	}
	from, span := p.From.Unix(), int64(maxTime)
	if !p.Until.IsZero() {
		span = p.Until.Unix() - from
	}
	// A span of maxTime given as a date would read back as no end.
	if from < -maxTime || from > maxTime || (!p.Until.IsZero() && span >= maxTime) {
		return nil, fmt.Errorf("badge: validity %v – %v is out of range", p.From, p.Until)
	}
	b := []byte{Version}
	b = append(b, kid[:]...)
	for _, s := range append([]string{p.Event, p.Person}, p.Category) {
		if b, err = appendString(b, s); err != nil {
			return nil, err
		}
	}
	b = binary.AppendUvarint(b, uint64(p.Serial))
	b = append(b, byte(len(p.Tags)))
	for _, t := range p.Tags {
		if b, err = appendString(b, t); err != nil {
			return nil, err
		}
	}
	b = binary.AppendVarint(b, from)
	b = binary.AppendUvarint(b, uint64(span))
	if len(b)+ed25519.SignatureSize > maxPayload {
		return nil, fmt.Errorf("badge: the payload needs %d bytes, more than a badge code holds (%d)", len(b)+ed25519.SignatureSize, maxPayload)
	}
	return b, nil
}

func appendString(b []byte, s string) ([]byte, error) {
	if s == "" || len(s) > maxField {
		return nil, fmt.Errorf("badge: %q must be 1 to %d bytes", s, maxField)
	}
	return append(append(b, byte(len(s))), s...), nil
}

// Parse decodes a badge code without checking its signature: the
// payload, the signed bytes and the signature. Any code that is not a
// well-formed badge is a *Problem with reason forged_badge.
func Parse(code string) (Payload, []byte, []byte, error) {
	raw, err := decodeCode(code)
	if err != nil {
		return Payload{}, nil, nil, err
	}
	body, sig := raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	p, err := decodeBody(body)
	if err != nil {
		return Payload{}, nil, nil, err
	}
	return p, body, sig, nil
}

// decodeCode returns the bytes a badge code spells: its base32 text, in
// its one canonical form, after Prefix; long enough for a version, a key
// id and a signature, and of this Version. Any other code is a *Problem:
// invalid_code when it does not start like a badge, else forged_badge.
func decodeCode(code string) ([]byte, error) {
	if !IsBadge(code) {
		return nil, problem(checkin.InvalidCode, "not a signed badge")
	}
	for i := 0; i < len(code); i++ {
		if code[i] >= 0x80 {
			return nil, problem(checkin.ForgedBadge, "badge code has a character that is not ASCII")
		}
	}
	text := strings.ToUpper(code[len(Prefix):])
	raw, err := enc.DecodeString(text)
	if err != nil {
		return nil, problem(checkin.ForgedBadge, "badge code is not base32: %v", err)
	}
	if enc.EncodeToString(raw) != text {
		// The unused low bits of the last character were not zero: each
		// badge has exactly one code text.
		return nil, problem(checkin.ForgedBadge, "badge code is not in canonical form")
	}
	if len(raw) < 1+4+ed25519.SignatureSize {
		return nil, problem(checkin.ForgedBadge, "badge code is too short")
	}
	if raw[0] != Version {
		return nil, problem(checkin.ForgedBadge, "badge format version %d is not %d", raw[0], Version)
	}
	return raw, nil
}

// decodeBody reads the payload from a badge's signed bytes: the version
// byte, the key id, then the fields in order, and nothing after them. A
// malformed body or a validity out of range is a *Problem with reason
// forged_badge.
func decodeBody(body []byte) (Payload, error) {
	var p Payload
	r := reader{b: body[5:]}
	p.KeyID = fmt.Sprintf("%x", body[1:5])
	p.Event = r.str()
	p.Person = r.str()
	p.Category = r.str()
	serial := r.uvarint()
	if serial > 1<<32-1 {
		r.err = errors.New("serial out of range")
	}
	p.Serial = uint32(serial)
	n := r.byte()
	if n > maxTags {
		r.err = fmt.Errorf("%d tags", n)
	}
	for i := 0; i < int(n) && r.err == nil; i++ {
		p.Tags = append(p.Tags, r.str())
	}
	from := r.varint()
	span := r.uvarint()
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the payload", len(r.b))
	}
	if r.err != nil {
		return Payload{}, problem(checkin.ForgedBadge, "badge payload is malformed: %v", r.err)
	}
	if span > maxTime || from < -maxTime || from > maxTime {
		return Payload{}, problem(checkin.ForgedBadge, "badge validity is out of range")
	}
	p.From = time.Unix(from, 0).UTC()
	if span < maxTime {
		p.Until = time.Unix(from+int64(span), 0).UTC()
	}
	return p, nil
}

// Verify checks a badge code for event at now against the event's
// public keys (by key id). It returns the payload, or a *Problem whose
// reason is forged_badge (malformed, altered or signed by another key),
// unknown_key, wrong_event, expired_badge or badge_not_yet_valid. A
// badge with no end (Until zero) never expires.
func Verify(code, event string, keys map[string]ed25519.PublicKey, now time.Time) (Payload, error) {
	p, body, sig, err := Parse(code)
	if err != nil {
		return p, err
	}
	pub, ok := keys[p.KeyID]
	if !ok {
		return p, problem(checkin.UnknownKey, "badge signed with key %s, which this event does not know", p.KeyID)
	}
	if !ed25519.Verify(pub, append([]byte(sigContext), body...), sig) {
		return p, problem(checkin.ForgedBadge, "badge signature does not match")
	}
	switch {
	case p.Event != event:
		return p, problem(checkin.WrongEvent, "badge is for event %q, not %q", p.Event, event)
	case now.Before(p.From):
		return p, problem(checkin.NotYetValid, "badge is valid from %s", p.From.Format(time.RFC3339))
	case !p.Until.IsZero() && now.After(p.Until):
		return p, problem(checkin.ExpiredBadge, "badge expired at %s", p.Until.Format(time.RFC3339))
	}
	return p, nil
}

// reader reads the payload's fields; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errors.New("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) str() string {
	n := int(r.byte())
	if r.err != nil {
		return ""
	}
	if n == 0 || n > maxField || n > len(r.b) {
		r.err = fmt.Errorf("bad field length %d", n)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errors.New("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}
