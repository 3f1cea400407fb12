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
	PathRights = "/v1/rights"
	PathWait   = "/v1/wait"
	// PathReprint: a kiosk that prints badges asks the center for a
	// person's next badge serial, which revokes their badge in hand at
	// every door (ReprintRequest).
	PathReprint = "/v1/reprint"
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

// MaxKioskName bounds the kiosk name an enrollment records.
const MaxKioskName = 100

// Check reports the first problem with r, naming the field.
func (r EnrollRequest) Check() error {
	switch {
	case r.Token == "":
		return fmt.Errorf("token is required")
	case strings.IndexByte(r.Token, 0) >= 0:
		return fmt.Errorf("token has a NUL byte")
	case strings.IndexByte(r.Name, 0) >= 0:
		return fmt.Errorf("name has a NUL byte")
	}
	return nil
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
	// Rights are the event's changes of the kiosk's capacity rights: an
	// admission's spends, an exit's credits, a grant applied, a return.
	Rights []checkin.RightChange `json:"rights,omitempty"`
	// Cursor is the kiosk's pull cursor when it logged the event: the
	// center matches an exit only with admissions it held before then.
	Cursor int64 `json:"cursor,omitempty"`
	// Stamp is when the event happened on the center's clock as the
	// kiosk estimated it on its monotonic clock from its last sync, with
	// the error bound (sync/PROTOCOL.md "Presence"); nil when it had no
	// estimate. The center orders an exit after an admission by it.
	Stamp *checkin.Stamp `json:"stamp,omitempty"`
}

// MaxSeq bounds a kiosk's sequence numbers: the center files the
// events of a forked kiosk log above it (see PushResponse.Forked).
const MaxSeq = 1 << 40

// MaxStampErr bounds a stamp's error: beyond a day it says nothing.
const MaxStampErr = 24 * 60 * 60 * 1000

// MaxRights bounds the rights changes of one event: one per counter a
// door crosses.
const MaxRights = 16

// Check reports the first problem with e, naming the field.
func (e Event) Check() error {
	switch {
	case e.Seq <= 0 || e.Seq >= MaxSeq:
		return fmt.Errorf("seq %d: must be 1 to %d", e.Seq, MaxSeq-1)
	case e.HLC == 0 || e.HLC >= 1<<63:
		return fmt.Errorf("event %d: hlc %d is missing or out of range", e.Seq, e.HLC)
	case e.Door == "" || len(e.Door) > 64:
		return fmt.Errorf("event %d: door %q", e.Seq, e.Door)
	case e.Direction != string(checkin.Entry) && e.Direction != string(checkin.Exit):
		return fmt.Errorf("event %d: direction %q is not entry or exit", e.Seq, e.Direction)
	case e.Decision == "" || e.Reason == "":
		return fmt.Errorf("event %d: decision and reason are required", e.Seq)
	case len(e.Code) > 2*checkin.MaxCodeLen:
		return fmt.Errorf("event %d: code is longer than %d bytes", e.Seq, 2*checkin.MaxCodeLen)
	case len(e.Note) > 1000:
		return fmt.Errorf("event %d: note is longer than 1000 bytes", e.Seq)
	case len(e.Person) > 128:
		return fmt.Errorf("event %d: person is longer than 128 bytes", e.Seq)
	case (e.From == "") != (e.Location == ""):
		return fmt.Errorf("event %d: from and location go together", e.Seq)
	case e.Delta < -1 || e.Delta > 1:
		return fmt.Errorf("event %d: delta %d", e.Seq, e.Delta)
	case len(e.Rights) > MaxRights:
		return fmt.Errorf("event %d: %d rights changes; at most %d", e.Seq, len(e.Rights), MaxRights)
	case e.Cursor < 0:
		return fmt.Errorf("event %d: cursor %d", e.Seq, e.Cursor)
	case e.Stamp != nil && (e.Stamp.Err < 0 || e.Stamp.Err > MaxStampErr || e.Stamp.T <= 0 || e.Stamp.T >= 1<<47):
		return fmt.Errorf("event %d: stamp %d ± %d ms is out of range", e.Seq, e.Stamp.T, e.Stamp.Err)
	}
	for _, f := range []struct{ name, v string }{
		{"door", e.Door}, {"direction", e.Direction}, {"method", e.Method}, {"code", e.Code}, {"person", e.Person},
		{"decision", e.Decision}, {"reason", e.Reason}, {"space", e.Space}, {"note", e.Note}, {"from", e.From},
		{"location", e.Location},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("event %d: %s has a NUL byte", e.Seq, f.name)
		}
	}
	for i, c := range e.Rights {
		if err := c.Check(); err != nil {
			return fmt.Errorf("event %d: rights[%d]: %v", e.Seq, i, err)
		}
		for _, d := range e.Rights[:i] {
			if d.Counter == c.Counter && d.Kind == c.Kind {
				return fmt.Errorf("event %d: rights[%d]: a second %s of %s", e.Seq, i, c.Kind, c.Counter)
			}
		}
	}
	return nil
}

