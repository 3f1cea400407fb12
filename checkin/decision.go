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
	Undo  Kind = "undo" // a staff undo of an earlier scan
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

	// AlreadyInsideAgain is an entry scan of someone recorded inside a
	// space without anti-passback: the door opens (Kind Admit), but
	// nobody moves and nobody is counted again. At a kiosk limited by
	// rights it needs and spends a right like any admission and credits
	// back this kiosk's open admission of them (State.Readmits): the
	// place they hold moves to it rather than doubling, and should they
	// have left by a door this kiosk has not heard from, the center
	// counts them inside from this admission.
	AlreadyInsideAgain Reason = "already_inside_again"

	RoomFull      Reason = "room_full"
	VenueFull     Reason = "venue_full"
	OutOfCapacity Reason = "door_out_of_capacity" // this kiosk holds no capacity right; other doors may
	LogFailed     Reason = "log_failed"           // the decision could not be made durable: never admit
	KioskRevoked  Reason = "kiosk_revoked"        // the center revoked this kiosk: it admits nobody until enrolled again

	ForgedBadge  Reason = "forged_badge" // a signed badge that is malformed, altered or signed by another key
	UnknownKey   Reason = "unknown_key"  // a signed badge whose key the event does not list
	WrongEvent   Reason = "wrong_event"
	ExpiredBadge Reason = "expired_badge"
	NotYetValid  Reason = "badge_not_yet_valid"

	AdmittedManual   Reason = "admitted_manual"   // found by name, no badge
	AdmittedOverride Reason = "admitted_override" // staff override of not_entitled or already_inside
	HeadcountAdded   Reason = "headcount_added"   // staff +1: someone without a badge
	HeadcountRemoved Reason = "headcount_removed" // staff −1
	NothingToRemove  Reason = "nothing_to_remove" // staff −1 on an empty space
	Undone           Reason = "undone"
	NothingToUndo    Reason = "nothing_to_undo"
)

// Reasons lists every reason a decision can carry.
var Reasons = []Reason{Admitted, ExitRecorded, NotInside, InvalidCode, UnknownBadge, Revoked,
	NotEntitled, AlreadyInside, AlreadyInsideAgain, RoomFull, VenueFull, OutOfCapacity, LogFailed, KioskRevoked,
	ForgedBadge, UnknownKey, WrongEvent, ExpiredBadge, NotYetValid,
	AdmittedManual, AdmittedOverride, HeadcountAdded, HeadcountRemoved, NothingToRemove, Undone, NothingToUndo}

// Overridable reports whether staff may override a denial with this
// reason. Capacity denials are never overridable.
func (r Reason) Overridable() bool { return r == NotEntitled || r == AlreadyInside }

// ForCapacity reports whether r refuses for want of places: a space
// full, or a door out of its capacity rights.
func (r Reason) ForCapacity() bool { return r == RoomFull || r == VenueFull || r == OutOfCapacity }

// Method is how a scan identified the person.
type Method string

const (
	ByBadge Method = "badge" // a scanned or typed badge code
	ByName  Method = "name"  // staff found the person by name (a forgotten badge)

	// Methods of a kiosk's log rows that are no scan.
	ByHeadcount Method = "adjust" // a staff +1 or −1 of people without a badge
	ByUndo      Method = "undo"   // a staff undo of the door's latest scan
	ByRights    Method = "rights" // a row that only moves capacity rights
)

// Scan is one read of a badge at a door, or a staff admission by name.
type Scan struct {
	Code      string
	Door      string
	Direction Direction
	Method    Method // "" means ByBadge
	PersonID  string // for ByName
	Override  bool   // staff override: entitlement and anti-passback are waived, capacity never
	Note      string // the staff's reason, required for ByName and Override
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
	// Seq is the kiosk log's sequence number of the recorded decision:
	// with the kiosk's id it names the decision everywhere. 0 until the
	// decision is recorded, and for one that could not be.
	Seq int64
}

// Moves reports whether the decision changes where the person is.
func (d Decision) Moves() bool { return d.Person != nil && d.Kind != Deny && d.From != d.To }

