package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

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

// keySearchVersion is the setting that says which roster version the
// saved search text (the search_text table) reflects.
const keySearchVersion = "search_version"

// searchChunk is about how many bytes of lines a chunk of the search
// text holds. A chunk is what a patch copies, and what is saved or read
// in one row; lines never cross chunks. Tests make it small.
var searchChunk = 64 << 10

// maxSearchPatch is how many people a pull may change before the index
// is dropped rather than patched: each one changed costs a few dozen
// lookups of names to place it, where reading it all again costs a
// second at 500,000 people.
const maxSearchPatch = 2000

// searchIndex is the roster as the name search reads it: everyone on it
// (not removed), by name then id as SQLite orders them, one line each,
//
//	fold(name) + "\x1f" + fold(company) + "\x1e" + id + "\n"
//
// in chunks of text the search runs through with strings.Index. Folded
// text has no control characters, nor has an id (checkin.Printable), so
// a match never crosses a line or the name and company. A search at
// 500,000 people that scans the table with LIKE takes about 300 ms;
// this one stops at the limit, and reads the whole text, when few
// match, in a few milliseconds.
//
// The lines are all it holds: no per-person struct, no second copy of an
// id. At 500,000 people it is about 16 MB; it was 54 MB as a slice of
// people holding their name, id and line.
type searchIndex struct {
	version string   // keyRosterVersion when it was read
	chunks  []string // the lines, in order
}

// appendLine appends a person's line to b.
func appendLine(b []byte, id, name, company string) []byte {
	b = appendFold(b, name)
	b = append(b, '\x1f')
	b = appendFold(b, company)
	b = append(b, '\x1e')
	b = append(b, id...)
	return append(b, '\n')
}

// lineID returns the id on a line (without its newline).
func lineID(line string) string { return line[strings.LastIndexByte(line, '\x1e')+1:] }

// chunker cuts lines into chunks of about searchChunk bytes.
type chunker struct {
	chunks []string
	buf    []byte
}

func (c *chunker) add(line []byte) {
	if len(c.buf) > 0 && len(c.buf)+len(line) > searchChunk {
		c.flush()
	}
	if c.buf == nil {
		c.buf = make([]byte, 0, searchChunk+256)
	}
	c.buf = append(c.buf, line...)
}

func (c *chunker) flush() {
	if len(c.buf) > 0 {
		c.chunks = append(c.chunks, string(c.buf))
		c.buf = c.buf[:0]
	}
}

// search returns the ids on the first limit lines that hold q, a folded
// query, in the name or company.
func (x *searchIndex) search(q string, limit int) []string {
	var found []string
	for _, c := range x.chunks {
		for pos := 0; len(found) < limit && pos < len(c); {
			i := strings.Index(c[pos:], q)
			if i < 0 {
				break
			}
			at := pos + i
			start := strings.LastIndexByte(c[:at], '\n') + 1
			end := at + strings.IndexByte(c[at:], '\n')
			line := c[start:end]
			// The leftmost match on a line is in the id only when the
			// name and company do not hold q: ids are matched as they are.
			if sep := strings.IndexByte(line, '\x1e'); at-start < sep {
				found = append(found, line[sep+1:])
			}
			pos = end + 1
		}
		if len(found) == limit {
			break
		}
	}
	return found
}

// appendFold appends fold(s) to b.
func appendFold(b []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] >= 0x20 && s[i] < 0x7f
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return b
	}
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsControl(r):
		default:
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
	}
	return b
}

// fold makes a name comparable the way staff type it: lower case, accents
// off (é, ó, ñ, ç match e, o, n, c), control characters (the search
// text's separators among them) dropped.
func fold(s string) string { return string(appendFold(nil, s)) }

// WarmSearch reads the roster into the name search's memory ahead of the
// first search: the screen calls it in the background as it opens, so
// staff's first search finds it there. It reads the search text Load or
// an earlier search saved (tens of milliseconds at 500,000 people), or,
// when the roster changed since, reads the roster in name order (about
// two seconds) and saves the text for the next time. Scans go on
// meanwhile: the search has a lock of its own, and reads beside the
// writer (WAL).
func (db *DB) WarmSearch(ctx context.Context) error {
	_, err := db.index(ctx)
	return err
}

