package checkin

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FieldError is a problem with one entry of an event definition: Section
// and Index locate it ("space", 2), Key names the field. The event file
// reader turns it into a message naming the line.
type FieldError struct {
	Section string
	Index   int
	Key     string
	Message string
}

func (e *FieldError) Error() string {
	if e.Section == "" {
		return e.Message
	}
	return fmt.Sprintf("%s #%d, %s: %s", e.Section, e.Index+1, e.Key, e.Message)
}

// fieldError makes the *FieldError for entry i of section.
func fieldError(section string, i int, key, format string, args ...any) error {
	return &FieldError{Section: section, Index: i, Key: key, Message: fmt.Sprintf(format, args...)}
}

// Validate checks the event and prepares it for decisions. It returns a
// *FieldError for the first problem found.
//
// It prepares first (index: the default names and the lookups), so that
// each check can look up the parts an entry refers to; then it checks the
// parts in this order, which decides which problem is the first: the
// event's own fields, spaces, their nesting, doors, categories, their
// aliases, keys, tags, sessions. An event that fails is not to be used.
func (e *Event) Validate() error {
	e.index()
	for _, check := range []func() error{
		e.checkHeader,
		e.checkSpaces,
		e.checkNesting,
		e.checkDoors,
		e.checkCategories,
		e.checkAliases,
		e.checkKeys,
		e.checkTags,
		e.checkSessions,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// index names the spaces, doors and categories that have no name after
// their id, and builds the lookups the checks and the decisions read. It
// never fails: where two entries share an id the first is indexed, and a
// space whose parents are missing or loop gets no chain; the checks
// report both.
func (e *Event) index() {
	for i := range e.Spaces {
		e.Spaces[i].Name = cmp.Or(e.Spaces[i].Name, e.Spaces[i].ID)
	}
	for i := range e.Doors {
		e.Doors[i].Name = cmp.Or(e.Doors[i].Name, e.Doors[i].ID)
	}
	for i := range e.Categories {
		e.Categories[i].Name = cmp.Or(e.Categories[i].Name, e.Categories[i].ID)
	}
	e.spaces = firstByID(e.Spaces, func(s *Space) string { return s.ID })
	e.doors = firstByID(e.Doors, func(d *Door) string { return d.ID })
	e.categories = firstByID(e.Categories, func(c *Category) string { return c.ID })
	e.tags = firstByID(e.Tags, func(t *TagRule) string { return t.ID })
	e.chains = make(map[string][]string, len(e.Spaces))
	for _, s := range e.Spaces {
		if chain, ok := e.ancestry(s); ok {
			e.chains[s.ID] = chain
		}
	}
	e.aliases = make(map[string]string)
	for _, c := range e.Categories {
		for _, a := range append([]string{c.ID}, c.Aliases...) {
			k := fold(a)
			if _, ok := e.aliases[k]; !ok {
				e.aliases[k] = c.ID
			}
		}
	}
}

// firstByID indexes items by their id; where two share an id, the first
// is indexed.
func firstByID[T any](items []T, id func(*T) string) map[string]*T {
	m := make(map[string]*T, len(items))
	for i := range items {
		if k := id(&items[i]); m[k] == nil {
			m[k] = &items[i]
		}
	}
	return m
}

// ancestry returns s and its ancestors, outermost first, or false if a
// parent is not a space or the parents loop.
func (e *Event) ancestry(s Space) ([]string, bool) {
	chain := []string{s.ID}
	for p := s.Parent; p != ""; p = e.spaces[p].Parent {
		if e.spaces[p] == nil || p == s.ID || len(chain) > len(e.Spaces) {
			return nil, false
		}
		chain = append(chain, p)
	}
	slices.Reverse(chain)
	return chain, true
}

// checkHeader checks the event's own fields: its id, the staff PIN, and
// that it has a space at all.
func (e *Event) checkHeader() error {
	switch {
	case !validID(e.ID):
		return fieldError("event", 0, "id", "event id %q must be letters, digits, '-', '_' or '.'", e.ID)
	case e.StaffPIN != "" && !ValidPIN(e.StaffPIN):
		return fieldError("kiosk", 0, "staff_pin", "the staff PIN must be 4 to 12 digits")
	case len(e.Spaces) == 0:
		return fieldError("space", 0, "id", "the event has no space; define at least the venue with its capacity")
	}
	return nil
}

// checkSpaces checks each space's id and capacity. Every space needs one:
// every person counts toward occupancy (docs/design.md "The lesson").
func (e *Event) checkSpaces() error {
	for i := range e.Spaces {
		s := &e.Spaces[i]
		switch {
		case !validID(s.ID):
			return fieldError("space", i, "id", "space id %q must be letters, digits, '-', '_' or '.'", s.ID)
		case s.ID == Outside || s.ID == Everywhere:
			return fieldError("space", i, "id", "%q is reserved", s.ID)
		case e.spaces[s.ID] != s:
			return fieldError("space", i, "id", "space %q is defined twice", s.ID)
		case s.Capacity <= 0:
			return fieldError("space", i, "capacity", "space %q needs a capacity above 0 (its fire-code occupant load); got %d", s.ID, s.Capacity)
		}
	}
	return nil
}

// checkNesting checks that every parent is a space, and then that no
// space is its own ancestor (index built no chain for it).
func (e *Event) checkNesting() error {
	for i, s := range e.Spaces {
		if s.Parent != "" && e.spaces[s.Parent] == nil {
			return fieldError("space", i, "parent", "space %q has parent %q, which is not a space", s.ID, s.Parent)
		}
	}
	for i, s := range e.Spaces {
		if _, ok := e.chains[s.ID]; !ok {
			return fieldError("space", i, "parent", "space %q is its own ancestor", s.ID)
		}
	}
	return nil
}

// checkDoors checks each door's id and the two spaces it joins.
func (e *Event) checkDoors() error {
	for i := range e.Doors {
		d := &e.Doors[i]
		switch {
		case !validID(d.ID):
			return fieldError("door", i, "id", "door id %q must be letters, digits, '-', '_' or '.'", d.ID)
		case e.doors[d.ID] != d:
			return fieldError("door", i, "id", "door %q is defined twice", d.ID)
		case d.From != Outside && e.spaces[d.From] == nil:
			return fieldError("door", i, "from", "door %q comes from %q, which is neither %q nor a space", d.ID, d.From, Outside)
		case e.spaces[d.To] == nil:
			return fieldError("door", i, "to", "door %q leads to %q, which is not a space", d.ID, d.To)
		case d.From == d.To:
			return fieldError("door", i, "to", "door %q leads from %q to itself", d.ID, d.To)
		case d.From != Outside && !slices.Contains(e.chains[d.To], d.From):
			// Leaving through such a door would enter d.From without being
			// counted or paying a capacity right: an exit is never refused.
			return fieldError("door", i, "from", "door %q leads from %q into %q, which is not inside it; a door leads from outside, "+
				"or from a space into one within it (give two rooms side by side each a door from the space around them)", d.ID, d.From, d.To)
		}
	}
	return nil
}

// checkCategories checks each category's id, the spaces it may enter and
// its badge color.
func (e *Event) checkCategories() error {
	for i := range e.Categories {
		c := &e.Categories[i]
		switch {
		case !validID(c.ID):
			return fieldError("category", i, "id", "category id %q must be letters, digits, '-', '_' or '.'", c.ID)
		case e.categories[c.ID] != c:
			return fieldError("category", i, "id", "category %q is defined twice", c.ID)
		}
		if err := e.checkMayEnter(c.MayEnter); err != nil {
			return fieldError("category", i, "may_enter", "category %q: %v", c.ID, err)
		}
		if c.Color != "" && !validColor(c.Color) {
			return fieldError("category", i, "color", "category %q: color %q must be like \"#1e6b34\"", c.ID, c.Color)
		}
	}
	return nil
}

// checkAliases checks that no name (a category id or alias, folded) names
// two categories: index gave each name to the first category that has it.
func (e *Event) checkAliases() error {
	for i, c := range e.Categories {
		for _, a := range append([]string{c.ID}, c.Aliases...) {
			if other := e.aliases[fold(a)]; other != c.ID {
				return fieldError("category", i, "aliases", "%q names both category %q and %q", a, other, c.ID)
			}
		}
	}
	return nil
}

// checkKeys checks that each key is an Ed25519 public key, under the id
// it derives (KeyID), listed once.
func (e *Event) checkKeys() error {
	seen := map[string]bool{}
	for i, k := range e.Keys {
		switch {
		case len(k.Public) != 32:
			return fieldError("key", i, "public", "key %q: the public key must be 32 bytes (Ed25519) in base64", k.ID)
		case KeyID(k.Public) != k.ID:
			return fieldError("key", i, "id", "key id %q does not match its public key, whose id is %q", k.ID, KeyID(k.Public))
		case seen[k.ID]:
			return fieldError("key", i, "id", "key %q is listed twice", k.ID)
		}
		seen[k.ID] = true
	}
	return nil
}

// checkTags checks each tag rule's id and the spaces it may enter.
func (e *Event) checkTags() error {
	for i := range e.Tags {
		t := &e.Tags[i]
		switch {
		case !validID(t.ID):
			return fieldError("tag", i, "id", "tag id %q must be letters, digits, '-', '_' or '.'", t.ID)
		case e.tags[t.ID] != t:
			return fieldError("tag", i, "id", "tag %q is defined twice", t.ID)
		}
		if err := e.checkMayEnter(t.MayEnter); err != nil {
			return fieldError("tag", i, "may_enter", "tag %q: %v", t.ID, err)
		}
	}
	return nil
}

// checkSessions checks that each session has a title, a space and a
// start before its end, and overlaps no earlier session in its space.
func (e *Event) checkSessions() error {
	for i, ss := range e.Sessions {
		switch {
		case strings.TrimSpace(ss.Title) == "":
			return fieldError("session", i, "title", "the session needs a title")
		case e.spaces[ss.Space] == nil:
			return fieldError("session", i, "room", "session %q is in %q, which is not a space", ss.Title, ss.Space)
		case ss.Start.IsZero():
			return fieldError("session", i, "start", "session %q needs a start time", ss.Title)
		case ss.End.IsZero():
			return fieldError("session", i, "end", "session %q needs an end time", ss.Title)
		case !ss.End.After(ss.Start):
			return fieldError("session", i, "end", "session %q ends (%s) before it starts (%s)", ss.Title,
				ss.End.Format(time.RFC3339), ss.Start.Format(time.RFC3339))
		}
		for j, o := range e.Sessions[:i] {
			if o.Space == ss.Space && ss.Start.Before(o.End) && o.Start.Before(ss.End) {
				return fieldError("session", i, "start", "session %q overlaps session #%d %q in %s", ss.Title, j+1, o.Title, ss.Space)
			}
		}
	}
	return nil
}

// checkMayEnter checks that a may_enter list names only spaces, or
// Everywhere.
func (e *Event) checkMayEnter(ids []string) error {
	for _, id := range ids {
		if id != Everywhere && e.spaces[id] == nil {
			return fmt.Errorf("%q is not a space", id)
		}
	}
	return nil
}

func validColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := hex.DecodeString(s[1:])
	return err == nil
}
