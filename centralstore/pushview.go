package centralstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"usher/checkin"
	"usher/sync/wire"
)

// pushView is what one push has read of the spends and exits it books
// against, kept up to date as it writes them, so that a push of a
// kiosk's 100,000 offline scans asks the database once per person, not
// once per rule per event. Pushes take the server sequence's row lock
// first (Ingest), so no other writer changes these rows while the view
// is alive; it lives for one transaction only.
//
// Each part holds only what was read: a holder's open stays are known
// once read whole, and changes to a holder not read yet are left to the
// database, which the next read sees.
type pushView struct {
	open    map[string][]checkin.Stay // open stays by holder, as openStays orders them
	rows    map[spendKey]spendRow     // spends rows read or written, by key
	exits   map[string][]storedExit   // exits by person, as exitsOf orders them
	retired map[string]bool           // kiosks' retired flags
	// waits are the rows of credits that came before their admissions
	// (no holder) the view knows, by kiosk and seq, for dropEarly.
	waits map[kioskSeq][]spendKey
	held  held // rows booked, not written yet (pushwrite.go)
}

type kioskSeq struct {
	kiosk string
	seq   int64
}

type spendKey struct {
	kiosk   string
	seq     int64
	counter string
}

// spendRow is one spends row's state, or its absence (ok false).
type spendRow struct {
	ok     bool
	holder string
	closed int
}

func newPushView() *pushView {
	return &pushView{open: map[string][]checkin.Stay{}, rows: map[spendKey]spendRow{},
		exits: map[string][]storedExit{}, retired: map[string]bool{}, waits: map[kioskSeq][]spendKey{}, held: newHeld()}
}

func stayOrder(a, b checkin.Stay) int {
	return cmp.Or(cmp.Compare(a.Kiosk, b.Kiosk), cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Counter, b.Counter))
}

// openStaysOf is openStays through the view.
func (db *DB) openStaysOf(ctx context.Context, tx *sql.Tx, v *pushView, holder string) ([]checkin.Stay, error) {
	if open, ok := v.open[holder]; ok {
		return slices.Clone(open), nil
	}
	if err := db.writeHeld(ctx, tx, &v.held); err != nil {
		return nil, err
	}
	open, err := db.openStays(ctx, tx, holder)
	if err != nil {
		return nil, err
	}
	v.open[holder] = open
	for _, s := range open {
		v.rows[spendKey{s.Kiosk, s.Seq, s.Counter}] = spendRow{ok: true, holder: holder}
	}
	return slices.Clone(open), nil
}

// opened records a stay the push opened.
func (v *pushView) opened(s checkin.Stay) {
	v.rows[spendKey{s.Kiosk, s.Seq, s.Counter}] = spendRow{ok: true, holder: s.Holder}
	open, ok := v.open[s.Holder]
	if !ok {
		return
	}
	i, _ := slices.BinarySearchFunc(open, s, stayOrder)
	v.open[s.Holder] = slices.Insert(open, i, s)
}

// closed records that the push set the row at k closed (1 or 2).
func (v *pushView) closed(k spendKey, holder string, closed int) {
	v.rows[k] = spendRow{ok: true, holder: holder, closed: closed}
	if open, ok := v.open[holder]; ok {
		v.open[holder] = slices.DeleteFunc(open, func(s checkin.Stay) bool {
			return s.Kiosk == k.kiosk && s.Seq == k.seq && s.Counter == k.counter
		})
	}
}

// spend reads the spends row at k through the view.
func (db *DB) spend(ctx context.Context, tx *sql.Tx, v *pushView, k spendKey) (spendRow, error) {
	if r, ok := v.rows[k]; ok {
		return r, nil
	}
	var r spendRow
	err := db.queryRow(ctx, tx, `SELECT person_id, closed FROM spends WHERE kiosk_id = ? AND seq = ? AND counter = ?`,
		k.kiosk, k.seq, k.counter).Scan(&r.holder, &r.closed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return r, fmt.Errorf("spends of %s: %w", k.kiosk, err)
	default:
		r.ok = true
	}
	v.rows[k] = r
	if r.ok && r.holder == "" {
		v.waits[kioskSeq{k.kiosk, k.seq}] = append(v.waits[kioskSeq{k.kiosk, k.seq}], k)
	}
	return r, nil
}

// early records a credit's row that waits for its admission.
func (v *pushView) early(k spendKey) {
	v.rows[k] = spendRow{ok: true, closed: 1}
	v.waits[kioskSeq{k.kiosk, k.seq}] = append(v.waits[kioskSeq{k.kiosk, k.seq}], k)
}

// dropEarly forgets the waiting credits' rows of (kiosk, seq) that are
// still waiting: dropUnpaidCredits deletes them.
func (v *pushView) dropEarly(kiosk string, seq int64) {
	ks := kioskSeq{kiosk, seq}
	for _, k := range v.waits[ks] {
		if r := v.rows[k]; r.holder == "" {
			v.rows[k] = spendRow{}
		}
	}
	delete(v.waits, ks)
}