// index returns the search index, read again when the roster changed
// since it was read.
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
	db.search = nil // its memory goes before the next is read
	x, err := db.savedSearch(ctx, version)
	if err != nil {
		return nil, err
	}
	if x == nil {
		if x, err = db.buildSearch(ctx, version); err != nil {
			return nil, err
		}
		// A search index that could not be saved is read again at the
		// next opening: slower, not wrong, so the search goes on.
		_ = db.saveSearch(ctx, x)
	}
	db.search = x
	return x, nil
}

// savedSearch reads the search text saved for roster version version;
// nil when none is saved for it.
func (db *DB) savedSearch(ctx context.Context, version string) (*searchIndex, error) {
	// One statement reads the version beside every chunk, from one
	// snapshot: a save committed meanwhile is not half read.
	rows, err := db.db.QueryContext(ctx, `SELECT coalesce((SELECT value FROM settings WHERE key = ?), ''), data
		FROM search_text ORDER BY chunk`, keySearchVersion)
	if err != nil {
		return nil, fmt.Errorf("read the saved search text: %w", err)
	}
	defer rows.Close()
	x := &searchIndex{version: version}
	for rows.Next() {
		var saved, data string
		if err := rows.Scan(&saved, &data); err != nil {
			return nil, fmt.Errorf("read the saved search text: %w", err)
		}
		if saved != version {
			return nil, nil
		}
		x.chunks = append(x.chunks, data)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the saved search text: %w", err)
	}
	if len(x.chunks) == 0 {
		return nil, nil // nothing saved, or an empty roster: read it
	}
	return x, nil
}