// Decide is the admit decision: given the scan, what its code resolved
// to and the current state, it returns what the door must do. It changes
// nothing; the caller records the decision durably and only then applies
// it to the state with State.Move.
//
// It is pure (docs/design.md "The admit decision"). Order of checks: a
// code that cannot be a badge, a signed badge that is
// not good (forged, unknown key, another event, out of its validity), an
// unknown badge, then for an entry a revoked badge or a person whose
// ticket is not valid (Person.Revoked, whether a code, a signed badge or
// their name led to them), the entitlement to every space entered,
// anti-passback, and the capacity of every space whose count would rise,
// outermost first. Every person counts toward capacity; no category is
// exempt. An entry of someone recorded in the door's space already, where
// anti-passback does not refuse it, is admitted with AlreadyInsideAgain
// (unless staff override): nobody moves, so no count rises.
// It is long because it is the check order itself, one check after
// another in the order above, each returning its denial.
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
	if scan.Method != ByName && !PlausibleCode(scan.Code) {
		return deny(InvalidCode, nil, "", "This is not a badge code. Scan again.")
	}
	if badge.Problem != "" {
		return deny(badge.Problem, badge.Person, "", problemMessages[badge.Problem])
	}
	p := badge.Person
	if p == nil {
		return deny(UnknownBadge, nil, "", "Unknown badge. Send to the registration desk.")
	}
	from := st.Location(p.ID)
	// A revoked badge, or a ticket no longer valid, still lets its
	// holder out: the count must follow the person, whatever their badge.
	if (badge.Revoked || p.Revoked != "") && scan.Direction != Exit {
		if p.Revoked != "" {
			return deny(Revoked, p, "", fmt.Sprintf("This badge is no longer valid: %s. Send to the registration desk.", p.Revoked))
		}
		return deny(Revoked, p, "", "This badge is no longer valid. Send to the registration desk.")
	}

	if scan.Direction == Exit {
		if !e.within(from, door.To) {
			return Decision{Kind: Leave, Reason: NotInside, Person: p, From: from, To: from, Space: door.To,
				Message: fmt.Sprintf("Exit logged. %s was not recorded inside %s.", p.Name, e.spaces[door.To].Name)}
		}
		return Decision{Kind: Leave, Reason: ExitRecorded, Person: p, From: from, To: door.From,
			Message: fmt.Sprintf("Goodbye, %s.", p.Name)}
	}

	to := door.To
	_, entered := e.Crossed(from, to)
	if !scan.Override {
		for _, sp := range append(entered, to) {
			if !e.MayEnter(p, sp) {
				return deny(NotEntitled, p, sp, fmt.Sprintf("%s may not enter %s.", categoryName(e, p), e.spaces[sp].Name))
			}
		}
		if e.within(from, to) && e.spaces[to].AntiPassback {
			return deny(AlreadyInside, p, to, fmt.Sprintf("%s is already inside %s.", p.Name, e.spaces[to].Name))
		}
	}
	if sp, msg := e.full(entered, st); sp != nil {
		return deny(fullReason(sp), p, sp.ID, msg)
	}
	if sp, r, msg := e.needRights(scan.Door, st); sp != nil {
		return deny(r, p, sp.ID, msg)
	}
	d := Decision{Kind: Admit, Reason: Admitted, Person: p, From: from, To: to,
		Message: fmt.Sprintf("Welcome, %s.", p.Name)}
	switch {
	case scan.Override:
		d.Reason, d.Message = AdmittedOverride, fmt.Sprintf("Welcome, %s (staff override).", p.Name)
	case from == to:
		// Recorded inside already, in a space that allows re-entry: the
		// door opens, but nobody moves and no count rises. The store
		// says since when, from its log.
		d.Reason, d.Message = AlreadyInsideAgain, "Already inside (not counted again)."
	case scan.Method == ByName:
		d.Reason, d.Message = AdmittedManual, fmt.Sprintf("Welcome, %s (admitted by name).", p.Name)
	}
	return d
}

// full returns the outermost of spaces that is at or over its capacity,
// with a message saying so. A kiosk limited by rights counts with the
// other doors' moves as of its last pull, so its count may still hold
// someone who left by another door since: it refuses for capacity only
// for want of rights (needRights), which keep every space under its cap
// whatever the counts say.
func (e *Event) full(spaces []string, st *State) (*Space, string) {
	if st.rights != nil {
		return nil, ""
	}
	for _, id := range spaces {
		s := e.spaces[id]
		if n := st.Count(id); n >= s.Capacity {
			return s, fmt.Sprintf("%s is full (%d / %d).", s.Name, n, s.Capacity)
		}
	}
	return nil, ""
}

func fullReason(s *Space) Reason {
	if s.Parent == "" {
		return VenueFull
	}
	return RoomFull
}

// DecideAdjust decides a staff headcount change at a door for someone
// without a badge: +1 counts one more person into the door's room (and
// any space around it the door leads in from outside), within capacity;
// −1 takes back one person counted by +1 into that room, and no one else. The decision's From and To are
// the door's spaces.
func (e *Event) DecideAdjust(doorID string, delta int, st *State) Decision {
	door := e.doors[doorID]
	if door == nil {
		panic(fmt.Sprintf("checkin: DecideAdjust at unknown door %q", doorID))
	}
	return e.adjust(doorID, door.From, door.To, delta, st)
}