// Grant is a number of capacity rights of one counter the center gave
// one kiosk, debited from its reserve before it was sent. The kiosk
// applies each grant once, by its ID (a value of the server sequence).
type Grant struct {
	ID      int64  `json:"id"`
	Counter string `json:"counter"`
	N       int    `json:"n"`
}

// Notice tells the kiosk that admitted Person into Counter (its log row
// Admission) that the person was seen leaving at another door: if that
// admission is still open there, the kiosk credits its right back.
type Notice struct {
	ID        int64  `json:"id"`
	Person    string `json:"person"`
	Counter   string `json:"counter"`
	Admission int64  `json:"admission"`
}

// Holding is a kiosk's balance of one counter and its recent demand
// (admissions through it in the last DemandWindow).
type Holding struct {
	Counter string `json:"counter"`
	Balance int    `json:"balance"`
	Demand  int    `json:"demand"`
}

// ReprintRequest asks the center to give a person a new badge serial,
// as `usher-central badge reprint` does: the badge printed with the
// old one goes on the revocation list every kiosk pulls.
type ReprintRequest struct {
	Person string `json:"person"`
}

// Check reports the first problem with r.
func (r ReprintRequest) Check() error {
	if r.Person == "" || len(r.Person) > 64 || !checkin.Printable(r.Person) {
		return fmt.Errorf("person %q is not a roster id", r.Person)
	}
	return nil
}

// ReprintResponse is the serial the new badge must carry.
type ReprintResponse struct {
	Serial uint32 `json:"serial"`
}

// RightsRequest reports a kiosk's rights; the center answers with
// grants to those below their share and asks those far above it to
// return some.
type RightsRequest struct {
	Holdings []Holding `json:"holdings"`
	// Door is where the kiosk scans now, when staff moved it from the
	// door it was enrolled for; "" for that one.
	Door string `json:"door,omitempty"`
	// Exits: the kiosk scans exits (its latest scan was one). It admits
	// nobody, so it holds no rights: the center shares its door's part
	// among the door's other kiosks and asks it to give back what it
	// holds. An urgent request overrides it: someone waits to come in.
	Exits bool `json:"exits,omitempty"`
	// Urgent: the kiosk's share of a counter is spent and someone waits
	// at the door. The center grants at least one right of each counter
	// the kiosk holds none of, if its reserve has one.
	Urgent bool `json:"urgent,omitempty"`
}

// MaxHolding bounds a reported balance or demand: no room holds a
// million people.
const MaxHolding = 1_000_000

