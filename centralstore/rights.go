package centralstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"usher/checkin"
	"usher/sync/wire"
)

// Capacity rights (docs/design.md "Capacity rights"): the center's side of each space's
// escrow. It holds cap rights per counter and grants them to kiosks from
// its reserve; a kiosk spends one per counter its door increases when it
// admits, and only the kiosk that spent a right credits it back. The
// books balance at every instant:
//
//	inside + held by kiosks + reserve + in transit = cap + debt
//
// where debt is what a lowered cap took beyond the reserve. Every call
// here that moves rights takes the server sequence's row lock first, so
// the calls of several server processes sharing one PostgreSQL database
// apply one after another and never hand out the same rights twice.

// ActiveWithin is how recently a kiosk must have been heard from for its
// demand to weigh in the sharing of free rights: a kiosk that stopped
// syncing should not hold back a share the doors still open need.
const ActiveWithin = 2 * time.Minute

// CounterRights is the center's books for one capacity counter.
type CounterRights struct {
	Counter string `json:"counter"`
	Cap     int64  `json:"cap"`
	Inside  int64  `json:"inside"`  // open stays: the people inside, as every screen shows them
	Pending int64  `json:"pending"` // stays closed here whose kiosk has yet to credit the right (a notice is on its way)
	Reserve int64  `json:"reserve"` // the center may still grant these
	Debt    int64  `json:"debt"`    // a lowered cap took these beyond the reserve
	Held    int64  `json:"held"`    // held by kiosks, as their pushed events say
}

// lockSeq takes the server sequence's row lock without taking a value:
// whatever tx reads next, no other writer changes until it ends.
func (db *DB) lockSeq(ctx context.Context, tx *sql.Tx) error {
	if _, err := db.exec(ctx, tx, `UPDATE counters SET value = value WHERE name = 'seq'`); err != nil {
		return fmt.Errorf("server sequence: %w", err)
	}
	return nil
}

// ensureRights gives every space of ev a rights row (cap and reserve its
// capacity) and brings each row to its space's capacity: a raise first
// pays the debt, then adds to the reserve; a lowering takes from the
// reserve, and what the reserve lacks becomes debt, paid by the rights
// kiosks return.
func (db *DB) ensureRights(ctx context.Context, tx *sql.Tx, ev *checkin.Event) error {
	for _, s := range ev.Spaces {
		var cap, reserve, debt int64
		err := db.queryRow(ctx, tx, `SELECT cap, reserve, debt FROM rights WHERE counter = ?`, s.ID).Scan(&cap, &reserve, &debt)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := db.exec(ctx, tx, `INSERT INTO rights (counter, cap, reserve, debt, inside) VALUES (?, ?, ?, 0, 0)`,
				s.ID, s.Capacity, s.Capacity); err != nil {
				return fmt.Errorf("rights of %s: %w", s.ID, err)
			}
			continue
		} else if err != nil {
			return fmt.Errorf("rights of %s: %w", s.ID, err)
		}
		diff := int64(s.Capacity) - cap
		if diff == 0 {
			continue
		}
		if diff > 0 {
			pay := min(debt, diff)
			debt, reserve = debt-pay, reserve+diff-pay
		} else {
			take := min(reserve, -diff)
			reserve, debt = reserve-take, debt+(-diff-take)
		}
		if _, err := db.exec(ctx, tx, `UPDATE rights SET cap = ?, reserve = ?, debt = ? WHERE counter = ?`,
			s.Capacity, reserve, debt, s.ID); err != nil {
			return fmt.Errorf("rights of %s: %w", s.ID, err)
		}
	}
	return nil
}

// credit gives n rights of counter back to the center: they pay the debt
// first, and only the rest goes to the reserve.
func (db *DB) credit(ctx context.Context, tx *sql.Tx, counter string, n int64) error {
	if n <= 0 {
		return nil
	}
	// Both right-hand sides read the row as it was before the update.
	_, err := db.exec(ctx, tx, `
		UPDATE rights SET debt = debt - (CASE WHEN debt < ? THEN debt ELSE ? END),
			reserve = reserve + ? - (CASE WHEN debt < ? THEN debt ELSE ? END)
		WHERE counter = ?`, n, n, n, n, n, counter)
	if err != nil {
		return fmt.Errorf("credit %s: %w", counter, err)
	}
	return nil
}

