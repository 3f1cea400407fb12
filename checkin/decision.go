package checkin

import "fmt"

// Direction is the way a kiosk scans at its door.
type Direction string

const (
	Entry Direction = "entry" // From → To
	Exit  Direction = "exit"  // To → From
)

// Kind is what the door staff must do.
type Kind string

const (
	Admit Kind = "admit"
	Deny  Kind = "deny"
	Leave Kind = "exit" // an exit, recorded
)

// Reason is a stable snake_case code: logs, JSON output and reports use
// it, and later versions keep its meaning.
type Reason string

const (
	Admitted      Reason = "admitted"
	ExitRecorded  Reason = "exit_recorded"
	NotInside     Reason = "exit_not_inside" // exit of someone not recorded inside: logged, no count changes
	InvalidCode   Reason = "invalid_code"
	UnknownBadge  Reason = "unknown_badge"
	Revoked       Reason = "revoked"
	NotEntitled   Reason = "not_entitled"
	AlreadyInside Reason = "already_inside"
	RoomFull      Reason = "room_full"
	VenueFull     Reason = "venue_full"
	LogFailed     Reason = "log_failed" // the decision could not be made durable: never admit
)

// Reasons lists every reason a decision can carry.
var Reasons = []Reason{Admitted, ExitRecorded, NotInside, InvalidCode, UnknownBadge, Revoked,
	NotEntitled, AlreadyInside, RoomFull, VenueFull, LogFailed}

// Scan is one read of a badge at a door.
type Scan struct {
	Code      string
	Door      string
	Direction Direction
}

// Decision is the outcome of a scan. From and To are the person's
// location before and after; they are equal when nothing moves.
type Decision struct {
	Kind    Kind
	Reason  Reason
	Message string  // plain words for the screen
	Person  *Person // nil when the code names nobody
	From    string
	To      string
	Space   string // the space the reason is about (the full room, the room not entitled to), if any
}

// Moves reports whether the decision changes where the person is.
func (d Decision) Moves() bool { return d.Person != nil && d.Kind != Deny && d.From != d.To }

// Decide is the admit decision: given the scan, what its code resolved
// to and the current state, it returns what the door must do. It changes
// nothing; the caller records the decision durably and only then applies
// it to the state with State.Move.
//
// Order of checks: a code that cannot be a badge, an unknown or revoked
// badge, then for an entry the entitlement to every space entered,
// anti-passback, and the capacity of every space whose count would rise,
// outermost first. Every person counts toward capacity; no category is
// exempt.
func (e *Event) Decide(scan Scan, badge Badge, st *State) Decision {
	door := e.doors[scan.Door]
	if door == nil {
		panic(fmt.Sprintf("checkin: Decide at unknown door %q", scan.Door))
	}
	deny := func(r Reason, p *Person, space, msg string) Decision {
		d := Decision{Kind: Deny, Reason: r, Message: msg, Person: p, Space: space}
		if p != nil {
			d.From = st.Location(p.ID)
			d.To = d.From
		}
		return d
	}
	if !PlausibleCode(scan.Code) {
		return deny(InvalidCode, nil, "", "This is not a badge code. Scan again.")
	}
	p := badge.Person
	if p == nil {
		return deny(UnknownBadge, nil, "", "Unknown badge. Send to the registration desk.")
	}
	if badge.Revoked {
		return deny(Revoked, p, "", "This badge is no longer valid. Send to the registration desk.")
	}
	from := st.Location(p.ID)

	if scan.Direction == Exit {
		if !e.within(from, door.To) {
			return Decision{Kind: Leave, Reason: NotInside, Person: p, From: from, To: from, Space: door.To,
				Message: fmt.Sprintf("Exit logged. %s was not recorded inside %s.", p.Name, e.spaces[door.To].Name)}
		}
		return Decision{Kind: Leave, Reason: ExitRecorded, Person: p, From: from, To: door.From,
			Message: fmt.Sprintf("Goodbye, %s.", p.Name)}
	}

	to := door.To
	_, entered := e.crossed(from, to)
	for _, sp := range append(entered, to) {
		if !e.MayEnter(p, sp) {
			return deny(NotEntitled, p, sp, fmt.Sprintf("%s may not enter %s.", categoryName(e, p), e.spaces[sp].Name))
		}
	}
	if e.within(from, to) && e.spaces[to].AntiPassback {
		return deny(AlreadyInside, p, to, fmt.Sprintf("%s is already inside %s.", p.Name, e.spaces[to].Name))
	}
	for _, sp := range entered {
		s := e.spaces[sp]
		if n := st.Count(sp); n >= s.Capacity {
			r := RoomFull
			if s.Parent == "" {
				r = VenueFull
			}
			return deny(r, p, sp, fmt.Sprintf("%s is full (%d / %d).", s.Name, n, s.Capacity))
		}
	}
	return Decision{Kind: Admit, Reason: Admitted, Person: p, From: from, To: to,
		Message: fmt.Sprintf("Welcome, %s.", p.Name)}
}

func categoryName(e *Event, p *Person) string {
	if c := e.categories[p.Category]; c != nil {
		return p.Name + " (" + c.Name + ")"
	}
	return p.Name
}