// Check reports the first problem with r.
func (r RightsRequest) Check() error {
	if len(r.Holdings) > 256 {
		return fmt.Errorf("%d holdings; at most 256", len(r.Holdings))
	}
	if len(r.Door) > 64 {
		return fmt.Errorf("door %q is too long", r.Door)
	}
	for i, h := range r.Holdings {
		// A bound keeps the center's share arithmetic (1 + demand, summed
		// over a counter's kiosks, times the free rights) from overflowing.
		if h.Counter == "" || len(h.Counter) > 64 || h.Balance < 0 || h.Demand < 0 || h.Balance > MaxHolding || h.Demand > MaxHolding {
			return fmt.Errorf("holdings[%d]: counter %q, balance %d, demand %d", i, h.Counter, h.Balance, h.Demand)
		}
	}
	return nil
}

// RightsResponse is the center's answer: grants (already debited; a
// lost answer leaves them for the next pull to deliver), how many of
// each counter to give back, and how many places of each are free at
// other doors (the center's reserve and other kiosks' rights), so a door
// out of rights can say so.
type RightsResponse struct {
	Grants []Grant        `json:"grants,omitempty"`
	Return map[string]int `json:"return,omitempty"`
	// Debt lists the counters whose capacity was lowered below the
	// people inside: until the center leaves them out again, a right
	// an exit earns goes straight back to the center.
	Debt []string       `json:"debt,omitempty"`
	Free map[string]int `json:"free"`
	// Wait answers an urgent request that found the reserve empty while
	// another door holds places: that door is asked to give one back at
	// once, so ask again in a moment.
	Wait bool `json:"wait,omitempty"`
}

// WaitResponse answers GET /v1/wait: Woken when there is news for the
// kiosk (sync now), false when the wait ran out.
type WaitResponse struct {
	Woken bool `json:"woken"`
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
	// ServerTime is the center's clock as it answered, Unix
	// milliseconds: the kiosk measures its clock against it.
	ServerTime int64 `json:"server_time,omitempty"`
	// Refused lists the events of the push the center stored but does
	// not believe: a claim beyond what it granted this kiosk, another
	// door's event, a count below the people inside. They count for
	// nothing; the center lists each as a conflict naming the kiosk.
	Refused []Refusal `json:"refused,omitempty"`
	// Forked is set when the center holds other events under this
	// kiosk's sequence numbers: its database was restored from a backup
	// or copied to a second machine. Nothing is dropped; the kiosk must
	// be enrolled again.
	Forked bool `json:"forked,omitempty"`
}

// Refusal is one pushed event the center refused to believe, and why.
type Refusal struct {
	Seq int64  `json:"seq"`
	Why string `json:"why"`
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
	// Revoked: why the person's ticket is not valid (checkin.Person.Revoked).
	Revoked string `json:"revoked,omitempty"`
}

// Revocation is one entry of the revocation list. It revokes Person's
// signed badges of Serial and below (a lost badge and the ones it had
// replaced); Serial 4294967295 (badge.AllSerials) revokes the person:
// every credential of theirs, roster code and admission by name too.
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
	Grants      []Grant        `json:"grants,omitempty"`  // to this kiosk, up to Cursor
	Notices     []Notice       `json:"notices,omitempty"` // to this kiosk, up to Cursor
	// Presence is who is inside the spaces the kiosk's door touches, as
	// the center counts them (to an enrolled kiosk only).
	Presence *Presence `json:"presence,omitempty"`
}

// Presence is the center's count of the spaces a kiosk serves: the
// people inside each space (every open stay, at every door), those
// counted by staff without a badge, and where the people whose stays
// changed since the kiosk's cursor are now. Through is the last of the
// kiosk's own events the figures include: the kiosk adds its moves after
// it. At is the center's clock when it counted, Unix milliseconds.
type Presence struct {
	Through  int64          `json:"through"`
	At       int64          `json:"at"`
	Counts   map[string]int `json:"counts"`
	Unbadged map[string]int `json:"unbadged,omitempty"`
	People   []Where        `json:"people,omitempty"`
}

// Where is where a person is: the innermost space they are counted in,
// or checkin.Outside.
type Where struct {
	Person   string `json:"person"`
	Location string `json:"location"`
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