// addInside counts n more (or fewer) people inside counter.
func (db *DB) addInside(ctx context.Context, tx *sql.Tx, counter string, n int64) error {
	if _, err := db.exec(ctx, tx, `UPDATE rights SET inside = inside + ? WHERE counter = ?`, n, counter); err != nil {
		return fmt.Errorf("rights of %s: %w", counter, err)
	}
	return nil
}

// addHolding changes the center's view of a kiosk's balance by n.
func (db *DB) addHolding(ctx context.Context, tx *sql.Tx, kiosk, counter string, n int64) error {
	if _, err := db.exec(ctx, tx, `
		INSERT INTO holdings (kiosk_id, counter, n, demand) VALUES (?, ?, ?, 0)
		ON CONFLICT (kiosk_id, counter) DO UPDATE SET n = holdings.n + excluded.n`, kiosk, counter, n); err != nil {
		return fmt.Errorf("holdings of %s: %w", kiosk, err)
	}
	return nil
}

// tally sums the counter changes of a push's events, written once at the
// end (flush): a push of 1,000 scans would otherwise update the same few
// rows thousands of times. Each sum is what the changes one by one would
// have made: holdings and people inside add up, and credits pay the debt
// first either way.
type tally struct {
	holding map[[2]string]int64 // by kiosk and counter
	inside  map[string]int64
	credit  map[string]int64
	closes  int64    // stays the event being booked closed
	noticed []string // kiosks sent a notice, to wake once the push commits
	notices []notice // the notices, written at the flush
	v       *pushView
	// early: the pushing kiosk has credits that came before their
	// admissions (creditStay), so its spends and rows look for them.
	early bool
}

func newTally() *tally {
	return &tally{holding: map[[2]string]int64{}, inside: map[string]int64{}, credit: map[string]int64{}, v: newPushView()}
}

// notice is a stay closed by another kiosk's exit, or by a rule, that its
// own kiosk must credit: it hears of it at its next pull.
type notice struct {
	kiosk, person, counter string
	admission              int64
	exitKiosk              string
	exitSeq                int64
}

