// Package eventfile reads an event definition from TOML: the event and
// its dates, its spaces with capacities, doors, categories, tag rules
// and the schedule. Every error names the file's line.
package eventfile

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"usher/checkin"
)

type file struct {
	Event    eventTable      `toml:"event"`
	Space    []spaceTable    `toml:"space"`
	Door     []doorTable     `toml:"door"`
	Category []categoryTable `toml:"category"`
	Tag      []tagTable      `toml:"tag"`
	Key      []keyTable      `toml:"key"`
	Session  []sessionTable  `toml:"session"`
	Kiosk    kioskTable      `toml:"kiosk,omitempty"`
}

type sessionTable struct {
	Title string    `toml:"title"`
	Room  string    `toml:"room"`
	Start time.Time `toml:"start"`
	End   time.Time `toml:"end"`
}

type kioskTable struct {
	StaffPIN string `toml:"staff_pin,omitempty"`
	Sound    *bool  `toml:"sound,omitempty"`
	Volume   int    `toml:"volume,omitzero"`
	Printer  string `toml:"printer,omitempty"`
	Media    string `toml:"media,omitempty"`
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
	Color    string   `toml:"color,omitempty"`
}

type keyTable struct {
	ID     string `toml:"id"`
	Public string `toml:"public"`
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

// File is what an event file holds: the event definition kiosks and the
// center decide with, and its dates, which only the organizer's tools
// read (badges printed without --valid-until are valid for them).
type File struct {
	Event *checkin.Event
	Dates Dates
}

// Load reads and validates the event file at path.
func Load(path string) (*checkin.Event, error) {
	f, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	return f.Event, nil
}

// LoadFile is Load that also returns the event's dates.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, checkin.Errorf(checkin.EINVALID, "event file: %v", err)
	}
	return ParseFile(path, data)
}

// Parse reads and validates an event definition; name is used in error
// messages ("event.toml:12: …"). Errors are *checkin.Error with code
// EINVALID.
//
// The TOML is decoded loosely and each value checked here, so that a
// wrong type or an unknown key is reported at its own line, in its own
// table, whichever [[space]] it is in.
func Parse(name string, data []byte) (*checkin.Event, error) {
	f, err := ParseFile(name, data)
	if err != nil {
		return nil, err
	}
	return f.Event, nil
}

