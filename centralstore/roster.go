package centralstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"usher/badge"
	"usher/checkin"
	"usher/sync/wire"
)

// ImportResult counts what an import changed.
type ImportResult struct {
	Added, Updated, Unchanged, Removed, Revoked int
	// Voided counts the people ImportOptions.Void made not valid.
	Voided int
	// Kept counts the people whose edits made at the center (added,
	// removed, given a new code) the roster would have undone, and did
	// not (ImportOptions.Replace).
	Kept         int
	EventChanged bool
}

func (r ImportResult) String() string {
	s := fmt.Sprintf("%d added, %d updated, %d unchanged, %d removed", r.Added, r.Updated, r.Unchanged, r.Removed)
	if r.Kept > 0 {
		s += fmt.Sprintf(", %d kept as edited at the center (--replace takes the file's)", r.Kept)
	}
	return s
}

// ImportOptions change how Import treats the roster.
type ImportOptions struct {
	// Replace makes the roster exactly the file, undoing the edits made
	// at the center (person add, person revoke, a reprint's new code).
	// Without it they are kept above the file's rows.
	Replace bool
	// Merge adds and updates the people given and removes nobody: the
	// changes a ticketing system's API reports, not a whole roster. The
	// stored event stays as it is, whatever ev holds.
	Merge bool
	// Void marks the tickets of these people (by id) not valid, for the
	// reason given, in the same transaction: people an API names but
	// could not give whole (a row set aside, a product that admits
	// nobody). Ids not on the roster, removed, or not valid already are
	// left as they are.
	Void map[string]string
}

// Edits made at the center, kept in people.edited (migration 008).
const (
	editAdded   = 1 // person add: a roster without them does not remove them
	editRemoved = 2 // person revoke: a roster with them does not bring them back
	editCode    = 4 // badge reprint with a new code: a roster with the old code does not restore it
)

// Import loads or updates the event and, when roster is not nil, makes
// the roster roster (people missing from it are marked removed, but for
// the edits made at the center: see ImportWith);
// when revoked is not nil it adds those revocations to the revocation
// list: each revokes the person's signed badges of its serial and below,
// or with serial badge.AllSerials the person, every credential of
// theirs. Every change takes its own value of the server sequence, so
// kiosks pull exactly what changed. One transaction: on any error
// nothing is written.
//
// ev must be validated. Returns EINVALID for another event's id, a
// person twice, a code given to two people, or a revocation of serial 0
// (on no printed badge, so it would revoke nothing) or of nobody.
func (db *DB) Import(ctx context.Context, ev *checkin.Event, roster []checkin.Person, revoked []checkin.Revocation) (ImportResult, error) {
	return db.ImportWith(ctx, ev, roster, revoked, ImportOptions{})
}

// ImportWith is Import with options. Edits made at the center are kept
// unless opt.Replace: a person added here stays when the roster lacks
// them, one removed here stays removed, a reprint's code stays, and a
// badge serial never goes down. A roster row still sets everything else
// of such a person, their ticket status included: a cancellation always
// reaches the door.
func (db *DB) ImportWith(ctx context.Context, ev *checkin.Event, roster []checkin.Person, revoked []checkin.Revocation, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	if err := badge.CheckRevocations(revoked); err != nil {
		return res, err
	}
	if _, err := json.Marshal(ev); err != nil {
		return res, err
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		res = ImportResult{}
		// Lock the server sequence before reading the roster, so an edit
		// committing meanwhile is not missed by this import's comparison.
		if err := db.lockSeq(ctx, tx); err != nil {
			return err
		}
		ev, err := db.importEvent(ctx, tx, ev, opt, &res)
		if err != nil {
			return err
		}
		// A changed capacity changes the rights: a raise pays the debt
		// and grows the reserve, a lowering takes from it.
		if err := db.ensureRights(ctx, tx, ev); err != nil {
			return err
		}
		if roster != nil {
			if err := db.upsertRoster(ctx, tx, ev, roster, opt, &res); err != nil {
				return err
			}
		}
		if res.Voided, err = db.void(ctx, tx, opt.Void); err != nil {
			return err
		}
		if err := db.checkCategories(ctx, tx, ev); err != nil {
			return err
		}
		return db.storeRevocations(ctx, tx, revoked, &res)
	})
	return res, err
}