// flush writes the notices, under consecutive values of the server
// sequence, and the sums, in sorted order.
func (t *tally) flush(ctx context.Context, db *DB, tx *sql.Tx) error {
	if err := db.writeHeld(ctx, tx, &t.v.held); err != nil {
		return err
	}
	if len(t.notices) > 0 {
		id, err := db.nextSeq(ctx, tx, int64(len(t.notices)))
		if err != nil {
			return err
		}
		for i, n := range t.notices {
			if _, err := db.exec(ctx, tx, `
				INSERT INTO notices (seq, kiosk_id, person_id, counter, admission, exit_kiosk, exit_seq)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id+int64(i), n.kiosk, n.person, n.counter, n.admission, n.exitKiosk, n.exitSeq); err != nil {
				return fmt.Errorf("notice: %w", err)
			}
		}
		t.notices = nil
	}
	keys := slices.Collect(maps.Keys(t.holding))
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, k := range keys {
		if err := db.addHolding(ctx, tx, k[0], k[1], t.holding[k]); err != nil {
			return err
		}
	}
	for _, c := range slices.Sorted(maps.Keys(t.inside)) {
		if n := t.inside[c]; n != 0 {
			if err := db.addInside(ctx, tx, c, n); err != nil {
				return err
			}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(t.credit)) {
		if err := db.credit(ctx, tx, c, t.credit[c]); err != nil {
			return err
		}
	}
	return nil
}

// applyRights books the rights changes of one newly stored event of a
// kiosk, pushed with server sequence value rseq, counters in t. A grant
// was booked when it was issued; a return goes to the center; a spend
// opens a stay (checkin/presence.go); a credit closes the kiosk's own
// stay, or takes in the right of one the center closed already.
func (db *DB) applyRights(ctx context.Context, tx *sql.Tx, t *tally, ev *checkin.Event, kiosk string, e wire.Event, rseq int64) error {
	holder := holderOf(e)
	st := stampOf(e)
	// Where the admission led is its door's inner side, whatever the
	// kiosk believed: one that thought the person inside already logged
	// no move, and the stay is no less a stay in that space.
	dest := e.Location
	if d := ev.Door(e.Door); d != nil && e.Delta == 0 {
		dest = d.To
	}
	for _, c := range e.Rights {
		var err error
		hk := [2]string{kiosk, c.Counter}
		switch c.Kind {
		case checkin.RightReturn:
			t.holding[hk] -= int64(c.N)
			if c.N > 0 {
				t.credit[c.Counter] += int64(c.N)
			}
		case checkin.RightSpend:
			t.holding[hk]--
			err = db.openStay(ctx, tx, t, kiosk, e, c.Counter, holder, dest, st, rseq)
		case checkin.RightCredit:
			err = db.creditStay(ctx, tx, t, kiosk, e, c, rseq)
		}
		if err != nil {
			return fmt.Errorf("event %d: %s of %s: %w", e.Seq, c.Kind, c.Counter, err)
		}
	}
	if !t.early {
		return nil
	}
	return db.dropUnpaidCredits(ctx, tx, t, kiosk, e.Seq)
}

// openStay books a spend: the stay it opens, or, when the kiosk's credit
// of it arrived first (pushes are order-free), the closed stay that
// credit left waiting for it.
func (db *DB) openStay(ctx context.Context, tx *sql.Tx, t *tally, kiosk string, e wire.Event, counter, holder, dest string,
	st checkin.Stamp, rseq int64) error {
	k := spendKey{kiosk, e.Seq, counter}
	waiting := false
	if t.early {
		r, err := db.spend(ctx, tx, t.v, k)
		if err != nil {
			return err
		}
		waiting = r.ok && r.holder == ""
	}
	if waiting {
		// The credit that waited gives the right back now that the
		// admission that spent it is here.
		hk := [2]string{kiosk, counter}
		t.holding[hk]++
		t.v.rows[k] = spendRow{ok: true, holder: holder, closed: 1}
		_, err := db.exec(ctx, tx, `UPDATE spends SET person_id = ?, hlc = ?, rseq = ?, dest = ?, t = ?, terr = ?, cursor = ?
			WHERE kiosk_id = ? AND seq = ? AND counter = ?`, holder, int64(e.HLC), rseq, dest, st.T, st.Err, e.Cursor,
			kiosk, e.Seq, counter)
		return err
	}
	t.inside[counter]++
	// Written at the end of the push, with the event (pushwrite.go).
	t.v.held.holdSpend(k, []any{kiosk, e.Seq, counter, holder, int64(e.HLC), rseq, 0, dest, st.T, st.Err, int64(0), rseq, e.Cursor})
	t.v.opened(checkin.Stay{Holder: holder, Kiosk: kiosk, Seq: e.Seq, Counter: counter, Dest: dest, Stamp: st,
		HLC: e.HLC, RSeq: rseq, Cursor: e.Cursor})
	return nil
}

// creditStay books a kiosk's credit of its own admission c.Ref: the
// right comes back to the kiosk, and the stay closes if it was open. A
// credit of an admission the center has and that spent no such right,
// of one credited already, or of a later row, frees nothing. A credit
// that arrives before its admission (pushes are order-free) leaves a
// closed stay with no holder for the admission to fill.
func (db *DB) creditStay(ctx context.Context, tx *sql.Tx, t *tally, kiosk string, e wire.Event, c checkin.RightChange, rseq int64) error {
	if c.Ref%wire.MaxSeq >= e.Seq%wire.MaxSeq {
		return nil // seqs of a forked log's branches compare as the kiosk sent them
	}
	hk := [2]string{kiosk, c.Counter}
	k := spendKey{kiosk, c.Ref, c.Counter}
	r, err := db.spend(ctx, tx, t.v, k)
	switch {
	case err != nil:
		return err
	case !r.ok:
		if _, ok := t.v.held.seqs[c.Ref]; ok {
			return nil
		}
		var stored int
		if err := db.queryRow(ctx, tx, `SELECT count(*) FROM events WHERE kiosk_id = ? AND seq = ?`, kiosk, c.Ref).Scan(&stored); err != nil {
			return err
		}
		if stored > 0 {
			return nil
		}
		// The right comes back only with the admission that spent it
		// (openStay): a credit of an admission never sent frees nothing.
		t.closes++
		t.early = true
		t.v.early(k)
		_, err = db.exec(ctx, tx, `
			INSERT INTO spends (kiosk_id, seq, counter, person_id, hlc, rseq, closed, dest, t, terr, closed_hlc, pseq, cursor)
			VALUES (?, ?, ?, '', 0, 0, 1, '', 0, -1, ?, ?, 0)`, kiosk, c.Ref, c.Counter, int64(e.HLC), rseq)
		return err
	case r.closed == 1:
		return nil
	}
	t.holding[hk]++
	t.v.closed(k, r.holder, 1)
	if r.closed == 0 {
		t.inside[c.Counter]--
		t.closes++
		if t.v.held.closeHeld(k, 1, int64(e.HLC), rseq, true) {
			return nil
		}
		_, err = db.exec(ctx, tx, `UPDATE spends SET closed = 1, closed_hlc = ?, pseq = ? WHERE kiosk_id = ? AND seq = ? AND counter = ?`,
			int64(e.HLC), rseq, kiosk, c.Ref, c.Counter)
		return err
	}
	if t.v.held.closeHeld(k, 1, 0, 0, false) {
		return nil
	}
	_, err = db.exec(ctx, tx, `UPDATE spends SET closed = 1 WHERE kiosk_id = ? AND seq = ? AND counter = ?`, kiosk, c.Ref, c.Counter)
	return err
}

// dropUnpaidCredits drops the credits that waited for the kiosk's row
// seq when that row, now stored, spent no such right: they freed nothing.
func (db *DB) dropUnpaidCredits(ctx context.Context, tx *sql.Tx, t *tally, kiosk string, seq int64) error {
	t.v.dropEarly(kiosk, seq)
	_, err := db.exec(ctx, tx, `DELETE FROM spends WHERE kiosk_id = ? AND seq = ? AND person_id = ''`, kiosk, seq)
	return err
}

// holderOf is whose stays an event moves (checkin.Holder).
func holderOf(e wire.Event) string {
	return checkin.Holder(e.Person, e.Delta, e.Location)
}

// stampOf is an event's stamp; without one, its hybrid clock's time with
// no bound, which proves no order.
func stampOf(e wire.Event) checkin.Stamp {
	if e.Stamp != nil {
		return *e.Stamp
	}
	return checkin.Stamp{T: int64(e.HLC >> 16), Err: -1}
}

// Rights answers a kiosk's report of its rights (wire.RightsRequest):
// for each counter its door increases, and each other counter it
// reports holding, it records the kiosk's demand and shares the free
// rights (the reserve and every live kiosk's holdings) among the doors
// the event lists into the counter (checkin.Event.DecideShare, after
// the center's pool), in proportion to 1 + the demand of their live kiosks. A kiosk
// below its share is granted the difference from the reserve less the
// pool (nothing while the counter is in debt); one above its high-water
// mark, or asked on the spot for a door where someone waits, is asked to
// return the excess; while the counter is in debt, or when the kiosk
// scans exits, it is asked to return all it holds. An urgent request
// (someone waits and the kiosk holds none) is granted one from the whole
// reserve, or, when the reserve is empty and another live kiosk holds
// some, answered Wait while the fullest is woken to give one back.
// Counters go in sorted order, so the same history gives the same grants.
//
// Returns ENOTFOUND before any import or for an unknown kiosk, and
// EUNAUTHORIZED for a revoked one.
func (db *DB) Rights(ctx context.Context, kiosk string, req wire.RightsRequest) (wire.RightsResponse, error) {
	var (
		resp    wire.RightsResponse
		woken   []string
		ensured *sharedEvent // whose rows this request brought to its capacities
	)
	defer func() {
		if len(woken) > 0 && resp.Wait {
			db.wake(woken)
		}
	}()
	err := db.write(ctx, func(tx *sql.Tx) error {
		resp, ensured = wire.RightsResponse{Free: map[string]int{}}, nil
		if err := db.lockSeq(ctx, tx); err != nil {
			return err
		}
		shared, _, err := db.sharedEvent(ctx, tx)
		if err != nil {
			return err
		}
		ev := shared.ev
		// The rows change with the definition only; once this process
		// brought them to it, they stay so until it changes.
		if !shared.ensured.Load() {
			if err := db.ensureRights(ctx, tx, ev); err != nil {
				return err
			}
			ensured = shared
		}
		door, mine, err := db.rightsKiosk(ctx, tx, ev, kiosk, req)
		if err != nil {
			return err
		}
		now := db.Now()
		reported := reportedHoldings(ev, req.Holdings, mine)
		peers, err := db.activeKiosks(ctx, tx, ev, kiosk, now.Add(-ActiveWithin))
		if err != nil {
			return err
		}
		woken = nil
		for _, c := range checkin.SortedCounters(reported) {
			h := reported[c]
			other, err := db.share(ctx, tx, ev, kiosk, door, h, slices.Contains(mine, c), req.Urgent, peers[c], now, &resp)
			if err != nil {
				return fmt.Errorf("rights of %s: %w", c, err)
			}
			if other != "" {
				woken = append(woken, other)
			}
		}
		_, err = db.exec(ctx, tx, `UPDATE kiosks SET last_seen = ? WHERE id = ?`, now.UnixMilli(), kiosk)
		return err
	})
	if err == nil && ensured != nil {
		ensured.ensured.Store(true)
	}
	return resp, err
}

// rightsKiosk reads the kiosk a rights report comes from and checks it
// may ask: it exists (ENOTFOUND), is not revoked (EUNAUTHORIZED), and
// names no door but its own (ECONFLICT). It records whether the kiosk
// scans exits, and returns its door and the counters it may hold rights
// of: those its door increases, none while it scans exits.
func (db *DB) rightsKiosk(ctx context.Context, tx *sql.Tx, ev *checkin.Event, kiosk string, req wire.RightsRequest) (string, []string, error) {
	var (
		door         string
		revoked, was int
	)
	err := db.queryRow(ctx, tx, `SELECT door, revoked, exits FROM kiosks WHERE id = ?`, kiosk).Scan(&door, &revoked, &was)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, checkin.Errorf(checkin.ENOTFOUND, "no kiosk %q", kiosk)
	} else if err != nil {
		return "", nil, fmt.Errorf("rights: %w", err)
	}
	if revoked != 0 {
		return "", nil, checkin.Errorf(checkin.EUNAUTHORIZED, "this kiosk was revoked; enroll it again")
	}
	if req.Door != "" && req.Door != door {
		// A kiosk asks only for its own door (docs/design.md "Trust"): one
		// naming another would take that door's share.
		return "", nil, checkin.Errorf(checkin.ECONFLICT, "this kiosk is enrolled for door %q, not %q: enroll it again with a code for that door",
			door, req.Door)
	}
	// A kiosk scanning exits admits nobody: it holds no rights (an
	// urgent request is someone waiting to come in).
	exits := req.Exits && !req.Urgent
	if boolInt(exits) != was {
		if _, err := db.exec(ctx, tx, `UPDATE kiosks SET exits = ? WHERE id = ?`, boolInt(exits), kiosk); err != nil {
			return "", nil, fmt.Errorf("rights: %w", err)
		}
	}
	if exits {
		return door, nil, nil
	}
	return door, ev.Counters(door), nil
}

// reportedHoldings returns the holdings a kiosk reported of the event's
// spaces, by counter, and a holding of none for each counter of mine it
// left out.
func reportedHoldings(ev *checkin.Event, holdings []wire.Holding, mine []string) map[string]wire.Holding {
	reported := map[string]wire.Holding{}
	for _, h := range holdings {
		if ev.Space(h.Counter) != nil {
			reported[h.Counter] = h
		}
	}
	for _, c := range mine {
		if _, ok := reported[c]; !ok {
			reported[c] = wire.Holding{Counter: c}
		}
	}
	return reported
}

// activeKiosks returns, per counter, the other kiosks that share its
// free rights: not revoked, not scanning exits, heard from since since,
// at a door that increases the counter; each with its door and its
// demand for the counter, read in the same statement (one query per
// peer made a rights request cost the center in proportion to the
// kiosks of the event).
func (db *DB) activeKiosks(ctx context.Context, tx *sql.Tx, ev *checkin.Event, kiosk string, since time.Time) (map[string][]peer, error) {
	rows, err := db.query(ctx, tx, `SELECT k.id, k.door, coalesce(h.counter, ''), coalesce(h.demand, 0)
		FROM kiosks k LEFT JOIN holdings h ON h.kiosk_id = k.id
		WHERE k.revoked = 0 AND k.exits = 0 AND k.last_seen >= ? AND k.id <> ? ORDER BY k.id`,
		since.UnixMilli(), kiosk)
	if err != nil {
		return nil, fmt.Errorf("active kiosks: %w", err)
	}
	defer rows.Close()
	out := map[string][]peer{}
	var (
		last   peer
		demand = map[string]int64{}
	)
	add := func() {
		if last.id == "" {
			return
		}
		for _, c := range ev.Counters(last.door) {
			out[c] = append(out[c], peer{id: last.id, door: last.door, demand: demand[c]})
		}
		clear(demand)
	}
	for rows.Next() {
		var (
			p       peer
			counter string
			n       int64
		)
		if err := rows.Scan(&p.id, &p.door, &counter, &n); err != nil {
			return nil, fmt.Errorf("active kiosks: %w", err)
		}
		if p.id != last.id {
			add()
			last = p
		}
		demand[counter] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("active kiosks: %w", err)
	}
	add()
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// peer is a live kiosk, the door it serves and its demand for the
// counter it is listed under.
type peer struct {
	id, door string
	demand   int64
}

// share records a kiosk's demand for one counter and books the grant
// and return checkin's DecideShare decides, given the other live kiosks
// of the counter. ofDoor says whether the kiosk's door increases the
// counter: a kiosk that holds rights of another counter (its event
// changed) returns them all. share reads the center's books for the
// decision and writes what it decides: a grant from the reserve, and on
// an urgent request whose reserve is empty, a reclaim from the fullest
// live kiosk, which it returns to be woken.
func (db *DB) share(ctx context.Context, tx *sql.Tx, ev *checkin.Event, kiosk, door string, h wire.Holding, ofDoor, urgent bool,
	peers []peer, now time.Time, resp *wire.RightsResponse) (wake string, err error) {
	c := h.Counter
	if _, err := db.exec(ctx, tx, `
		INSERT INTO holdings (kiosk_id, counter, n, demand, reclaim) VALUES (?, ?, 0, ?, 0)
		ON CONFLICT (kiosk_id, counter) DO UPDATE SET demand = excluded.demand`, kiosk, c, h.Demand); err != nil {
		return "", err
	}
	r := checkin.ShareRequest{Counter: c, Door: door, Demand: int64(h.Demand), Balance: int64(h.Balance), OfDoor: ofDoor, Urgent: urgent}
	if err := db.queryRow(ctx, tx, `SELECT reclaim, n FROM holdings WHERE kiosk_id = ? AND counter = ?`, kiosk, c).Scan(&r.Reclaim, &r.Held); err != nil {
		return "", err
	}
	if err := db.queryRow(ctx, tx, `SELECT reserve, debt FROM rights WHERE counter = ?`, c).Scan(&r.Reserve, &r.Debt); err != nil {
		return "", err
	}
	if err := db.queryRow(ctx, tx, `
		SELECT coalesce(sum(h.n), 0) FROM holdings h JOIN kiosks k ON k.id = h.kiosk_id
		WHERE h.counter = ? AND k.retired = 0`, c).Scan(&r.AllHeld); err != nil {
		return "", err
	}
	for _, p := range peers {
		r.Peers = append(r.Peers, checkin.PeerDemand{Door: p.door, Demand: p.demand})
	}
	a := ev.DecideShare(r)
	if a.ClearReclaim {
		if _, err := db.exec(ctx, tx, `UPDATE holdings SET reclaim = 0 WHERE kiosk_id = ? AND counter = ?`, kiosk, c); err != nil {
			return "", err
		}
	}
	if a.InDebt {
		resp.Debt = append(resp.Debt, c)
	}
	if a.Return > 0 {
		resp.Return = addReturn(resp.Return, c, a.Return)
	}
	if a.Grant > 0 {
		if err := db.grant(ctx, tx, kiosk, c, a.Grant, now, resp); err != nil {
			return "", err
		}
	}
	if a.Reclaim {
		if wake, err = db.reclaim(ctx, tx, kiosk, c, now); err != nil {
			return "", err
		}
		if wake != "" {
			resp.Wait = true
		}
	}
	// The grant is the only change of this kiosk's holding here.
	resp.Free[c] = int(max(0, r.Free()-(r.Held+a.Grant)))
	return wake, nil
}

// grant books g rights of counter granted to kiosk from the reserve,
// under the next value of the server sequence, and adds the grant to
// resp.
func (db *DB) grant(ctx context.Context, tx *sql.Tx, kiosk, counter string, g int64, now time.Time, resp *wire.RightsResponse) error {
	id, err := db.nextSeq(ctx, tx, 1)
	if err != nil {
		return err
	}
	if _, err := db.exec(ctx, tx, `UPDATE rights SET reserve = reserve - ? WHERE counter = ?`, g, counter); err != nil {
		return err
	}
	if err := db.addHolding(ctx, tx, kiosk, counter, g); err != nil {
		return err
	}
	if _, err := db.exec(ctx, tx, `INSERT INTO grants (seq, kiosk_id, counter, n, at) VALUES (?, ?, ?, ?, ?)`,
		id, kiosk, counter, g, now.UnixMilli()); err != nil {
		return err
	}
	resp.Grants = append(resp.Grants, wire.Grant{ID: id, Counter: counter, N: int(g)})
	return nil
}

// reclaim asks the fullest live kiosk other than kiosk that holds
// counter to give one right back now, and returns it, to be woken; ""
// when no other live kiosk holds one.
func (db *DB) reclaim(ctx context.Context, tx *sql.Tx, kiosk, counter string, now time.Time) (string, error) {
	var other string
	err := db.queryRow(ctx, tx, `
		SELECT h.kiosk_id FROM holdings h JOIN kiosks k ON k.id = h.kiosk_id
		WHERE h.counter = ? AND h.kiosk_id <> ? AND h.n > h.reclaim AND k.revoked = 0 AND k.retired = 0 AND k.last_seen >= ?
		ORDER BY h.n - h.reclaim DESC, h.kiosk_id LIMIT 1`, counter, kiosk, now.Add(-ActiveWithin).UnixMilli()).Scan(&other)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if other == "" {
		return "", nil
	}
	if _, err := db.exec(ctx, tx, `UPDATE holdings SET reclaim = reclaim + 1 WHERE kiosk_id = ? AND counter = ?`, other, counter); err != nil {
		return "", err
	}
	return other, nil
}

func addReturn(m map[string]int, counter string, n int64) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[counter] = int(n)
	return m
}

// RetireKiosk gives up a kiosk for good: it is revoked, and the rights
// the center counts it holding go back to the center (paying any debt
// first), as do those of its admissions an exit elsewhere was matched
// with and it had yet to credit. It returns what was freed per counter;
// a second retire frees nothing. The kiosk's other open admissions stay
// counted inside until an exit elsewhere is matched with them; then the
// center credits on its behalf.
//
// Retiring a kiosk that is only offline lets doors admit more than the
// capacity: its rights are still on it, and it may still spend them.
//
// Returns ENOTFOUND for an unknown kiosk.
func (db *DB) RetireKiosk(ctx context.Context, id string) (map[string]int, error) {
	freed := map[string]int{}
	err := db.write(ctx, func(tx *sql.Tx) error {
		clear(freed)
		if err := db.lockSeq(ctx, tx); err != nil {
			return err
		}
		var retired int
		err := db.queryRow(ctx, tx, `SELECT retired FROM kiosks WHERE id = ?`, id).Scan(&retired)
		if errors.Is(err, sql.ErrNoRows) {
			return checkin.Errorf(checkin.ENOTFOUND, "no kiosk %q", id)
		} else if err != nil {
			return fmt.Errorf("retire %s: %w", id, err)
		}
		if retired != 0 {
			return nil
		}
		if _, err := db.exec(ctx, tx, `UPDATE kiosks SET revoked = 1, retired = 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("retire %s: %w", id, err)
		}
		held, err := db.counts(ctx, tx, `SELECT counter, n FROM holdings WHERE kiosk_id = ? AND n > 0 ORDER BY counter`, id)
		if err != nil {
			return fmt.Errorf("retire %s: %w", id, err)
		}
		noticed, err := db.counts(ctx, tx, `SELECT counter, count(*) FROM spends WHERE kiosk_id = ? AND closed = 2 GROUP BY counter ORDER BY counter`, id)
		if err != nil {
			return fmt.Errorf("retire %s: %w", id, err)
		}
		for _, c := range checkin.SortedCounters(held) {
			if err := db.credit(ctx, tx, c, held[c]); err != nil {
				return err
			}
			freed[c] += int(held[c])
		}
		for _, c := range checkin.SortedCounters(noticed) {
			if err := db.credit(ctx, tx, c, noticed[c]); err != nil {
				return err
			}
			freed[c] += int(noticed[c])
		}
		if _, err := db.exec(ctx, tx, `UPDATE spends SET closed = 1 WHERE kiosk_id = ? AND closed = 2`, id); err != nil {
			return fmt.Errorf("retire %s: %w", id, err)
		}
		_, err = db.exec(ctx, tx, `UPDATE holdings SET n = 0 WHERE kiosk_id = ?`, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return freed, nil
}

// counts runs a query of (counter, number) rows into a map.
func (db *DB) counts(ctx context.Context, tx *sql.Tx, q string, args ...any) (map[string]int64, error) {
	rows, err := db.query(ctx, tx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var (
			c string
			n int64
		)
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		m[c] = n
	}
	return m, rows.Err()
}

// CapacityChange is what SetCapacity did to one space.
type CapacityChange struct {
	Space  string        `json:"space"`
	Old    int           `json:"old"`
	Rights CounterRights `json:"rights"` // the counter's books after the change
}

// SetCapacity changes the capacity of one space of the stored event.
// Kiosks pull the changed event (it takes a new value of the server
// sequence, as an import's does) and return all their rights of the
// counter; the center's books follow at once: a raise pays the debt,
// then grows the reserve; a lowering takes from the reserve and what it
// lacks becomes debt, which returns pay before anything is granted again.
//
// Returns EINVALID for a space the event does not have or n ≤ 0, and
// ENOTFOUND before any import.
func (db *DB) SetCapacity(ctx context.Context, space string, n int) (CapacityChange, error) {
	var ch CapacityChange
	if n <= 0 {
		return ch, checkin.Errorf(checkin.EINVALID, "space %s: capacity %d must be above 0", space, n)
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		ch = CapacityChange{Space: space}
		if err := db.lockSeq(ctx, tx); err != nil {
			return err
		}
		ev, _, err := db.event(ctx, tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ev.Spaces, func(s checkin.Space) bool { return s.ID == space })
		if i < 0 {
			var ids []string
			for _, s := range ev.Spaces {
				ids = append(ids, s.ID)
			}
			return checkin.Errorf(checkin.EINVALID, "space %q is not in event %s (spaces: %s)", space, ev.ID, ids)
		}
		ch.Old = ev.Spaces[i].Capacity
		if ch.Old != n {
			ev.Spaces[i].Capacity = n
			if err := ev.Validate(); err != nil {
				return checkin.Errorf(checkin.EINVALID, "space %s: capacity %d: %v", space, n, err)
			}
			def, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			seq, err := db.nextSeq(ctx, tx, 1)
			if err != nil {
				return err
			}
			if _, err := db.exec(ctx, tx, `UPDATE event SET definition = ?, seq = ? WHERE id = 1`, string(def), seq); err != nil {
				return fmt.Errorf("store event: %w", err)
			}
		}
		if err := db.ensureRights(ctx, tx, ev); err != nil {
			return err
		}
		rs, err := db.counterRights(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Counter == space {
				ch.Rights = r
			}
		}
		return nil
	})
	return ch, err
}

// counterRights reads every counter's books, in counter order.
func (db *DB) counterRights(ctx context.Context, tx *sql.Tx) ([]CounterRights, error) {
	rows, err := db.query(ctx, tx, `
		SELECT r.counter, r.cap, r.inside, r.reserve, r.debt,
			(SELECT coalesce(sum(h.n), 0) FROM holdings h JOIN kiosks k ON k.id = h.kiosk_id
			 WHERE h.counter = r.counter AND k.retired = 0),
			(SELECT count(*) FROM spends s WHERE s.counter = r.counter AND s.closed = 2)
		FROM rights r ORDER BY r.counter`)
	if err != nil {
		return nil, fmt.Errorf("rights: %w", err)
	}
	defer rows.Close()
	out := []CounterRights{}
	for rows.Next() {
		var r CounterRights
		if err := rows.Scan(&r.Counter, &r.Cap, &r.Inside, &r.Reserve, &r.Debt, &r.Held, &r.Pending); err != nil {
			return nil, fmt.Errorf("rights: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
