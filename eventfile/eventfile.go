// Package eventfile reads an event definition from TOML: the event, its
// spaces with capacities, doors, categories and tag rules. Every error
// names the file's line.
package eventfile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"

	"usher/checkin"
)

type file struct {
	Event    eventTable      `toml:"event"`
	Space    []spaceTable    `toml:"space"`
	Door     []doorTable     `toml:"door"`
	Category []categoryTable `toml:"category"`
	Tag      []tagTable      `toml:"tag"`
	Kiosk    kioskTable      `toml:"kiosk,omitempty"`
}

type kioskTable struct {
	StaffPIN string `toml:"staff_pin,omitempty"`
}

type eventTable struct {
	ID   string `toml:"id"`
	Name string `toml:"name"`
}

type spaceTable struct {
	ID           string `toml:"id"`
	Name         string `toml:"name,omitempty"`
	Parent       string `toml:"parent,omitempty"`
	Capacity     *int   `toml:"capacity"`
	AntiPassback bool   `toml:"anti_passback,omitempty"`
}

type doorTable struct {
	ID   string `toml:"id"`
	Name string `toml:"name"`
	From string `toml:"from"`
	To   string `toml:"to"`
}

type categoryTable struct {
	ID       string   `toml:"id"`
	Name     string   `toml:"name,omitempty"`
	MayEnter []string `toml:"may_enter"`
	Aliases  []string `toml:"aliases,omitempty"`
}

type tagTable struct {
	ID       string   `toml:"id"`
	MayEnter []string `toml:"may_enter"`
}

// exemptions are keys someone might write to let a category or space
// skip counting. They get their own message: no setting exempts anyone
// from a fire-code limit.
var exemptions = map[string]bool{
	"exempt": true, "counts": true, "count": true, "uncounted": true, "unlimited": true,
	"bypass_capacity": true, "capacity_exempt": true, "exempt_from_capacity": true, "ignore_capacity": true,
}

// Load reads and validates the event file at path.
func Load(path string) (*checkin.Event, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "event file: %v", err)
	}
	return Parse(path, data)
}

// Parse reads and validates an event definition; name is used in error
// messages ("event.toml:12: …"). Errors are *checkin.Error with code
// EINVALID.
func Parse(name string, data []byte) (*checkin.Event, error) {
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	lines := index(data)
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		k := undecoded[0]
		section, key := k[0], k[len(k)-1]
		line := lines.firstKey(section, key)
		if exemptions[strings.ToLower(key)] {
			return nil, checkin.Errorf(checkin.EINVALID,
				"%s:%d: %q is not allowed: every person counts toward occupancy, and no setting exempts a %s from a capacity",
				name, line, key, section)
		}
		return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: unknown key %q in [%s]", name, line, k.String(), section)
	}

	ev := &checkin.Event{ID: f.Event.ID, Name: f.Event.Name, StaffPIN: f.Kiosk.StaffPIN}
	if ev.Name == "" {
		ev.Name = ev.ID
	}
	for i, s := range f.Space {
		if s.Capacity == nil {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: space %q has no capacity; every space needs its fire-code occupant load",
				name, lines.line("space", i, "id"), s.ID)
		}
		ev.Spaces = append(ev.Spaces, checkin.Space{ID: s.ID, Name: s.Name, Parent: s.Parent, Capacity: *s.Capacity, AntiPassback: s.AntiPassback})
	}
	for _, d := range f.Door {
		ev.Doors = append(ev.Doors, checkin.Door(d))
	}
	for _, c := range f.Category {
		ev.Categories = append(ev.Categories, checkin.Category(c))
	}
	for _, t := range f.Tag {
		ev.Tags = append(ev.Tags, checkin.TagRule(t))
	}
	if err := ev.Validate(); err != nil {
		var fe *checkin.FieldError
		if errors.As(err, &fe) {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: %s", name, lines.line(fe.Section, fe.Index, fe.Key), fe.Message)
		}
		return nil, checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	return ev, nil
}

// lineIndex finds where tables and keys stand in the file, so that a
// problem found after decoding can name its line. It reads only table
// headers and the key before '=', which is all it needs.
type lineIndex struct {
	tables []table
}

type table struct {
	name string // "space" for both [space] and [[space]]
	line int
	keys map[string]int
}

func index(data []byte) lineIndex {
	var ix lineIndex
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 64*1024), len(data)+1)
	var cur *table
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "["):
			name := strings.Trim(strings.SplitN(l, "#", 2)[0], "[] \t")
			ix.tables = append(ix.tables, table{name: name, line: n, keys: map[string]int{}})
			cur = &ix.tables[len(ix.tables)-1]
		case cur != nil && strings.Contains(l, "="):
			key := strings.Trim(strings.TrimSpace(strings.SplitN(l, "=", 2)[0]), `"'`)
			if _, seen := cur.keys[key]; !seen {
				cur.keys[key] = n
			}
		}
	}
	return ix
}

// line returns the line of key in the i-th table named section, or of the
// table's header when the key is absent, or 1.
func (ix lineIndex) line(section string, i int, key string) int {
	for _, t := range ix.tables {
		if t.name != section {
			continue
		}
		if i > 0 {
			i--
			continue
		}
		if n, ok := t.keys[key]; ok {
			return n
		}
		return t.line
	}
	return 1
}

// firstKey returns the first line where key is set in a table named
// section.
func (ix lineIndex) firstKey(section, key string) int {
	for _, t := range ix.tables {
		if n, ok := t.keys[key]; ok && t.name == section {
			return n
		}
	}
	if section != "" {
		return ix.line(section, 0, key)
	}
	return 1
}

// String renders an event back to TOML, for `usher-central demo` and for
// storing the definition beside the roster.
func String(ev *checkin.Event) (string, error) {
	var f file
	f.Event = eventTable{ID: ev.ID, Name: ev.Name}
	f.Kiosk.StaffPIN = ev.StaffPIN
	for _, s := range ev.Spaces {
		c := s.Capacity
		f.Space = append(f.Space, spaceTable{ID: s.ID, Name: s.Name, Parent: s.Parent, Capacity: &c, AntiPassback: s.AntiPassback})
	}
	for _, d := range ev.Doors {
		f.Door = append(f.Door, doorTable(d))
	}
	for _, c := range ev.Categories {
		f.Category = append(f.Category, categoryTable(c))
	}
	for _, t := range ev.Tags {
		f.Tag = append(f.Tag, tagTable(t))
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(f); err != nil {
		return "", fmt.Errorf("encode event: %w", err)
	}
	return b.String(), nil
}