// importEvent stores ev over the stored event, unless it is no change,
// and returns the event the import goes on with: ev, or with
// opt.Merge the stored one. Refuses another event's import.
func (db *DB) importEvent(ctx context.Context, tx *sql.Tx, ev *checkin.Event, opt ImportOptions, res *ImportResult) (*checkin.Event, error) {
	old, _, err := db.event(ctx, tx)
	switch {
	case checkin.ErrorCode(err) == checkin.ENOTFOUND:
	case err != nil:
		return nil, err
	case old.ID != ev.ID:
		return nil, checkin.Errorf(checkin.EINVALID, "this database holds event %q; import event %q into a new database", old.ID, ev.ID)
	}
	if opt.Merge {
		// A merge brings people only: the event stays as stored, even
		// if it changed since ev was read (an import during a long
		// read of pretix), and the people are checked against it.
		if old == nil {
			return nil, checkin.Errorf(checkin.ENOTFOUND, "the center holds no event yet: import the event first")
		}
		ev = old
	}
	// The same PIN hashed again under a new salt is no change: the
	// stored hash is kept, so kiosks pull nothing.
	ev, changed := checkin.Reloaded(ev, old)
	if !changed {
		return ev, nil
	}
	def, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	seq, err := db.nextSeq(ctx, tx, 1)
	if err != nil {
		return nil, err
	}
	if _, err := db.exec(ctx, tx, `
		INSERT INTO event (id, event_id, definition, seq) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, seq = excluded.seq`,
		ev.ID, string(def), seq); err != nil {
		return nil, fmt.Errorf("store event: %w", err)
	}
	res.EventChanged = true
	if _, err := db.liveFresh(ctx, tx, ev); err != nil {
		return nil, err
	}
	if _, err := db.dashFresh(ctx, tx, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// storeRevocations stores the revocations not stored yet, each under a
// server sequence value, counting them in res.Revoked.
func (db *DB) storeRevocations(ctx context.Context, tx *sql.Tx, revoked []checkin.Revocation, res *ImportResult) error {
	for _, r := range revoked {
		seq, err := db.nextSeq(ctx, tx, 1)
		if err != nil {
			return err
		}
		result, err := db.exec(ctx, tx, `INSERT INTO revocations (person_id, serial, seq, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			r.PersonID, r.Serial, seq, db.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("revoke %s serial %d: %w", r.PersonID, r.Serial, err)
		}
		if n, _ := result.RowsAffected(); n > 0 {
			res.Revoked++
		}
	}
	return nil
}

// checkCategories refuses an event that leaves people on the roster
// with a category it does not define or lets in nowhere: kiosks refuse
// such an event, and would stop taking the center's changes. The rule
// and its wording are checkin's (Event.CheckRosterCategory); this reads
// the roster's categories for it.
func (db *DB) checkCategories(ctx context.Context, tx *sql.Tx, ev *checkin.Event) error {
	rows, err := db.query(ctx, tx, `SELECT category, count(*), min(id) FROM people WHERE removed = 0 GROUP BY category`)
	if err != nil {
		return fmt.Errorf("check categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			cat, example string
			n            int
		)
		if err := rows.Scan(&cat, &n, &example); err != nil {
			return fmt.Errorf("check categories: %w", err)
		}
		if err := ev.CheckRosterCategory(cat, n, example); err != nil {
			return err
		}
	}
	return rows.Err()
}

// upsertRoster writes roster over the stored one (see ImportWith).
func (db *DB) upsertRoster(ctx context.Context, tx *sql.Tx, ev *checkin.Event, roster []checkin.Person, opt ImportOptions, res *ImportResult) error {
	have, owners, err := db.readStoredRoster(ctx, tx)
	if err != nil {
		return err
	}
	changed, gone, err := planRoster(ev, roster, have, owners, opt, res)
	if err != nil || len(changed)+len(gone) == 0 {
		return err
	}
	return db.writeRoster(ctx, tx, changed, gone, have, owners, opt)
}

// storedPerson is a person as the center stores them: removed, and
// which of their fields an organizer edited (edit* bits).
type storedPerson struct {
	p       checkin.Person
	removed int
	edited  int
}

// readStoredRoster reads every stored person, by id, and the owner of
// every code ever issued.
func (db *DB) readStoredRoster(ctx context.Context, tx *sql.Tx) (map[string]storedPerson, map[string]string, error) {
	have := map[string]storedPerson{}
	rows, err := db.query(ctx, tx, `SELECT id, name, company, email, category, tags, code, serial, removed, revoked_why, edited FROM people`)
	if err != nil {
		return nil, nil, fmt.Errorf("read roster: %w", err)
	}
	for rows.Next() {
		var (
			s    storedPerson
			tags string
		)
		if err := rows.Scan(&s.p.ID, &s.p.Name, &s.p.Company, &s.p.Email, &s.p.Category, &tags, &s.p.Code, &s.p.Serial, &s.removed,
			&s.p.Revoked, &s.edited); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read roster: %w", err)
		}
		s.p.Tags = splitTags(tags)
		have[s.p.ID] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read roster: %w", err)
	}

	owners := map[string]string{}
	crow, err := db.query(ctx, tx, `SELECT code, person_id FROM codes`)
	if err != nil {
		return nil, nil, fmt.Errorf("read codes: %w", err)
	}
	for crow.Next() {
		var code, owner string
		if err := crow.Scan(&code, &owner); err != nil {
			crow.Close()
			return nil, nil, fmt.Errorf("read codes: %w", err)
		}
		owners[code] = owner
	}
	crow.Close()
	if err := crow.Err(); err != nil {
		return nil, nil, fmt.Errorf("read codes: %w", err)
	}
	return have, owners, nil
}

// planRoster checks roster against the stored one and decides, without
// writing, who is added or updated (changed, as they will be stored:
// an organizer's edit kept unless opt.Replace, a serial never lowered)
// and who is removed (gone, sorted), counting each in res. Returns
// EINVALID for a repeated id or code, a code of another person, or a
// category that enters no space.
func planRoster(ev *checkin.Event, roster []checkin.Person, have map[string]storedPerson, owners map[string]string,
	opt ImportOptions, res *ImportResult) (changed []checkin.Person, gone []string, err error) {
	seen := make(map[string]bool, len(roster))
	codeOf := make(map[string]string, len(roster))
	for _, p := range roster {
		switch {
		case seen[p.ID]:
			return nil, nil, checkin.Errorf(checkin.EINVALID, "person %s appears twice in the roster", p.ID)
		case codeOf[p.Code] != "":
			return nil, nil, checkin.Errorf(checkin.EINVALID, "code %q is given to both %s and %s", p.Code, codeOf[p.Code], p.ID)
		case owners[p.Code] != "" && owners[p.Code] != p.ID:
			return nil, nil, checkin.Errorf(checkin.EINVALID, "person %s: code %q already belongs to person %s", p.ID, p.Code, owners[p.Code])
		}
		if err := ev.CheckRowCategory(&p); err != nil {
			return nil, nil, err
		}
		seen[p.ID], codeOf[p.Code] = true, p.ID
		old, ok := have[p.ID]
		if ok && !opt.Replace {
			if old.edited&editRemoved != 0 && old.removed != 0 {
				res.Kept++
				continue
			}
			if old.edited&editCode != 0 && p.Code != old.p.Code {
				p.Code = old.p.Code
				res.Kept++
			}
		}
		if ok && p.Serial < old.p.Serial {
			p.Serial = old.p.Serial // a lower serial would bring back badges a reprint revoked
		}
		switch {
		case !ok:
			res.Added++
		case old.removed == 0 && old.p.Equal(p) && (!opt.Replace || old.edited == 0):
			res.Unchanged++
			continue
		default:
			res.Updated++
		}
		changed = append(changed, p)
	}
	if !opt.Merge {
		for id, s := range have {
			switch {
			case seen[id] || s.removed != 0:
			case s.edited&editAdded != 0 && !opt.Replace:
				res.Kept++
			default:
				gone = append(gone, id)
			}
		}
	}
	slices.Sort(gone)
	res.Removed = len(gone)
	return changed, gone, nil
}

// writeRoster stores the plan: the people gone removed, their codes
// freed, and the changed people written with their new codes, each
// change under a server sequence value of its own.
func (db *DB) writeRoster(ctx context.Context, tx *sql.Tx, changed []checkin.Person, gone []string, have map[string]storedPerson,
	owners map[string]string, opt ImportOptions) error {
	seq, err := db.nextSeq(ctx, tx, int64(len(changed)+len(gone)))
	if err != nil {
		return err
	}
	// A code moving from a removed or changed person to another must not
	// trip the unique index half-way: clear the codes being reassigned.
	upsert, err := tx.PrepareContext(ctx, db.rebind(`
		INSERT INTO people (id, name, company, email, category, tags, code, serial, removed, revoked_why, edited, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, company = excluded.company, email = excluded.email,
			category = excluded.category, tags = excluded.tags, code = excluded.code, serial = excluded.serial,
			removed = 0, revoked_why = excluded.revoked_why, edited = excluded.edited, seq = excluded.seq`))
	if err != nil {
		return err
	}
	defer upsert.Close()
	for _, id := range gone {
		if _, err := db.exec(ctx, tx, `UPDATE people SET removed = 1, removed_at = ?, code = ?, edited = 0, seq = ? WHERE id = ?`,
			db.Now().UnixMilli(), "removed:"+id, seq, id); err != nil {
			return fmt.Errorf("remove %s: %w", id, err)
		}
		seq++
	}
	for _, p := range changed {
		if old, ok := have[p.ID]; ok && old.p.Code != p.Code {
			if _, err := db.exec(ctx, tx, `UPDATE people SET code = ? WHERE id = ?`, "moving:"+p.ID, p.ID); err != nil {
				return err
			}
		}
	}
	for _, p := range changed {
		if owners[p.Code] == "" {
			if _, err := db.exec(ctx, tx, `INSERT INTO codes (code, person_id) VALUES (?, ?)`, p.Code, p.ID); err != nil {
				return fmt.Errorf("person %s: %w", p.ID, err)
			}
		}
		// The roster now holds the person: an edit it did not undo (a
		// reprint's code) stays marked, the rest is the file's.
		edited := 0
		if old, ok := have[p.ID]; ok && !opt.Replace {
			edited = old.edited &^ (editAdded | editRemoved)
		}
		if _, err := upsert.ExecContext(ctx, p.ID, p.Name, p.Company, p.Email, p.Category, strings.Join(p.Tags, ";"),
			p.Code, p.Serial, p.Revoked, edited, seq); err != nil {
			return fmt.Errorf("person %s: %w", p.ID, err)
		}
		seq++
	}
	return nil
}

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

// Pull returns what changed after cursor: the event definition if it
// changed, up to limit people and the revocations in the same range of
// the server sequence, the grants and notices to kiosk in that range
// (none for kiosk ""), and the cursor to ask from next. More is set when
// the page was cut short.
func (db *DB) Pull(ctx context.Context, kiosk string, cursor int64, limit int) (wire.PullResponse, error) {
	var resp wire.PullResponse
	if limit <= 0 || limit > wire.MaxPullLimit {
		limit = wire.MaxPullLimit
	}
	err := db.read(ctx, func(tx *sql.Tx) error {
		resp = wire.PullResponse{}
		var top int64
		if err := db.queryRow(ctx, tx, `SELECT value FROM counters WHERE name = 'seq'`).Scan(&top); err != nil {
			return fmt.Errorf("server sequence: %w", err)
		}
		shared, evSeq, err := db.sharedEvent(ctx, tx)
		if err != nil {
			return err
		}
		ev := shared.ev
		if evSeq > cursor {
			resp.Event = ev
		}
		through, err := db.pullPeople(ctx, tx, cursor, top, limit, &resp)
		if err != nil {
			return err
		}
		if resp.Revocations, err = db.pullRevocations(ctx, tx, cursor, through); err != nil {
			return err
		}
		resp.Cursor = through
		if kiosk == "" {
			return nil
		}
		if err := db.pullRights(ctx, tx, kiosk, cursor, through, &resp); err != nil {
			return err
		}
		resp.Presence, err = db.presence(ctx, tx, ev, kiosk, cursor, through)
		return err
	})
	return resp, err
}

// pullPeople adds to resp the people changed after cursor up to top, at
// most limit of them, and returns the sequence value the page covers:
// top, or just before the first person left for the next page (and
// resp.More is set).
func (db *DB) pullPeople(ctx context.Context, tx *sql.Tx, cursor, top int64, limit int, resp *wire.PullResponse) (through int64, err error) {
	rows, err := db.query(ctx, tx, `
		SELECT id, name, company, category, tags, code, serial, removed, revoked_why, seq FROM people
		WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, cursor, top, limit+1)
	if err != nil {
		return 0, fmt.Errorf("pull people: %w", err)
	}
	defer rows.Close()
	through = top
	for rows.Next() {
		var (
			p       wire.Person
			tags    string
			seq     int64
			removed int
		)
		// No email: kiosks get only what they show or decide with.
		if err := rows.Scan(&p.ID, &p.Name, &p.Company, &p.Category, &tags, &p.Code, &p.Serial, &removed, &p.Revoked, &seq); err != nil {
			return 0, fmt.Errorf("pull people: %w", err)
		}
		p.Removed = removed != 0
		if len(resp.People) == limit {
			resp.More, through = true, seq-1
			break
		}
		if p.Removed {
			p.Code = ""
		}
		p.Tags = splitTags(tags)
		resp.People = append(resp.People, p)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("pull people: %w", err)
	}
	return through, nil
}

// pullRevocations returns the revocations stored after cursor up to
// through.
func (db *DB) pullRevocations(ctx context.Context, tx *sql.Tx, cursor, through int64) ([]wire.Revocation, error) {
	revs, err := db.query(ctx, tx, `SELECT person_id, serial FROM revocations WHERE seq > ? AND seq <= ? ORDER BY seq`, cursor, through)
	if err != nil {
		return nil, fmt.Errorf("pull revocations: %w", err)
	}
	defer revs.Close()
	var out []wire.Revocation
	for revs.Next() {
		var r wire.Revocation
		if err := revs.Scan(&r.Person, &r.Serial); err != nil {
			return nil, fmt.Errorf("pull revocations: %w", err)
		}
		out = append(out, r)
	}
	if err := revs.Err(); err != nil {
		return nil, fmt.Errorf("pull revocations: %w", err)
	}
	return out, nil
}

// pullRights adds the grants and notices to kiosk whose sequence is in
// (cursor, through], in sequence order: a grant whose answer was lost on
// the way arrives with the next pull.
func (db *DB) pullRights(ctx context.Context, tx *sql.Tx, kiosk string, cursor, through int64, resp *wire.PullResponse) error {
	grants, err := db.query(ctx, tx, `SELECT seq, counter, n FROM grants WHERE kiosk_id = ? AND seq > ? AND seq <= ? ORDER BY seq`,
		kiosk, cursor, through)
	if err != nil {
		return fmt.Errorf("pull grants: %w", err)
	}
	defer grants.Close()
	for grants.Next() {
		var g wire.Grant
		if err := grants.Scan(&g.ID, &g.Counter, &g.N); err != nil {
			return fmt.Errorf("pull grants: %w", err)
		}
		resp.Grants = append(resp.Grants, g)
	}
	if err := grants.Err(); err != nil {
		return fmt.Errorf("pull grants: %w", err)
	}
	grants.Close()
	notices, err := db.query(ctx, tx, `
		SELECT seq, person_id, counter, admission FROM notices WHERE kiosk_id = ? AND seq > ? AND seq <= ? ORDER BY seq`,
		kiosk, cursor, through)
	if err != nil {
		return fmt.Errorf("pull notices: %w", err)
	}
	defer notices.Close()
	for notices.Next() {
		var n wire.Notice
		if err := notices.Scan(&n.ID, &n.Person, &n.Counter, &n.Admission); err != nil {
			return fmt.Errorf("pull notices: %w", err)
		}
		resp.Notices = append(resp.Notices, n)
	}
	if err := notices.Err(); err != nil {
		return fmt.Errorf("pull notices: %w", err)
	}
	return nil
}
