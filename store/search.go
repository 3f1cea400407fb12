package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"usher/checkin"
)

// keyRosterVersion is a setting every transaction that changes who is on
// the roster, or their name or company, bumps (bumpRoster): the name
// search keeps the roster in memory and reads it again when this moved,
// whichever process moved it.
const keyRosterVersion = "roster_version"

// bumpRoster records in tx that the roster changed.
func bumpRoster(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`, keyRosterVersion); err != nil {
		return fmt.Errorf("store setting %s: %w", keyRosterVersion, err)
	}
	return nil
}

// searchIndex is the roster as the name search reads it: everyone on it
// (not removed), by name then id as SQLite orders them, each person's
// name and company folded (fold) into a line of one string the search
// runs through. A search at 500,000 people that scans the table with
// LIKE takes about 300 ms; this one stops at the limit, and reads the
// whole string, when few match, in a few milliseconds.
type searchIndex struct {
	version string    // keyRosterVersion when it was read
	people  []indexed // by name, then id
	text    string    // each person's line, in that order
	starts  []int32   // where each person's line starts in text
}

// indexed is a person as the search index holds them.
type indexed struct {
	id, name string
	line     string // fold(name) + "\x1f" + fold(company) + "\n"
}

func newIndexed(id, name, company string) indexed {
	return indexed{id: id, name: name, line: fold(name) + "\x1f" + fold(company) + "\n"}
}

func byName(a, b indexed) int {
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// newSearchIndex makes an index of people, sorted by byName.
func newSearchIndex(version string, people []indexed) *searchIndex {
	x := &searchIndex{version: version, people: people, starts: make([]int32, len(people))}
	n := 0
	for _, p := range people {
		n += len(p.line)
	}
	var text strings.Builder
	text.Grow(n)
	for i, p := range people {
		x.starts[i] = int32(text.Len())
		text.WriteString(p.line)
	}
	x.text = text.String()
	// Each person's line becomes the part of text that holds it: the
	// index keeps one copy of every line, not two.
	for i := range x.people {
		at := int(x.starts[i])
		x.people[i].line = x.text[at : at+len(x.people[i].line)]
	}
	return x
}

// patched returns a new index with the people of ids as they are now,
// changed (a person of ids not in it left the roster).
func (x *searchIndex) patched(version string, ids []string, changed []indexed) *searchIndex {
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	slices.SortFunc(changed, byName)
	people := make([]indexed, 0, len(x.people)+len(changed))
	for _, p := range x.people {
		for len(changed) > 0 && byName(changed[0], p) < 0 {
			people, changed = append(people, changed[0]), changed[1:]
		}
		if !drop[p.id] {
			people = append(people, p)
		}
	}
	return newSearchIndex(version, append(people, changed...))
}

// search returns the positions of the first limit people whose line
// holds q, a folded query.
func (x *searchIndex) search(q string, limit int) []int {
	var found []int
	for pos := 0; len(found) < limit && pos < len(x.text); {
		i := strings.Index(x.text[pos:], q)
		if i < 0 {
			break
		}
		at := int32(pos + i)
		k := sort.Search(len(x.starts), func(k int) bool { return x.starts[k] > at }) - 1
		found = append(found, k)
		if k+1 == len(x.starts) {
			break
		}
		pos = int(x.starts[k+1])
	}
	return found
}

// fold makes a name comparable the way staff type it: lower case, accents
// off (é, ó, ñ, ç match e, o, n, c), control characters and the line
// separators dropped.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] >= 0x20 && s[i] < 0x7f
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsControl(r), r == '\x1f':
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// index returns the search index, read again when the roster changed
// since it was read.
// WarmSearch reads the roster into the name search's memory ahead of the
// first search: the screen calls it in the background as it opens, so
// staff's first search does not wait the second it takes at 500,000
// people. Scans go on meanwhile: the search has a lock of its own, and
// reads beside the writer (WAL).
func (db *DB) WarmSearch(ctx context.Context) error {
	_, err := db.index(ctx)
	return err
}

func (db *DB) index(ctx context.Context) (*searchIndex, error) {
	db.searchMu.Lock()
	defer db.searchMu.Unlock()
	version, err := db.Setting(ctx, keyRosterVersion)
	if err != nil {
		return nil, err
	}
	if db.search != nil && db.search.version == version {
		return db.search, nil
	}
	// A change committed while the rows are read leaves version behind
	// it: the next search reads them again.
	rows, err := db.db.QueryContext(ctx, `SELECT id, name, company FROM people WHERE removed = 0`)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var people []indexed
	for rows.Next() {
		var id, name, company string
		if err := rows.Scan(&id, &name, &company); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		people = append(people, newIndexed(id, name, company))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	slices.SortFunc(people, byName)
	db.search = newSearchIndex(version, people)
	return db.search, nil
}

// patchSearch brings the search index, if there is one, up to date after
// this handle changed the people of ids in a transaction that moved the
// roster's version from before to after: it reads just them again and
// stamps the index with after. When another handle or process changed
// the roster too, before or since, the stamp differs from the version
// stored, and the next search reads it all; so it does when they cannot
// be read.
func (db *DB) patchSearch(ctx context.Context, before, after string, ids []string) {
	db.searchMu.Lock()
	defer db.searchMu.Unlock()
	if db.search == nil || db.search.version != before {
		return
	}
	x := db.search
	db.search = nil // read it all again, unless the patch works out
	list, _ := json.Marshal(ids)
	rows, err := db.db.QueryContext(ctx, `SELECT id, name, company FROM people WHERE removed = 0 AND id IN (SELECT value FROM json_each(?))`,
		string(list))
	if err != nil {
		return
	}
	defer rows.Close()
	var changed []indexed
	for rows.Next() {
		var id, name, company string
		if err := rows.Scan(&id, &name, &company); err != nil {
			return
		}
		changed = append(changed, newIndexed(id, name, company))
	}
	if rows.Err() == nil {
		db.search = x.patched(after, ids, changed)
	}
}

// Search finds people on the roster whose name or company contains
// query, case and accents aside, or whose id is query, for staff
// admitting someone who forgot their badge. At most limit, by name then
// id; Location tells where each one is. People whose ticket is not valid
// are found too, with Revoked saying why ("on the revocation list" for a
// person the list revokes): staff see it before they try to admit them
// (which is denied), and can send them to the desk.
func (db *DB) Search(ctx context.Context, query string, limit int) ([]checkin.Person, error) {
	query = strings.TrimSpace(query)
	if query == "" || limit <= 0 {
		return nil, nil
	}
	x, err := db.index(ctx)
	if err != nil {
		return nil, err
	}
	var out []checkin.Person
	add := func(id string) error {
		e, err := personByID(ctx, db.db, id)
		if checkin.ErrorCode(err) == checkin.ENOTFOUND || (err == nil && e.Removed) {
			return nil // removed since the index was read
		} else if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		e.Code, e.Serial = "", 0
		if e.Listed && e.Revoked == "" {
			e.Revoked = listedWhy
		}
		out = append(out, e.Person)
		return nil
	}
	if q := fold(query); q != "" {
		for _, k := range x.search(q, limit) {
			if err := add(x.people[k].id); err != nil {
				return nil, err
			}
		}
	}
	if !slices.ContainsFunc(out, func(p checkin.Person) bool { return p.ID == query }) {
		if err := add(query); err != nil {
			return nil, err
		}
		slices.SortFunc(out, func(a, b checkin.Person) int {
			if c := strings.Compare(a.Name, b.Name); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		out = out[:min(len(out), limit)]
	}
	return out, nil
}
