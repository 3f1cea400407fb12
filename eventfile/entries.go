package eventfile

import (
	"encoding/base64"

	"usher/checkin"
)

// sections are the [[section]] tables of an event file, in the order
// they are read, which decides the problem reported first.
var sections = []string{"space", "door", "category", "tag", "key", "session"}

// addTo reads the table, one entry of its section, and adds it to ev.
func (f fields) addTo(ev *checkin.Event) error {
	var err error
	switch f.section {
	case "space":
		var s checkin.Space
		s, err = f.space()
		ev.Spaces = append(ev.Spaces, s)
	case "door":
		var d checkin.Door
		d, err = f.door()
		ev.Doors = append(ev.Doors, d)
	case "category":
		var c checkin.Category
		c, err = f.category()
		ev.Categories = append(ev.Categories, c)
	case "tag":
		var t checkin.TagRule
		t, err = f.tag()
		ev.Tags = append(ev.Tags, t)
	case "key":
		var k checkin.Key
		k, err = f.key()
		ev.Keys = append(ev.Keys, k)
	case "session":
		var ss checkin.Session
		ss, err = f.session()
		ev.Sessions = append(ev.Sessions, ss)
	}
	return err
}

// space reads a [[space]]. Its capacity may not be left out: every space
// needs its fire-code occupant load (docs/design.md "The lesson").
func (f fields) space() (checkin.Space, error) {
	var s checkin.Space
	var err error
	s.ID, err = f.str("id", err)
	s.Name, err = f.str("name", err)
	s.Parent, err = f.str("parent", err)
	s.AntiPassback, err = f.boolean("anti_passback", err)
	if _, ok := f.m["capacity"]; !ok && err == nil {
		return s, f.r.errorf(f.section, f.i, "id", "space %q has no capacity; every space needs its fire-code occupant load", s.ID)
	}
	s.Capacity, err = f.integer("capacity", err)
	return s, err
}

// door reads a [[door]].
func (f fields) door() (checkin.Door, error) {
	var d checkin.Door
	var err error
	d.ID, err = f.str("id", err)
	d.Name, err = f.str("name", err)
	d.From, err = f.str("from", err)
	d.To, err = f.str("to", err)
	return d, err
}

// category reads a [[category]].
func (f fields) category() (checkin.Category, error) {
	var c checkin.Category
	var err error
	c.ID, err = f.str("id", err)
	c.Name, err = f.str("name", err)
	c.MayEnter, err = f.strs("may_enter", err)
	c.Aliases, err = f.strs("aliases", err)
	c.Color, err = f.str("color", err)
	return c, err
}

// tag reads a [[tag]].
func (f fields) tag() (checkin.TagRule, error) {
	var t checkin.TagRule
	var err error
	t.ID, err = f.str("id", err)
	t.MayEnter, err = f.strs("may_enter", err)
	return t, err
}

// key reads a [[key]], its public key in base64.
func (f fields) key() (checkin.Key, error) {
	var k checkin.Key
	var public string
	var err error
	k.ID, err = f.str("id", err)
	public, err = f.str("public", err)
	if err == nil {
		if k.Public, err = base64.StdEncoding.DecodeString(public); err != nil {
			return k, f.r.errorf(f.section, f.i, "public", "key %q: public is not base64: %v", k.ID, err)
		}
	}
	return k, err
}

// session reads a [[session]].
func (f fields) session() (checkin.Session, error) {
	var ss checkin.Session
	var err error
	ss.Title, err = f.str("title", err)
	ss.Space, err = f.str("room", err)
	ss.Start, err = f.datetime("start", err)
	ss.End, err = f.datetime("end", err)
	return ss, err
}
