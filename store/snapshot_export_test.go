package store

import (
	"context"
	"database/sql"

	"usher/checkin"
	"usher/sync/wire"
)

// SaveSnapshot saves a snapshot of the state now, as Refresh and Close
// do every snapshotEvery rows.
func (db *DB) SaveSnapshot(ctx context.Context) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.saveSnapshot(ctx)
}

// SetSnapshotEvery changes how many rows this handle lets pass between
// snapshots.
func (db *DB) SetSnapshotEvery(n int64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.snapEvery = n
}

// Resumed returns the snapshot seq the last reload started from; 0 when
// it replayed the whole log.
func (db *DB) Resumed() int64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.resumed
}

// StateContents returns everything the in-memory state holds, and the
// last seq it reflects.
func (db *DB) StateContents() (checkin.Contents, int64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.st == nil {
		return checkin.Contents{}, db.lastSeq
	}
	return db.st.Contents(), db.lastSeq
}

// ResealSnapshot recomputes the stored snapshot's digest over what its
// row holds now, as someone editing the file on purpose would: what is
// then refused is refused for its contents, not its digest.
func ResealSnapshot(ctx context.Context, sdb *sql.DB) error {
	var r snapshotRow
	if err := sdb.QueryRowContext(ctx, `SELECT seq, row_digest, event, version, enrolled, kiosk, state FROM snapshot WHERE id = 1`).
		Scan(&r.seq, &r.rowDigest, &r.event, &r.version, &r.enrolled, &r.kiosk, &r.state); err != nil {
		return err
	}
	_, err := sdb.ExecContext(ctx, `UPDATE snapshot SET digest = ? WHERE id = 1`, r.sum())
	return err
}

// BulkStep is one step of a long log made for a benchmark: a badge scan,
// or a staff headcount change (Adjust ±1 at Scan.Door), or rights of
// the enrolled door's counter granted by the center (Grant) or returned
// to it (Return).
type BulkStep struct {
	Scan          checkin.Scan
	Adjust        int
	Grant, Return int
}

// LogSteps decides and logs n steps as Scan, Adjust, ApplyGrants and
// ReturnRights do (decide on the state, log the row with the rights it
// moves, apply it), so the rows are the ones those write, but all in one
// transaction instead of a durable commit each: a log of a million rows
// is made in a minute rather than in hours. Grant ids count from
// grantID.
func (db *DB) LogSteps(ctx context.Context, n int, grantID int64, step func(i int) BulkStep) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.catchUp(ctx, tx); err != nil {
		return err
	}
	door, err := rightsDoor(ctx, tx, db.ev)
	if err != nil {
		return err
	}
	counter := db.ev.Counters(door)[0]
	for i := range n {
		s := step(i)
		if s.Scan.Door == "" {
			s.Scan.Door = door
		}
		if err := db.check(s.Scan.Door); err != nil {
			return err
		}
		var (
			d checkin.Decision
			r row
		)
		switch {
		case s.Grant > 0:
			grantID++
			if err := db.applyGrants(ctx, tx, []wire.Grant{{ID: grantID, Counter: counter, N: s.Grant}}); err != nil {
				return err
			}
			if err := db.applyNewRows(ctx, tx); err != nil {
				return err
			}
			continue
		case s.Return > 0:
			if k := min(s.Return, db.st.Balance(counter)); k > 0 {
				c := []checkin.RightChange{{Counter: counter, Kind: checkin.RightReturn, N: k}}
				if err := db.logRights(ctx, tx, door, "", checkin.RightsReturned, c); err != nil {
					return err
				}
			}
			if err := db.applyNewRows(ctx, tx); err != nil {
				return err
			}
			continue
		case s.Adjust != 0:
			d = db.ev.DecideAdjust(s.Scan.Door, s.Adjust, db.st)
			r = row{door: s.Scan.Door, direction: checkin.Entry, method: string(checkin.ByHeadcount), note: "no badge"}
			if d.Kind != checkin.Deny {
				r.delta = s.Adjust
			}
		default:
			if s.Scan.Direction != checkin.Exit {
				s.Scan.Direction = checkin.Entry
			}
			if s.Scan.Method == "" {
				s.Scan.Method = checkin.ByBadge
			}
			badge, err := db.lookup(ctx, tx, s.Scan)
			if err != nil {
				return err
			}
			d = db.ev.Decide(s.Scan, badge, db.st)
			r = row{door: s.Scan.Door, direction: s.Scan.Direction, method: string(s.Scan.Method), code: s.Scan.Code}
		}
		r.holder, r.rights = db.st.RightsOf(db.ev, s.Scan.Door, d, r.delta)
		seq, err := db.insert(ctx, tx, db.Now().UnixMilli(), r, d)
		if err != nil {
			return err
		}
		db.applyDecision(seq, d, r)
	}
	return tx.Commit()
}