// exitsOfPerson is exitsOf through the view.
func (db *DB) exitsOfPerson(ctx context.Context, tx *sql.Tx, v *pushView, person string) ([]storedExit, error) {
	if x, ok := v.exits[person]; ok {
		return x, nil
	}
	if err := db.writeHeld(ctx, tx, &v.held); err != nil {
		return nil, err
	}
	x, err := db.exitsOf(ctx, tx, person)
	if err != nil {
		return nil, err
	}
	v.exits[person] = x
	return x, nil
}

// exited records an exit the push stored.
func (v *pushView) exited(person string, x storedExit) {
	xs, ok := v.exits[person]
	if !ok {
		return
	}
	i, _ := slices.BinarySearchFunc(xs, x, func(a, b storedExit) int {
		return cmp.Or(cmp.Compare(a.mark.Kiosk, b.mark.Kiosk), cmp.Compare(a.mark.Seq, b.mark.Seq))
	})
	v.exits[person] = slices.Insert(xs, i, x)
}

// isRetired reads a kiosk's retired flag through the view; an unknown
// kiosk is not retired.
func (db *DB) isRetired(ctx context.Context, tx *sql.Tx, v *pushView, kiosk string) (bool, error) {
	if r, ok := v.retired[kiosk]; ok {
		return r, nil
	}
	var retired int
	err := db.queryRow(ctx, tx, `SELECT retired FROM kiosks WHERE id = ?`, kiosk).Scan(&retired)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("kiosk %s: %w", kiosk, err)
	}
	v.retired[kiosk] = retired != 0
	return retired != 0, nil
}

// preloadChunk is how many people one preloading statement asks about.
const preloadChunk = 200

// preload reads into the view, in a few statements, the open stays of
// every holder the events move and the exits of every person they name,
// which the rules ask about event by event.
func (db *DB) preload(ctx context.Context, tx *sql.Tx, v *pushView, events []wire.Event) error {
	seen := map[string]bool{}
	var holders, people []string
	for _, e := range events {
		if h := holderOf(e); h != "" && !seen[h] {
			seen[h] = true
			holders = append(holders, h)
			if e.Person != "" {
				people = append(people, h)
			}
		}
	}
	for chunk := range slices.Chunk(holders, preloadChunk) {
		if err := db.preloadStays(ctx, tx, v, chunk); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(people, preloadChunk) {
		if err := db.preloadExits(ctx, tx, v, chunk); err != nil {
			return err
		}
	}
	return nil
}

// inList is the placeholders and arguments of an IN list of names,
// padded to preloadChunk with the first so that one prepared statement
// serves every chunk. On SQLite each value is written +?, as openStays
// explains.
func (db *DB) inList(names []string) (string, []any) {
	p := "+?"
	if db.pg {
		p = "?"
	}
	args := make([]any, preloadChunk)
	for i := range args {
		args[i] = names[0]
		if i < len(names) {
			args[i] = names[i]
		}
	}
	return strings.Repeat(p+", ", preloadChunk-1) + p, args
}

func (db *DB) preloadStays(ctx context.Context, tx *sql.Tx, v *pushView, holders []string) error {
	in, args := db.inList(holders)
	rows, err := db.query(ctx, tx, `
		SELECT person_id, kiosk_id, seq, counter, dest, t, terr, hlc, rseq, cursor FROM spends
		WHERE person_id IN (`+in+`) AND closed = 0 ORDER BY person_id, kiosk_id, seq, counter`, args...)
	if err != nil {
		return fmt.Errorf("open stays: %w", err)
	}
	defer rows.Close()
	for _, h := range holders {
		v.open[h] = nil
	}
	for rows.Next() {
		var (
			s checkin.Stay
			h int64
		)
		if err := rows.Scan(&s.Holder, &s.Kiosk, &s.Seq, &s.Counter, &s.Dest, &s.Stamp.T, &s.Stamp.Err, &h, &s.RSeq, &s.Cursor); err != nil {
			return fmt.Errorf("open stays: %w", err)
		}
		s.HLC = uint64(h)
		v.open[s.Holder] = append(v.open[s.Holder], s)
		v.rows[spendKey{s.Kiosk, s.Seq, s.Counter}] = spendRow{ok: true, holder: s.Holder}
	}
	return rows.Err()
}

func (db *DB) preloadExits(ctx context.Context, tx *sql.Tx, v *pushView, people []string) error {
	in, args := db.inList(people)
	rows, err := db.query(ctx, tx, `
		SELECT person_id, kiosk_id, seq, door, cursor, t, terr, hlc FROM events
		WHERE person_id IN (`+in+`) AND decision = ? AND refused = '' ORDER BY person_id, kiosk_id, seq`,
		append(args, string(checkin.Leave))...)
	if err != nil {
		return fmt.Errorf("exits: %w", err)
	}
	defer rows.Close()
	for _, p := range people {
		v.exits[p] = nil
	}
	for rows.Next() {
		var (
			person string
			x      storedExit
			h      int64
		)
		if err := rows.Scan(&person, &x.mark.Kiosk, &x.mark.Seq, &x.door, &x.mark.Cursor, &x.mark.Stamp.T, &x.mark.Stamp.Err, &h); err != nil {
			return fmt.Errorf("exits: %w", err)
		}
		x.mark.HLC = uint64(h)
		v.exits[person] = append(v.exits[person], x)
	}
	return rows.Err()
}