// ParseFile is Parse that also returns the event's dates.
func ParseFile(name string, data []byte) (*File, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, checkin.Errorf(checkin.EINVALID, "%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	r := reader{name: name, lines: index(data)}
	f := &File{Event: &checkin.Event{}}
	if err := r.read(raw, f); err != nil {
		return nil, err
	}
	ev := f.Event
	if err := ev.Validate(); err != nil {
		var fe *checkin.FieldError
		if errors.As(err, &fe) {
			return nil, r.errorf(fe.Section, fe.Index, fe.Key, "%s", fe.Message)
		}
		return nil, checkin.Errorf(checkin.EINVALID, "%s: %v", name, err)
	}
	if err := r.checkSessions(f); err != nil {
		return nil, err
	}
	if ev.StaffPIN != "" {
		h, err := pinHash(ev.StaffPIN)
		if err != nil {
			return nil, err
		}
		ev.StaffPINHash = h
	}
	return f, nil
}

// pinHashes holds the hash of each staff PIN this process has read: the
// same file read twice gives the same event, so importing it again
// changes nothing, and the slow hash is paid once.
var (
	pinMu     sync.Mutex
	pinHashes = map[string]string{}
)

// maxPINHashes bounds pinHashes: a process reads one event or a few.
const maxPINHashes = 16

// pinHash returns the slow hash of a staff PIN (checkin.HashPIN), the
// only form of it the event's stored definition carries.
func pinHash(pin string) (string, error) {
	pinMu.Lock()
	defer pinMu.Unlock()
	if h, ok := pinHashes[pin]; ok {
		return h, nil
	}
	h, err := checkin.HashPIN(pin)
	if err != nil {
		return "", err
	}
	if len(pinHashes) >= maxPINHashes {
		clear(pinHashes)
	}
	pinHashes[pin] = h
	return h, nil
}

// reader turns the decoded TOML into an Event, checking every key and type.
type reader struct {
	name  string
	lines lineIndex
}

func (r reader) errorf(section string, i int, key, format string, args ...any) error {
	return checkin.Errorf(checkin.EINVALID, "%s:%d: %s", r.name, r.lines.line(section, i, key), fmt.Sprintf(format, args...))
}

// keys each table may have.
var allowed = map[string][]string{
	"event":    {"id", "name", "start", "end"},
	"kiosk":    {"staff_pin", "sound", "volume", "printer", "media"},
	"space":    {"id", "name", "parent", "capacity", "anti_passback"},
	"door":     {"id", "name", "from", "to"},
	"category": {"id", "name", "may_enter", "aliases", "color"},
	"tag":      {"id", "may_enter"},
	"key":      {"id", "public"},
	"session":  {"title", "room", "start", "end"},
}

// read fills file from the decoded TOML, checking every key and type:
// the [event] and [kiosk] tables, then the [[section]] tables in the
// order of sections. It returns the first problem found.
func (r reader) read(raw map[string]any, file *File) error {
	ev := file.Event
	if err := r.unknown("", 0, raw, []string{"event", "kiosk", "space", "door", "category", "tag", "key", "session"}); err != nil {
		return err
	}
	for _, single := range []string{"event", "kiosk"} {
		if err := r.readSingle(raw, single, file); err != nil {
			return err
		}
	}
	if _, ok := raw["event"]; !ok {
		return r.errorf("", 0, "", "the file has no [event] table with the event's id")
	}
	if ev.Name == "" {
		ev.Name = ev.ID
	}
	for _, section := range sections {
		tables, err := r.tables(raw, section)
		if err != nil {
			return err
		}
		for i, m := range tables {
			if err := r.unknown(section, i, m, allowed[section]); err != nil {
				return err
			}
			if err := (fields{r, section, i, m}).addTo(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// readSingle reads the table [single], "event" or "kiosk", into file,
// when the file has one.
func (r reader) readSingle(raw map[string]any, single string, file *File) error {
	t, ok := raw[single]
	if !ok {
		return nil
	}
	m, ok := t.(map[string]any)
	if !ok {
		return r.errorf("", 0, single, "%s must be a table: [%s]", single, single)
	}
	if err := r.unknown(single, 0, m, allowed[single]); err != nil {
		return err
	}
	f := fields{r, single, 0, m}
	var err error
	if single == "event" {
		file.Event.ID, err = f.str("id", err)
		file.Event.Name, err = f.str("name", err)
		file.Dates.Start, err = f.datetime("start", err)
		file.Dates.End, err = f.datetime("end", err)
		if err == nil {
			err = r.checkDates(file.Dates)
		}
	} else {
		file.Event.StaffPIN, err = f.str("staff_pin", err)
		file.Event.Kiosk, err = f.kiosk(err)
	}
	return err
}

// tables returns the [[section]] tables, or an error if section is not
// an array of tables.
func (r reader) tables(raw map[string]any, section string) ([]map[string]any, error) {
	switch v := raw[section].(type) {
	case nil:
		return nil, nil
	case []map[string]any:
		return v, nil
	case []any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, r.errorf(section, i, "", "%s entries must be tables: [[%s]]", section, section)
			}
			out[i] = m
		}
		return out, nil
	}
	return nil, r.errorf("", 0, section, "%s must be written as [[%s]] tables", section, section)
}

// unknown reports the first key of m, by line, that is not in known. Keys
// that would exempt someone from counting get their own message.
func (r reader) unknown(section string, i int, m map[string]any, known []string) error {
	var bad []string
	for k := range m {
		if !slices.Contains(known, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.SortFunc(bad, func(a, b string) int { return r.lines.line(section, i, a) - r.lines.line(section, i, b) })
	k := bad[0]
	if exemptions[strings.ToLower(k)] {
		return r.errorf(section, i, k, "%q is not allowed: every person counts toward occupancy, and no setting exempts a %s from a capacity", k, section)
	}
	if section == "" {
		return r.errorf(section, i, k, "unknown key %q (known tables: [event], [kiosk], [[space]], [[door]], [[category]], [[tag]], [[key]], [[session]])", k)
	}
	return r.errorf(section, i, k, "unknown key %q in [%s] (known: %s)", k, section, strings.Join(known, ", "))
}

// fields reads typed values out of one table; each getter passes on an
// earlier error, so a run of reads needs one check at the end.
type fields struct {
	r       reader
	section string
	i       int
	m       map[string]any
}

func (f fields) wrong(key, want string, v any) error {
	return f.r.errorf(f.section, f.i, key, "%s must be %s, not %s", key, want, tomlType(v))
}

func (f fields) str(key string, err error) (string, error) {
	v, ok := f.m[key]
	if err != nil || !ok {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", f.wrong(key, "a string in quotes", v)
	}
	return s, nil
}

func (f fields) integer(key string, err error) (int, error) {
	v, ok := f.m[key]
	if err != nil || !ok {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok || n > 1<<31 || n < -(1<<31) {
		return 0, f.wrong(key, "a whole number", v)
	}
	return int(n), nil
}

// datetime reads a date and time with its UTC offset, written as a TOML
// datetime (start = 2026-05-14T10:00:00+02:00) or the same in quotes. A
// time without an offset is refused: kiosks and the center may be in
// different time zones, and a report must not shift a session by hours.
func (f fields) datetime(key string, err error) (time.Time, error) {
	v, ok := f.m[key]
	if err != nil || !ok {
		return time.Time{}, err
	}
	const want = "a date and time with its UTC offset, like 2026-05-14T10:00:00+02:00"
	switch t := v.(type) {
	case time.Time:
		if t.Location().String() == "datetime-local" || t.Location().String() == "date-local" || t.Location().String() == "time-local" {
			return time.Time{}, f.r.errorf(f.section, f.i, key, "%s must be %s; %s has no offset", key, want, t.Format("2006-01-02T15:04:05"))
		}
		return t, nil
	case string:
		parsed, perr := time.Parse(time.RFC3339, t)
		if perr != nil {
			return time.Time{}, f.r.errorf(f.section, f.i, key, "%s must be %s, not %q", key, want, t)
		}
		return parsed, nil
	}
	return time.Time{}, f.wrong(key, want, v)
}

func (f fields) boolean(key string, err error) (bool, error) {
	v, ok := f.m[key]
	if err != nil || !ok {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, f.wrong(key, "true or false", v)
	}
	return b, nil
}

func (f fields) strs(key string, err error) ([]string, error) {
	v, ok := f.m[key]
	if err != nil || !ok {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, f.wrong(key, `a list of strings, like ["venue"]`, v)
	}
	out := make([]string, len(list))
	for j, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, f.wrong(key, `a list of strings, like ["venue"]`, v)
		}
		out[j] = s
	}
	return out, nil
}

func tomlType(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case int64, float64:
		return fmt.Sprintf("the number %v", v)
	case bool:
		return fmt.Sprintf("%v", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
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
	ix.tables = append(ix.tables, table{name: "", line: 1, keys: map[string]int{}})
	cur := &ix.tables[0] // keys before the first table header
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "["):
			name := strings.Trim(strings.SplitN(l, "#", 2)[0], "[] \t")
			ix.tables = append(ix.tables, table{name: name, line: n, keys: map[string]int{}})
			cur = &ix.tables[len(ix.tables)-1]
		case strings.Contains(l, "=") && !strings.HasPrefix(l, "#"):
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

// String renders an event back to TOML, for `usher-central demo` and for
// storing the definition beside the roster. The staff PIN is written
// only when ev holds it in clear, as an event read from a file does: an
// event read back from a database carries only its hash. The dates of
// [event] are the file's, not the event's (File.Dates), and are not
// written.
func String(ev *checkin.Event) (string, error) {
	var f file
	f.Event = eventTable{ID: ev.ID, Name: ev.Name}
	f.Kiosk = kioskTable{StaffPIN: ev.StaffPIN, Volume: ev.Kiosk.Volume, Printer: ev.Kiosk.Printer, Media: ev.Kiosk.Media}
	if ev.Kiosk.Mute {
		f.Kiosk.Sound = new(false)
	}
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
	for _, k := range ev.Keys {
		f.Key = append(f.Key, keyTable{ID: k.ID, Public: base64.StdEncoding.EncodeToString(k.Public)})
	}
	for _, ss := range ev.Sessions {
		f.Session = append(f.Session, sessionTable{Title: ss.Title, Room: ss.Space, Start: ss.Start, End: ss.End})
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(f); err != nil {
		return "", fmt.Errorf("encode event: %w", err)
	}
	return b.String(), nil
}
