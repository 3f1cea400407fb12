package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"usher/checkin"
	"usher/sync/wire"
)

// Capacity rights at the kiosk (checkin/rights.go). An enrolled kiosk is
// one door among several: it admits only by spending rights the center
// granted it, and every change of its rights is a row of its log, pushed
// like a scan, so the center's accounting follows from the kiosk's
// history. A standalone kiosk is the whole event and counts instead.

// DemandWindow is how far back a kiosk's admissions count as its demand
// when the center shares out rights.
const DemandWindow = 5 * time.Minute

// Settings of what the center last said about rights.
const (
	keyElsewhere  = "rights_elsewhere" // JSON: counter → places free at other doors
	keyDebt       = "rights_debt"      // JSON: counters whose lowered capacity is below the people inside
	keyRightsNews = "rights_news"      // +1 at every change of the two above, so other handles reread them
)

func encodeRights(c []checkin.RightChange) string {
	b, _ := json.Marshal(c) // plain structs: cannot fail
	return string(b)
}

func decodeRights(s string) ([]checkin.RightChange, error) {
	var c []checkin.RightChange
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, fmt.Errorf("rights %q: %w", s, err)
	}
	return c, nil
}

// limitByRights makes an enrolled kiosk's state need rights, with what
// the center last said was free at other doors and in debt.
func (db *DB) limitByRights(ctx context.Context, q queryRower) error {
	kiosk, err := setting(ctx, q, keyKioskID)
	if err != nil || kiosk == "" {
		return err
	}
	if db.news, err = setting(ctx, q, keyRightsNews); err != nil {
		return err
	}
	db.st.LimitByRights()
	var free map[string]int
	if err := jsonSetting(ctx, q, keyElsewhere, &free); err != nil {
		return err
	}
	db.st.SetElsewhere(free)
	var debt []string
	if err := jsonSetting(ctx, q, keyDebt, &debt); err != nil {
		return err
	}
	db.st.SetDebt(debt)
	db.anchor = anchor{}
	if err := jsonSetting(ctx, q, keyAnchor, &db.anchor); err != nil {
		return err
	}
	return db.rebase(ctx, q)
}

// bumpNews counts a change of what the center said, inside tx, so that
// every handle on the file takes it in before its next scan.
func bumpNews(ctx context.Context, tx *sql.Tx) error {
	news, err := intSetting(ctx, tx, keyRightsNews)
	if err != nil {
		return err
	}
	return setSetting(ctx, tx, keyRightsNews, strconv.FormatInt(news+1, 10))
}

