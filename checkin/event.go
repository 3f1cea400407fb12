package checkin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Outside is the implicit root space: where everyone is before entering
// the venue and after leaving it. It has no capacity and is never counted.
const Outside = "outside"

// Everywhere, in a may_enter list, grants every space of the event.
const Everywhere = "*"

// Event is one conference: its spaces, the doors between them and who may
// enter where. Build it, then call Validate before deciding any scan.
type Event struct {
	ID         string
	Name       string
	Spaces     []Space
	Doors      []Door
	Categories []Category
	Tags       []TagRule
	Keys       []Key     // public keys that sign this event's badges; several during a rotation
	Sessions   []Session // the schedule, optional: reports speak of sessions as well as rooms

	// StaffPIN unlocks staff mode, as the event file gives it. It is
	// never stored or sent: its slow hash StaffPINHash (HashPIN) is. Both
	// "" means the PIN is set at the kiosk's first start.
	StaffPIN     string `json:"-"`
	StaffPINHash string `json:",omitempty"`

	// Kiosk holds the rest of the [kiosk] table: the doors' sound and
	// printer, defaults that staff mode may change at one door.
	Kiosk KioskSettings `json:",omitzero"`

	// Filled by Validate.
	spaces     map[string]*Space
	doors      map[string]*Door
	categories map[string]*Category
	aliases    map[string]string // folded alias → category id
	tags       map[string]*TagRule
	chains     map[string][]string // space id → itself and its ancestors, outermost first
}

// KioskSettings are the event file's defaults for every door's sound and
// badge printer. Staff mode changes them at one door only, and that
// door's choice then wins over a new event file.
type KioskSettings struct {
	Mute    bool   `json:",omitempty"` // sound = false: no tones at the doors
	Volume  int    `json:",omitempty"` // percent, 1–100; 0: DefaultVolume
	Printer string `json:",omitempty"` // CUPS queue; "": the machine's default printer
	Media   string `json:",omitempty"` // "label" (62 × 100 mm) or "a6"; "": the label
}

// The badge media a door prints on: a 62 mm label cut at 100 mm (the
// default), or an A6 sheet.
const (
	MediaLabel = "label"
	MediaA6    = "a6"
)

// ParseMedia reads a media name as staff or an event file write it:
// "label", "62x100", "62x100mm" or "a6", in any case.
func ParseMedia(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "label", "62x100", "62x100mm", "62×100", "62×100mm":
		return MediaLabel, nil
	case "a6":
		return MediaA6, nil
	}
	return "", Errorf(EINVALID, "media %q is not one Usher prints on: label (62 × 100 mm; also 62x100, 62x100mm) or a6", s)
}

// DefaultVolume is the doors' volume when the event file names none:
// loud enough for a hall, below the harshness of a full-scale square wave.
const DefaultVolume = 80

// SoundVolume is the volume the doors start with, in percent (0: muted).
func (k KioskSettings) SoundVolume() int {
	switch {
	case k.Mute:
		return 0
	case k.Volume == 0:
		return DefaultVolume
	}
	return k.Volume
}

// Space is the venue or a room inside it. Every space has a capacity: its
// fire-code occupant load, which counts every person whatever their category.
type Space struct {
	ID           string
	Name         string
	Parent       string // "" for a top-level space (a venue)
	Capacity     int
	AntiPassback bool // deny entry to someone already recorded inside
}

// Session is one item of the schedule: a talk or workshop in a space
// from Start until End.
type Session struct {
	Title string
	Space string
	Start time.Time
	End   time.Time
}

// Door connects two spaces; scanning in ENTRY moves a person From → To.
type Door struct {
	ID   string
	Name string
	From string // a space id or Outside
	To   string
}

// Category is a kind of person (attendee, speaker, sponsor-comp, staff…)
// and the spaces it may enter. Categories grant entry; none grants a way
// around a capacity.
type Category struct {
	ID       string
	Name     string
	MayEnter []string // space ids, or Everywhere
	Aliases  []string // ticket type names from other systems that mean this category
	Color    string   // "#rrggbb" for the band on printed badges; "" picks one
}

// Key is a public key that signs the event's badges. ID is KeyID(Public).
type Key struct {
	ID     string
	Public []byte // Ed25519, 32 bytes
}

// KeyID names a public key: the first 4 bytes of its SHA-256 in hex. It
// is derived, so a [[key]] block pasted with a wrong id is caught.
func KeyID(public []byte) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:4])
}

// TagRule grants the people who carry a tag (a workshop ticket, a VIP
// pass) entry to more spaces than their category does.
type TagRule struct {
	ID       string
	MayEnter []string
}

// DecodeEvent reads an event stored as JSON and validates it.
func DecodeEvent(data []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("decode stored event: %w", err)
	}
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("stored event: %w", err)
	}
	return &ev, nil
}

// CategoryIDs lists the event's category ids, for messages.
func (e *Event) CategoryIDs() string {
	ids := make([]string, len(e.Categories))
	for i, c := range e.Categories {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

// Space returns the space with the given id, or nil.
func (e *Event) Space(id string) *Space { return e.spaces[id] }

// Door returns the door with the given id, or nil.
func (e *Event) Door(id string) *Door { return e.doors[id] }

// Category returns the category with the given id, or nil.
func (e *Event) Category(id string) *Category { return e.categories[id] }

// ResolveCategory maps a category id or one of its aliases (compared
// without regard to case, spaces or punctuation) to the category id.
func (e *Event) ResolveCategory(name string) (string, bool) {
	id, ok := e.aliases[fold(name)]
	return id, ok
}

// Chain returns space id and its ancestors, outermost first; nil for
// Outside.
func (e *Event) Chain(id string) []string { return e.chains[id] }

// Reaches reports whether any space is open to the category. A category
// used on a roster must reach at least one space.
func (e *Event) Reaches(category string) bool {
	c := e.categories[category]
	return c != nil && len(c.MayEnter) > 0
}

// MayEnter reports whether p is entitled to the space, by category or tag.
func (e *Event) MayEnter(p *Person, space string) bool {
	if c := e.categories[p.Category]; c != nil && grants(c.MayEnter, space) {
		return true
	}
	for _, t := range p.Tags {
		if r := e.tags[t]; r != nil && grants(r.MayEnter, space) {
			return true
		}
	}
	return false
}

func grants(list []string, space string) bool {
	return slices.Contains(list, Everywhere) || slices.Contains(list, space)
}

// ValidPIN reports whether s can be a staff PIN: 4 to 12 digits.
func ValidPIN(s string) bool {
	if len(s) < 4 || len(s) > 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// validID accepts the ids that appear in files, URLs and command lines.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// fold reduces a name to lower-case letters and digits of any script,
// so "Sponsor Comp", "sponsor-comp" and "SPONSOR_COMP" compare equal, and
// so do pretix's "Ticket – Regular" (an en dash) and "Ticket - Regular";
// "Müller" keeps its ü.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
