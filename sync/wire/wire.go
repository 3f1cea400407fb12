// Package wire is the kiosk ↔ central protocol on the wire: the JSON
// bodies of each request and response. sync/PROTOCOL.md describes the
// exchange; this package is its types and their checks.
package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"usher/checkin"
)

// Paths of the API, version 1.
const (
	PathEnroll = "/v1/enroll"
	PathPush   = "/v1/push"
	PathPull   = "/v1/pull"
)

// Limits that bound a request, so one kiosk cannot exhaust the server.
const (
	MaxPushEvents = 1000     // events in one push
	MaxPullLimit  = 5000     // people in one pull page
	MaxBody       = 16 << 20 // bytes of a request body, after gzip
)

// EnrollRequest exchanges a one-time enrollment token for a kiosk token.
type EnrollRequest struct {
	Token string `json:"token"`
	Name  string `json:"name,omitempty"` // the kiosk's host name, for the organizers' list
}

// EnrollResponse gives the kiosk its identity.
type EnrollResponse struct {
	KioskID string `json:"kiosk_id"`
	Token   string `json:"token"` // the kiosk's bearer token from now on
	Door    string `json:"door"`
	EventID string `json:"event_id"`
}

// Event is one record of a kiosk's scan log, keyed by (kiosk, seq): a
// scan, a staff action, an undo. It is immutable: the server inserts it
// once and never changes it.
type Event struct {
	Seq       int64  `json:"seq"`
	HLC       uint64 `json:"hlc"` // hybrid logical clock timestamp
	At        int64  `json:"at"`  // the kiosk's wall clock, Unix milliseconds
	Door      string `json:"door"`
	Direction string `json:"direction"`
	Method    string `json:"method"`
	Code      string `json:"code,omitempty"`
	Person    string `json:"person,omitempty"`
	Decision  string `json:"decision"`
	Reason    string `json:"reason"`
	Space     string `json:"space,omitempty"`
	Note      string `json:"note,omitempty"`
	From      string `json:"from,omitempty"`     // set when the event moved someone or changed a count
	Location  string `json:"location,omitempty"` // likewise
	Delta     int    `json:"delta,omitempty"`
	Undoes    int64  `json:"undoes,omitempty"` // the kiosk seq an undo takes back
}

// Check reports the first problem with e, naming the field.
func (e Event) Check() error {
	switch {
	case e.Seq <= 0:
		return fmt.Errorf("seq %d: must be positive", e.Seq)
	case e.HLC == 0 || e.HLC >= 1<<63:
		return fmt.Errorf("event %d: hlc %d is missing or out of range", e.Seq, e.HLC)
	case e.Door == "" || len(e.Door) > 64:
		return fmt.Errorf("event %d: door %q", e.Seq, e.Door)
	case e.Direction != string(checkin.Entry) && e.Direction != string(checkin.Exit):
		return fmt.Errorf("event %d: direction %q is not entry or exit", e.Seq, e.Direction)
	case e.Decision == "" || e.Reason == "":
		return fmt.Errorf("event %d: decision and reason are required", e.Seq)
	case len(e.Code) > 2*checkin.MaxCodeLen || len(e.Note) > 1000 || len(e.Person) > 128:
		return fmt.Errorf("event %d: a field is too long", e.Seq)
	case (e.From == "") != (e.Location == ""):
		return fmt.Errorf("event %d: from and location go together", e.Seq)
	case e.Delta < -1 || e.Delta > 1:
		return fmt.Errorf("event %d: delta %d", e.Seq, e.Delta)
	}
	return nil
}

// PushRequest carries a kiosk's new events, oldest first.
type PushRequest struct {
	Events []Event `json:"events"`
}

// PushResponse acknowledges a push: every event of it is stored (new or
// already there), so the kiosk may move its pushed mark to Through.
type PushResponse struct {
	Accepted   int    `json:"accepted"`   // stored now
	Duplicates int    `json:"duplicates"` // stored before
	Through    int64  `json:"through"`    // the highest seq of the push
	ServerHLC  uint64 `json:"server_hlc"`
}

// Person is a roster entry as pulled; Removed people stay in the pull so
// kiosks revoke their badges.
type Person struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Company  string   `json:"company,omitempty"`
	Email    string   `json:"email,omitempty"`
	Category string   `json:"category"`
	Tags     []string `json:"tags,omitempty"`
	Code     string   `json:"code"`
	Serial   uint32   `json:"serial,omitempty"`
	Removed  bool     `json:"removed,omitempty"`
}

// Revocation is one explicitly revoked badge serial.
type Revocation struct {
	Person string `json:"person"`
	Serial uint32 `json:"serial"`
}

// PullResponse is everything that changed after the kiosk's cursor, up to
// a page. Event is the whole event definition (spaces, doors, rules,
// keys), present when it changed. When More is true the kiosk asks again
// from Cursor: a first sync of a large roster resumes page by page.
type PullResponse struct {
	Cursor      int64          `json:"cursor"`
	More        bool           `json:"more"`
	Event       *checkin.Event `json:"event,omitempty"`
	People      []Person       `json:"people,omitempty"`
	Revocations []Revocation   `json:"revocations,omitempty"`
}

// Error is the body of every error response.
type Error struct {
	Code    string `json:"code"` // checkin error code: invalid, not_found, conflict, unauthorized, internal
	Message string `json:"message"`
}

// EnrollPrefix starts an enrollment code.
const EnrollPrefix = "USHER-ENROLL:"

// EnrollCode is what an enrollment QR carries: where the center is, the
// door the kiosk will serve, and the one-time token.
type EnrollCode struct {
	URL   string `json:"url"`
	Door  string `json:"door"`
	Token string `json:"token"`
}

// String encodes the code: EnrollPrefix + base64url of its JSON.
func (c EnrollCode) String() string {
	b, _ := json.Marshal(c)
	return EnrollPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseEnrollCode decodes an enrollment code, as typed or scanned.
func ParseEnrollCode(s string) (EnrollCode, error) {
	var c EnrollCode
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), EnrollPrefix)
	if !ok {
		return c, fmt.Errorf("not an enrollment code (it starts with %s)", EnrollPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return c, fmt.Errorf("enrollment code: %v", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("enrollment code: %v", err)
	}
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return c, fmt.Errorf("enrollment code: server URL %q is not an http(s) URL", c.URL)
	case c.Door == "" || c.Token == "":
		return c, fmt.Errorf("enrollment code: door and token are required")
	}
	return c, nil
}