func (e *Event) adjust(door, from, to string, delta int, st *State) Decision {
	room := e.spaces[to]
	d := Decision{From: from, To: to, Space: room.ID}
	_, entered := e.Crossed(from, to)
	switch {
	case delta > 0:
		if sp, msg := e.full(entered, st); sp != nil {
			d.Kind, d.Reason, d.Message, d.Space = Deny, fullReason(sp), msg, sp.ID
			return d
		}
		if sp, r, msg := e.needRights(door, st); sp != nil {
			d.Kind, d.Reason, d.Message, d.Space = Deny, r, msg, sp.ID
			return d
		}
		d.Kind, d.Reason = Admit, HeadcountAdded
		d.Message = fmt.Sprintf("+1 counted into %s (%d / %d).", room.Name, st.Count(room.ID)+1, room.Capacity)
	default:
		// Only someone counted without a badge can be taken back: a
		// person with a badge leaves by scanning out, and a count below
		// those recorded inside would let the room fill past its cap.
		if st.Unbadged(room.ID) <= 0 {
			d.Kind, d.Reason = Deny, NothingToRemove
			d.Message = fmt.Sprintf("Nobody counted with +1 is in %s; people with badges leave by scanning out.", room.Name)
			return d
		}
		d.Kind, d.Reason = Leave, HeadcountRemoved
		d.Message = fmt.Sprintf("−1 counted out of %s (%d / %d).", room.Name, st.Count(room.ID)-1, room.Capacity)
	}
	return d
}

// Reversal is an earlier effective scan or headcount change that staff
// want to take back: the person (nil for a headcount change) went From →
// To, or Delta people were counted From → To, at Door.
type Reversal struct {
	Door   string
	Person *Person
	From   string
	To     string
	Delta  int
}

// DecideUndo decides taking back r: the person goes back where they were
// (if they have not moved since), or the headcount change is reversed.
// Going back into a space is an entry and needs room in it.
func (e *Event) DecideUndo(r Reversal, st *State) Decision {
	if r.Person == nil {
		d := e.adjust(r.Door, r.From, r.To, -r.Delta, st)
		if d.Kind == Deny {
			d.Message = "Cannot undo: " + d.Message
			return d
		}
		d.Kind, d.Reason, d.Message = Undo, Undone, "Undone: "+d.Message
		return d
	}
	p := r.Person
	d := Decision{Person: p, From: st.Location(p.ID)}
	d.To = d.From
	if d.From != r.To {
		d.Kind, d.Reason = Deny, NothingToUndo
		d.Message = fmt.Sprintf("Cannot undo: %s has moved since.", p.Name)
		return d
	}
	_, entered := e.Crossed(r.To, r.From)
	if sp, msg := e.full(entered, st); sp != nil {
		d.Kind, d.Reason, d.Space, d.Message = Deny, fullReason(sp), sp.ID, "Cannot undo: "+msg
		return d
	}
	if len(entered) > 0 {
		// Going back in is an entry through the door, and needs its rights.
		if sp, reason, msg := e.needRights(r.Door, st); sp != nil {
			d.Kind, d.Reason, d.Space, d.Message = Deny, reason, sp.ID, "Cannot undo: "+msg
			return d
		}
	}
	d.Kind, d.Reason, d.To = Undo, Undone, r.From
	d.Message = fmt.Sprintf("Undone: %s is back %s.", p.Name, e.where(r.From))
	return d
}

func (e *Event) where(loc string) string {
	if s := e.spaces[loc]; s != nil {
		return "in " + s.Name
	}
	return "outside"
}

// problemMessages say what to do about a signed badge that is not good.
var problemMessages = map[Reason]string{
	ForgedBadge:  "This badge is not genuine. Call a supervisor.",
	UnknownKey:   "This badge was signed with a key this kiosk does not know. Send to the registration desk.",
	WrongEvent:   "This badge is for another event.",
	ExpiredBadge: "This badge has expired. Send to the registration desk.",
	NotYetValid:  "This badge is not valid yet. Send to the registration desk.",
	NotEntitled:  "This badge's category may enter nowhere at this event. Send to the registration desk.",
}

// ProblemMessage says what to do about a signed badge that is not good
// for reason r ("" when r is not such a problem), for screens that show
// a badge's problem without deciding a scan.
func ProblemMessage(r Reason) string { return problemMessages[r] }

func categoryName(e *Event, p *Person) string {
	if c := e.categories[p.Category]; c != nil {
		return p.Name + " (" + c.Name + ")"
	}
	return p.Name
}
