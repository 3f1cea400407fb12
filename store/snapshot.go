package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"usher/checkin"
)

// Restart from a snapshot. The in-memory state (who is where, the
// counts, this kiosk's rights) is what replaying the scan log builds; a
// log of a million rows takes seconds to replay. So the state is saved
// now and then, in the same file, with the log position it reflects,
// and a restart replays only the rows after it.
//
// The snapshot is a cache and never an authority: a start uses it only
// when it was built under the event definition, the enrollment and the
// presence base the file holds now, when the log row at its position is
// still the one it covered, and when its contents are a state a log
// could build (checkin.Event.Restore); anything else, and the whole log
// is replayed as before. Triggers (migration 008) drop it when a row it
// covers is changed or removed, whichever program does it.
// Living in the same file, it is backed up and restored with the log it
// describes: a restored file's snapshot describes the restored log.

// snapshotEvery is how many log rows a handle lets pass before it saves
// a snapshot again, at the screen's clock tick (Refresh) or at Close:
// replaying 10,000 rows takes about a tenth of a second (10 µs of CPU a
// row, BenchmarkRestart), and saving is one small transaction per 10,000
// scans, off the scan path.
const snapshotEvery = 10_000

// snapshotRow is the snapshot table's row (migration 008).
type snapshotRow struct {
	seq               int64
	rowDigest, event  []byte
	version, enrolled int64
	kiosk             string
	base              sql.NullString // not under digest: the presence triggers clear it
	state             string
	digest            []byte
}

// sum is the digest of everything in the row but base and digest.
func (r *snapshotRow) sum() []byte {
	h := sha256.New()
	fmt.Fprintf(h, "usher snapshot 1\x00%d\x00%x\x00%x\x00%d\x00%d\x00%q\x00", r.seq, r.rowDigest, r.event,
		r.version, r.enrolled, r.kiosk)
	h.Write([]byte(r.state))
	return h.Sum(nil)
}

// rowDigestQuery renders every column of a log row as SQL literals
// (quote), which tells NULL from the empty text and a number from text.
const rowDigestQuery = `SELECT quote(seq) || ',' || quote(at) || ',' || quote(door) || ',' || quote(direction) || ',' ||
	quote(method) || ',' || quote(code) || ',' || quote(person_id) || ',' || quote(decision) || ',' || quote(reason) || ',' ||
	quote(space) || ',' || quote(note) || ',' || quote(from_loc) || ',' || quote(location) || ',' || quote(delta) || ',' ||
	quote(undoes) || ',' || quote(rights) || ',' || quote(t) || ',' || quote(terr) || ',' || quote(cursor) || ',' || quote(hlc)
	FROM scans WHERE seq = ?`

// rowDigest returns the SHA-256 of log row seq; nil when there is none.
func rowDigest(ctx context.Context, q queryRower, seq int64) ([]byte, error) {
	var text string
	err := q.QueryRowContext(ctx, rowDigestQuery, seq).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read scan %d: %w", seq, err)
	}
	sum := sha256.Sum256([]byte(text))
	return sum[:], nil
}

// baseKey names a presence base exactly; "" for none.
func baseKey(b presenceBase) string {
	if b.Counts == nil {
		return ""
	}
	j, _ := json.Marshal(b) // plain struct: cannot fail
	return string(j)
}