// jsonSetting reads a setting stored as JSON into v; a missing one
// leaves v as it is.
func jsonSetting(ctx context.Context, q queryRower, key string, v any) error {
	text, err := setting(ctx, q, key)
	if err != nil || text == "" {
		return err
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// logRights adds a row that only moves rights.
func (db *DB) logRights(ctx context.Context, tx *sql.Tx, door, person string, reason checkin.Reason, changes []checkin.RightChange) error {
	d := checkin.Decision{Kind: checkin.RightsOnly, Reason: reason}
	if person != "" {
		d.Person = &checkin.Person{ID: person}
	}
	_, err := db.insert(ctx, tx, db.Now().UnixMilli(),
		row{door: door, direction: checkin.Entry, method: string(checkin.ByRights), rights: changes}, d)
	return err
}

// rightsDoor is the door a rights row is logged at: the enrolled one.
func rightsDoor(ctx context.Context, tx *sql.Tx, ev *checkin.Event) (string, error) {
	door, err := setting(ctx, tx, keyDoor)
	if err != nil {
		return "", err
	}
	if door == "" && ev != nil && len(ev.Doors) > 0 {
		door = ev.Doors[0].ID
	}
	return door, nil
}

// Balances returns the rights this kiosk holds, per counter; empty for a
// kiosk not limited by rights.
func (db *DB) Balances() map[string]int {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.st == nil {
		return map[string]int{}
	}
	return db.st.Balances()
}

// RightsReport is this kiosk's report of its rights to the center: the
// door it was enrolled for ("" in the report), else the door it scans at
// now (the door of its latest scan, else the one chosen in staff mode), and the
// balance of every counter that door increases or that it holds rights
// of, with its demand: admissions, and denials for want of its rights,
// in the last DemandWindow. ok is false before any event is loaded.
func (db *DB) RightsReport(ctx context.Context) (report wire.RightsRequest, ok bool, err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.catchUp(ctx, nil); err != nil {
		return report, false, err
	}
	if db.ev == nil {
		return report, false, nil
	}
	door, exits, err := db.currentDoor(ctx)
	if err != nil {
		return report, false, err
	}
	report.Exits = exits
	// The center grants rights only for the door it enrolled this
	// kiosk for, and refuses a report naming another.
	enrolled, err := setting(ctx, db.db, keyDoor)
	if err != nil {
		return report, false, err
	}
	if enrolled != "" && db.ev.Door(enrolled) != nil {
		door = enrolled
	}
	holdings, err := db.holdings(ctx, door)
	if err != nil {
		return report, false, err
	}
	report.Holdings = holdings
	if door != enrolled {
		report.Door = door
	}
	return report, true, nil
}

// Tight reports whether a space the door this kiosk scans at leads into
// is near its cap (checkin.State.Tight): its sync loop then runs more
// often, so places freed at other doors reach the door that needs them.
func (db *DB) Tight(ctx context.Context) (bool, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.catchUp(ctx, nil); err != nil || db.ev == nil {
		return false, err
	}
	door, _, err := db.currentDoor(ctx)
	if err != nil {
		return false, err
	}
	return db.st.Tight(db.ev, door), nil
}

// SettingDoor is the setting that holds the door chosen in staff mode
// (the screen, which runs no SQL, writes it under the same name).
const SettingDoor = "door"

// currentDoor is where the kiosk scans now (see RightsReport), and
// whether its latest scan was an exit.
func (db *DB) currentDoor(ctx context.Context) (string, bool, error) {
	var door, direction string
	err := db.db.QueryRowContext(ctx, `SELECT door, direction FROM scans WHERE method != ? ORDER BY seq DESC LIMIT 1`,
		methodRights).Scan(&door, &direction)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("read the latest scan's door: %w", err)
	}
	exits := direction == string(checkin.Exit)
	if door != "" && db.ev.Door(door) != nil {
		return door, exits, nil
	}
	for _, key := range []string{SettingDoor, keyDoor} {
		if door, err = setting(ctx, db.db, key); err != nil {
			return "", false, err
		}
		if door != "" && db.ev.Door(door) != nil {
			return door, exits, nil
		}
	}
	return "", exits, nil
}

// holdings reports the balance and the demand of each counter door
// increases or this kiosk holds rights of.
func (db *DB) holdings(ctx context.Context, door string) ([]wire.Holding, error) {
	demand := map[string]int{}
	for _, c := range db.ev.Counters(door) {
		demand[c] += 0
	}
	// Demand is who came to this door lately: those admitted, and those
	// turned away because it had no rights left.
	rows, err := db.db.QueryContext(ctx, `SELECT door, count(*) FROM scans WHERE (decision = ? OR reason = ?) AND at > ? GROUP BY door`,
		string(checkin.Admit), string(checkin.OutOfCapacity), db.Now().Add(-DemandWindow).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("read demand: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			d string
			n int
		)
		if err := rows.Scan(&d, &n); err != nil {
			return nil, fmt.Errorf("read demand: %w", err)
		}
		for _, c := range db.ev.Counters(d) {
			demand[c] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read demand: %w", err)
	}
	bal := db.st.Balances()
	for c := range bal {
		demand[c] += 0
	}
	var out []wire.Holding
	for _, c := range checkin.SortedCounters(demand) {
		out = append(out, wire.Holding{Counter: c, Balance: max(bal[c], 0), Demand: demand[c]})
	}
	return out, nil
}

// ReturnRights gives back up to want of each counter to the center: the
// rights leave this kiosk's balance in one row, before they are sent.
// It returns what was given back.
func (db *DB) ReturnRights(ctx context.Context, want map[string]int) (map[string]int, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("return rights: %w", err)
	}
	defer tx.Rollback()
	if err := db.catchUp(ctx, tx); err != nil {
		return nil, fmt.Errorf("return rights: %w", err)
	}
	if db.st == nil || !db.st.Limited() {
		return nil, nil
	}
	given := map[string]int{}
	var changes []checkin.RightChange
	for _, c := range checkin.SortedCounters(want) {
		if n := min(want[c], db.st.Balance(c)); n > 0 {
			changes = append(changes, checkin.RightChange{Counter: c, Kind: checkin.RightReturn, N: n})
			given[c] = n
		}
	}
	if len(changes) == 0 {
		return given, nil
	}
	door, err := rightsDoor(ctx, tx, db.ev)
	if err != nil {
		return nil, err
	}
	if err := db.logRights(ctx, tx, door, "", checkin.RightsReturned, changes); err != nil {
		return nil, fmt.Errorf("return rights: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("return rights: %w", err)
	}
	return given, db.applyNewRows(ctx, nil)
}

// ApplyGrants takes in grants from the center, each once by its id.
func (db *DB) ApplyGrants(ctx context.Context, grants []wire.Grant) error {
	if len(grants) == 0 {
		return nil
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply grants: %w", err)
	}
	defer tx.Rollback()
	if err := db.catchUp(ctx, tx); err != nil {
		return fmt.Errorf("apply grants: %w", err)
	}
	if err := db.applyGrants(ctx, tx, grants); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apply grants: %w", err)
	}
	return db.applyNewRows(ctx, nil)
}

func (db *DB) applyGrants(ctx context.Context, tx *sql.Tx, grants []wire.Grant) error {
	if len(grants) == 0 {
		return nil
	}
	if db.ev == nil {
		return checkin.Errorf(checkin.EINVALID, "the server sent capacity rights before the event definition")
	}
	door, err := rightsDoor(ctx, tx, db.ev)
	if err != nil {
		return err
	}
	for _, g := range grants {
		c := checkin.RightChange{Counter: g.Counter, Kind: checkin.RightGrant, N: g.N, Ref: g.ID}
		if err := c.Check(); err != nil || g.ID <= 0 {
			return checkin.Errorf(checkin.EINVALID, "grant %d: %v", g.ID, err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO grants_applied (id) VALUES (?) ON CONFLICT DO NOTHING`, g.ID)
		if err != nil {
			return fmt.Errorf("apply grant %d: %w", g.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // delivered before
		}
		if err := db.logRights(ctx, tx, door, "", checkin.RightsGranted, []checkin.RightChange{c}); err != nil {
			return fmt.Errorf("apply grant %d: %w", g.ID, err)
		}
	}
	return nil
}

// applyNotices credits back this kiosk's admissions the center saw end
// at another door, each notice once, and only an admission still open
// here: one this kiosk credited already (its own exit scan) earns
// nothing more.
func (db *DB) applyNotices(ctx context.Context, tx *sql.Tx, notices []wire.Notice) error {
	credited := map[wire.Notice]bool{}
	for _, n := range notices {
		if n.ID <= 0 || n.Person == "" || n.Counter == "" || n.Admission <= 0 {
			return checkin.Errorf(checkin.EINVALID, "notice %d: person, counter and admission are required", n.ID)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO notices_applied (id) VALUES (?) ON CONFLICT DO NOTHING`, n.ID)
		if err != nil {
			return fmt.Errorf("apply notice %d: %w", n.ID, err)
		}
		key := wire.Notice{Person: n.Person, Counter: n.Counter, Admission: n.Admission}
		if k, _ := res.RowsAffected(); k == 0 || db.st == nil || credited[key] || !db.st.IsOpen(n.Person, n.Counter, n.Admission) {
			continue
		}
		var door string
		if err := tx.QueryRowContext(ctx, `SELECT door FROM scans WHERE seq = ?`, n.Admission).Scan(&door); err != nil {
			return fmt.Errorf("apply notice %d: admission %d: %w", n.ID, n.Admission, err)
		}
		if err := db.logRights(ctx, tx, door, n.Person, checkin.ExitCredited, db.st.Credit(n.Counter, n.Admission)); err != nil {
			return fmt.Errorf("apply notice %d: %w", n.ID, err)
		}
		credited[key] = true
	}
	return nil
}

// returnChanged gives back every right of a counter whose capacity the
// new event changes: the center shares out the new capacity afresh. A
// lowered capacity also puts its counter in debt here until the center
// says otherwise, so rights that exits earn go back to the center too,
// and admissions stop until the room is below its new capacity.
func (db *DB) returnChanged(ctx context.Context, tx *sql.Tx, old, ev *checkin.Event) error {
	if old == nil || db.st == nil || !db.st.Limited() {
		return nil
	}
	var debt []string
	if err := jsonSetting(ctx, tx, keyDebt, &debt); err != nil {
		return err
	}
	lowered := false
	for _, s := range old.Spaces {
		if now := ev.Space(s.ID); now != nil && now.Capacity < s.Capacity && !slices.Contains(debt, s.ID) {
			debt, lowered = append(debt, s.ID), true
		}
	}
	if lowered {
		b, _ := json.Marshal(debt)
		if err := setSetting(ctx, tx, keyDebt, string(b)); err != nil {
			return err
		}
	}
	var changes []checkin.RightChange
	bal := db.st.Balances()
	for _, c := range checkin.SortedCounters(bal) {
		was, now := old.Space(c), ev.Space(c)
		if bal[c] > 0 && (was == nil || now == nil || was.Capacity != now.Capacity) {
			changes = append(changes, checkin.RightChange{Counter: c, Kind: checkin.RightReturn, N: bal[c]})
		}
	}
	if len(changes) == 0 {
		return nil
	}
	door, err := rightsDoor(ctx, tx, ev)
	if err != nil {
		return err
	}
	return db.logRights(ctx, tx, door, "", checkin.RightsReturned, changes)
}

// SetDebt records the counters the center says are in debt (their
// capacity was lowered below the people inside): rights that exits earn
// here go straight back to the center until it leaves them out.
func (db *DB) SetDebt(ctx context.Context, counters []string) error {
	if counters == nil {
		counters = []string{}
	}
	return db.setRightsNews(ctx, keyDebt, counters, func() { db.st.SetDebt(counters) })
}

// SetElsewhere records how many places of each counter the center said
// are free at other doors, so a door out of rights tells staff whether
// the room is full or only this door is.
func (db *DB) SetElsewhere(ctx context.Context, free map[string]int) error {
	return db.setRightsNews(ctx, keyElsewhere, free, func() { db.st.SetElsewhere(free) })
}

// setRightsNews stores what the center said as JSON under key, and
// counts the news, so that other handles on the file (the screen beside
// `usher sync`) take it in before their next scan.
func (db *DB) setRightsNews(ctx context.Context, key string, v any, apply func()) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	b, _ := json.Marshal(v)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	defer tx.Rollback()
	news, err := intSetting(ctx, tx, keyRightsNews)
	if err != nil {
		return err
	}
	if err := setSetting(ctx, tx, key, string(b)); err != nil {
		return err
	}
	if err := setSetting(ctx, tx, keyRightsNews, strconv.FormatInt(news+1, 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	if db.st != nil {
		apply()
		db.news = strconv.FormatInt(news+1, 10)
	}
	return nil
}