// buildSearch reads the roster into a search index stamped version, in
// one statement: each person's line and name go into one byte slice of
// each, sorted there by name then id, and cut into chunks. SQLite's own
// ORDER BY took longer than the reading, with a sorter kept within the
// page cache's 2 MB. A change committed before it reads leaves version
// behind it: the next search reads the roster again.
func (db *DB) buildSearch(ctx context.Context, version string) (*searchIndex, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, name, company FROM people WHERE removed = 0`)
	if err != nil {
		return nil, fmt.Errorf("search: read the roster: %w", err)
	}
	defer rows.Close()
	var (
		text, names    []byte
		lineAt, nameAt []int32 // where each person's line and name start; one more for the end
		id, name, comp sql.RawBytes
	)
	for rows.Next() {
		if err := rows.Scan(&id, &name, &comp); err != nil {
			return nil, fmt.Errorf("search: read the roster: %w", err)
		}
		lineAt, nameAt = append(lineAt, int32(len(text))), append(nameAt, int32(len(names)))
		text = appendLine(text, string(id), string(name), string(comp))
		names = append(names, name...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: read the roster: %w", err)
	}
	lineAt, nameAt = append(lineAt, int32(len(text))), append(nameAt, int32(len(names)))
	line := func(i int32) []byte { return text[lineAt[i]:lineAt[i+1]] }
	byName := make([]int32, len(lineAt)-1)
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(a, b int32) int {
		if c := bytes.Compare(names[nameAt[a]:nameAt[a+1]], names[nameAt[b]:nameAt[b+1]]); c != 0 {
			return c
		}
		la, lb := line(a), line(b)
		return bytes.Compare(la[bytes.LastIndexByte(la, '\x1e')+1:], lb[bytes.LastIndexByte(lb, '\x1e')+1:])
	})
	var c chunker
	for _, i := range byName {
		c.add(line(i))
	}
	c.flush()
	return &searchIndex{version: version, chunks: c.chunks}, nil
}

// saveSearch saves x's text for the next opening, unless the roster moved
// past x's version meanwhile. It holds the write lock while it writes
// (about 16 MB at 500,000 people, a few hundred milliseconds): it runs
// when the roster was loaded or changed by another process, not at every
// scan.
func (db *DB) saveSearch(ctx context.Context, x *searchIndex) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save the search text: %w", err)
	}
	defer tx.Rollback()
	if v, err := setting(ctx, tx, keyRosterVersion); err != nil || v != x.version {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_text`); err != nil {
		return fmt.Errorf("save the search text: %w", err)
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO search_text (chunk, data) VALUES (?, ?)`)
	if err != nil {
		return fmt.Errorf("save the search text: %w", err)
	}
	defer insert.Close()
	for i, c := range x.chunks {
		if _, err := insert.ExecContext(ctx, i, c); err != nil {
			return fmt.Errorf("save the search text: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, keySearchVersion, x.version); err != nil {
		return fmt.Errorf("save the search text: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save the search text: %w", err)
	}
	return nil
}

// SaveSearch reads the roster in name order and saves it as the name
// search's text, so that the kiosk opening this database next finds its
// first search ready in tens of milliseconds rather than reading the
// roster for a second or two. Load calls it. The text saved for the
// roster as it is stays.
func (db *DB) SaveSearch(ctx context.Context) error {
	version, err := db.Setting(ctx, keyRosterVersion)
	if err != nil {
		return err
	}
	if saved, err := db.Setting(ctx, keySearchVersion); err != nil || saved == version {
		return err
	}
	x, err := db.buildSearch(ctx, version)
	if err != nil {
		return err
	}
	return db.saveSearch(ctx, x)
}

// patchSearch brings the search index, if there is one, up to date after
// this handle changed the people of ids in a transaction that moved the
// roster's version from before to after: it reads just them again and
// stamps the index with after. When another handle or process changed
// the roster too, before or since, the stamp differs from the version
// stored, and the next search reads it all; so it does when they cannot
// be read, or when more than maxSearchPatch changed.
func (db *DB) patchSearch(ctx context.Context, before, after string, ids []string) {
	db.searchMu.Lock()
	defer db.searchMu.Unlock()
	if db.search == nil || db.search.version != before {
		return
	}
	x := db.search
	db.search = nil // read it all again, unless the patch works out
	if len(ids) > maxSearchPatch {
		return
	}
	list, _ := json.Marshal(ids)
	rows, err := db.db.QueryContext(ctx, `SELECT id, name, company FROM people WHERE removed = 0 AND id IN (SELECT value FROM json_each(?))
		ORDER BY name, id`, string(list))
	if err != nil {
		return
	}
	defer rows.Close()
	var changed []person
	for rows.Next() {
		var p person
		if err := rows.Scan(&p.id, &p.name, &p.company); err != nil {
			return
		}
		changed = append(changed, p)
	}
	if rows.Err() != nil {
		return
	}
	rows.Close()
	name, err := db.db.PrepareContext(ctx, `SELECT name FROM people WHERE id = ?`)
	if err != nil {
		return
	}
	defer name.Close()
	nameOf := func(id string) (string, error) {
		var n string
		return n, name.QueryRowContext(ctx, id).Scan(&n)
	}
	if p, err := x.patched(after, ids, changed, nameOf); err == nil {
		db.search = p
	}
}

// person is a roster person as the search index is patched with them.
type person struct{ id, name, company string }

// patched returns a new index with the people of ids as they are now,
// changed, sorted by name then id (a person of ids not in it left the
// roster). nameOf reads a person's stored name: a line holds a folded
// name, and the order is by the name as it is. Chunks nobody left or
// joined are shared with x.
func (x *searchIndex) patched(version string, ids []string, changed []person, nameOf func(id string) (string, error)) (*searchIndex, error) {
	chunks := withoutPeople(x.chunks, ids)
	inserts, err := placeLines(chunks, changed, nameOf)
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 && len(changed) > 0 {
		chunks = append(chunks, "")
	}
	insertLines(chunks, inserts)
	return &searchIndex{version: version, chunks: splitGrown(chunks)}, nil
}

// withoutPeople returns the chunks without the lines of the people of
// ids: what the others are placed among. A chunk that loses no line is
// shared, one that loses every line is left out.
func withoutPeople(chunks []string, ids []string) []string {
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	out := make([]string, 0, len(chunks))
	for _, c := range chunks {
		var kept []byte
		for start, rest := 0, c; len(rest) > 0; {
			end := strings.IndexByte(rest, '\n') + 1
			if drop[lineID(rest[:end-1])] {
				if kept == nil {
					kept = append(make([]byte, 0, len(c)), c[:start]...)
				}
			} else if kept != nil {
				kept = append(kept, rest[:end]...)
			}
			start, rest = start+end, rest[end:]
		}
		if kept == nil {
			out = append(out, c)
		} else if len(kept) > 0 {
			out = append(out, string(kept))
		}
	}
	return out
}

// lineInsert is a person's line placed in a chunk.
type lineInsert struct {
	at   int // byte offset in its chunk
	line []byte
}

// placeLines finds where the line of each changed person goes among
// chunks, and returns the lines by the index of their chunk. nameOf is
// as for patched.
func placeLines(chunks []string, changed []person, nameOf func(id string) (string, error)) (map[int][]lineInsert, error) {
	// before reports whether p goes before the line of id.
	before := func(p person, id string) (bool, error) {
		n, err := nameOf(id)
		if err != nil {
			return false, err
		}
		if c := strings.Compare(p.name, n); c != 0 {
			return c < 0, nil
		}
		return p.id < id, nil
	}
	inserts := make(map[int][]lineInsert)
	for _, p := range changed {
		k, at, err := placeLine(chunks, p, before)
		if err != nil {
			return nil, err
		}
		inserts[k] = append(inserts[k], lineInsert{at, appendLine(nil, p.id, p.name, p.company)})
	}
	return inserts, nil
}

// placeLine returns the chunk and the byte offset in it where the line of
// p goes: before the first line that sorts after p, the chunk found by
// its first line, the line within it.
func placeLine(chunks []string, p person, before func(p person, id string) (bool, error)) (k, at int, err error) {
	k = sort.Search(len(chunks), func(j int) bool {
		b, e := before(p, lineID(chunks[j][:strings.IndexByte(chunks[j], '\n')]))
		err = cmp.Or(err, e)
		return b
	}) - 1
	if err != nil {
		return 0, 0, err
	}
	if k < 0 {
		return 0, 0, nil // before everyone: at the start of the first chunk
	}
	c := chunks[k]
	var starts []int
	for s := 0; s < len(c); s += strings.IndexByte(c[s:], '\n') + 1 {
		starts = append(starts, s)
	}
	i := sort.Search(len(starts), func(i int) bool {
		end := starts[i] + strings.IndexByte(c[starts[i]:], '\n')
		b, e := before(p, lineID(c[starts[i]:end]))
		err = cmp.Or(err, e)
		return b
	})
	if err != nil {
		return 0, 0, err
	}
	if i < len(starts) {
		return k, starts[i], nil
	}
	return k, len(c), nil
}

// insertLines puts the placed lines into their chunks.
func insertLines(chunks []string, inserts map[int][]lineInsert) {
	for k, ins := range inserts {
		// Sorted already, unless another process renamed people while
		// they were placed: then the index is read again at the next
		// search (its version is behind), and must not break before.
		slices.SortStableFunc(ins, func(a, b lineInsert) int { return a.at - b.at })
		c := chunks[k]
		var b []byte
		prev := 0
		for _, in := range ins {
			b = append(b, c[prev:in.at]...)
			b = append(b, in.line...)
			prev = in.at
		}
		chunks[k] = string(append(b, c[prev:]...))
	}
}

// splitGrown cuts in two each chunk that patches made over twice its
// size: one patch copies a chunk, not a growing share of the roster.
func splitGrown(chunks []string) []string {
	for k := 0; k < len(chunks); k++ {
		c := chunks[k]
		if len(c) <= 2*searchChunk {
			continue
		}
		if half := len(c)/2 + strings.IndexByte(c[len(c)/2:], '\n') + 1; half < len(c) {
			chunks = slices.Insert(chunks, k+1, c[half:])
			chunks[k] = c[:half]
		}
	}
	return chunks
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
		for _, id := range x.search(q, limit) {
			if err := add(id); err != nil {
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
