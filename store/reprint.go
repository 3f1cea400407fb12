package store

import (
	"context"
	"math"

	"usher/checkin"
)

// Identify finds whose code is, as a scan of it would, without recording
// a scan: a badge desk that prints badges for people as they arrive
// admits nobody. A signed badge of someone registered after the roster
// adds them from the badge, as a scan does. The Badge says who (Person,
// nil for a code on no roster), whether the code is revoked, and a
// signed badge's problem.
func (db *DB) Identify(ctx context.Context, code string) (checkin.Badge, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return checkin.Badge{}, err
	}
	defer tx.Rollback()
	if err := db.catchUp(ctx, tx); err != nil {
		return checkin.Badge{}, err
	}
	b, err := db.lookup(ctx, tx, checkin.Scan{Code: code})
	if err != nil {
		return checkin.Badge{}, err
	}
	if err := tx.Commit(); err != nil {
		return checkin.Badge{}, writeError("identify badge", "the badge was not looked up", err)
	}
	return b, nil
}

// Reprint gives a person a new badge serial before their new badge is
// printed: the badge they hold now (its serial is the old one, at least
// 1 as badge.Code prints it) is revoked at this kiosk as soon as this
// returns, durably, so a lost badge stops admitting before the new one
// exists. Other kiosks learn the new serial from the new badge's first
// scan there, as from a reprint at the center. The serial never goes
// down: a roster or pull with the old one keeps the higher.
//
// atLeast is the serial the center gave the new badge, when it was
// asked (0: none): the new serial is the higher of it and one above the
// kiosk's.
//
// Returns the person with the serial their new badge must carry;
// ENOTFOUND for an id not on the roster, and ECONFLICT for someone
// removed from it, whose ticket is no longer valid, or whose badges the
// revocation list revokes: nobody gets a badge the doors would refuse.
func (db *DB) Reprint(ctx context.Context, id string, atLeast uint32) (checkin.Person, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return checkin.Person{}, writeError("reprint badge", "no badge was printed", err)
	}
	defer tx.Rollback()
	if err := db.catchUp(ctx, tx); err != nil {
		return checkin.Person{}, err
	}
	e, err := personByID(ctx, tx, id)
	if err != nil {
		return checkin.Person{}, err
	}
	switch {
	case e.Removed:
		return checkin.Person{}, checkin.Errorf(checkin.ECONFLICT, "%s is no longer on the roster: no badge printed", e.Name)
	case e.Revoked != "":
		return checkin.Person{}, checkin.Errorf(checkin.ECONFLICT, "%s's ticket is no longer valid (%s): no badge printed", e.Name, e.Revoked)
	case e.Listed:
		return checkin.Person{}, checkin.Errorf(checkin.ECONFLICT, "%s's badges are revoked by the center: no badge printed", e.Name)
	case e.Serial >= math.MaxUint32-1:
		return checkin.Person{}, checkin.Errorf(checkin.EINVALID, "%s's badge serial %d cannot be raised", e.Name, e.Serial)
	}
	e.Serial = max(max(e.Serial, 1)+1, atLeast)
	if _, err := tx.ExecContext(ctx, `UPDATE people SET serial = ? WHERE id = ?`, e.Serial, e.ID); err != nil {
		return checkin.Person{}, writeError("reprint badge", "no badge was printed", err)
	}
	if err := tx.Commit(); err != nil {
		return checkin.Person{}, writeError("reprint badge", "no badge was printed", err)
	}
	return e.Person, nil
}