// resume puts the state on the stored snapshot, if there is one that
// holds for the event just read (def, db.version), the enrollment
// (db.enrolled) and the log: db.st, db.lastSeq and db.presence then
// reflect the log up to the snapshot's seq, and reload replays the rows
// after it. When the presence base changed since, the snapshot's rights
// stand and its presence is left for rebase to put on the new base.
// It reports whether it resumed; a snapshot it cannot read or believe
// is passed over, never an error.
func (db *DB) resume(ctx context.Context, q queryRower, def string) bool {
	var r snapshotRow
	err := q.QueryRowContext(ctx, `SELECT seq, row_digest, event, version, enrolled, kiosk, base, digest FROM snapshot WHERE id = 1`).
		Scan(&r.seq, &r.rowDigest, &r.event, &r.version, &r.enrolled, &r.kiosk, &r.base, &r.digest)
	if err != nil {
		return false // none, or not a row this program wrote
	}
	event := sha256.Sum256([]byte(def))
	if r.seq <= 0 || r.version != db.version || r.enrolled != db.enrolled || !bytes.Equal(r.event, event[:]) {
		return false
	}
	if kiosk, err := setting(ctx, q, keyKioskID); err != nil || kiosk != r.kiosk {
		return false
	}
	if d, err := rowDigest(ctx, q, r.seq); err != nil || d == nil || !bytes.Equal(d, r.rowDigest) {
		return false
	}
	if err := q.QueryRowContext(ctx, `SELECT state FROM snapshot WHERE id = 1`).Scan(&r.state); err != nil {
		return false
	}
	if !bytes.Equal(r.sum(), r.digest) {
		return false
	}
	var c checkin.Contents
	if err := json.Unmarshal([]byte(r.state), &c); err != nil {
		return false
	}
	if c.Limited != (r.kiosk != "") || c.LatestOpen() > r.seq {
		return false
	}
	st, err := db.ev.Restore(c)
	if err != nil {
		return false
	}
	var current presenceBase
	if r.kiosk != "" {
		if err := jsonSetting(ctx, q, keyPresence, &current); err != nil {
			return false
		}
	}
	switch now := baseKey(current); {
	case r.base.Valid && r.base.String == now:
		db.presence = current // rebase has nothing to do
	case now == "":
		return false // presence would need every move since the start
	default:
		db.presence = presenceBase{} // rebase puts the presence on the current base
	}
	db.st, db.lastSeq, db.resumed, db.snapAt = st, r.seq, r.seq, r.seq
	return true
}

// keepSnapshot saves a snapshot when the log has grown by db.snapEvery
// rows since the last one this handle saved, resumed from or tried. A
// snapshot that cannot be saved (a full disk, a busy file) costs only a
// longer restart, so it is not the caller's error; it is tried again
// after as many rows more. The caller holds db.mu.
func (db *DB) keepSnapshot(ctx context.Context) {
	if db.ev == nil || db.lastSeq-db.snapAt < db.snapEvery {
		return
	}
	db.snapAt = db.lastSeq
	_ = db.saveSnapshot(ctx)
}

// saveSnapshot saves the state as the snapshot, in one write
// transaction that first catches up with the log, so the state reflects
// every row up to the last one, which the snapshot names. The caller
// holds db.mu.
func (db *DB) saveSnapshot(ctx context.Context) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	defer tx.Rollback()
	if err := db.catchUp(ctx, tx); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	db.snapAt = db.lastSeq
	if db.ev == nil || db.lastSeq == 0 {
		return nil
	}
	var (
		def     string
		version int64
	)
	if err := tx.QueryRowContext(ctx, `SELECT definition, version FROM event WHERE id = 1`).Scan(&def, &version); err != nil {
		return fmt.Errorf("save snapshot: read event: %w", err)
	}
	kiosk, err := setting(ctx, tx, keyKioskID)
	if err != nil {
		return err
	}
	enrolled, err := intSetting(ctx, tx, keyEnrolledAfter)
	if err != nil {
		return err
	}
	if version != db.version || enrolled != db.enrolled || (kiosk != "") != db.st.Limited() {
		return nil // the state is not of the file as it is: catchUp reloads it
	}
	r := snapshotRow{seq: db.lastSeq, version: version, enrolled: enrolled, kiosk: kiosk,
		base: sql.NullString{String: baseKey(db.presence), Valid: true}}
	if r.rowDigest, err = rowDigest(ctx, tx, r.seq); err != nil || r.rowDigest == nil {
		return err
	}
	event := sha256.Sum256([]byte(def))
	r.event = event[:]
	state, err := json.Marshal(db.st.Contents())
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	r.state = string(state)
	r.digest = r.sum()
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO snapshot (id, seq, row_digest, event, version, enrolled, kiosk, base, state, digest, saved_at)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, row_digest = excluded.row_digest, event = excluded.event,
			version = excluded.version, enrolled = excluded.enrolled, kiosk = excluded.kiosk, base = excluded.base,
			state = excluded.state, digest = excluded.digest, saved_at = excluded.saved_at`,
		r.seq, r.rowDigest, r.event, r.version, r.enrolled, r.kiosk, r.base, r.state, r.digest,
		db.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}
