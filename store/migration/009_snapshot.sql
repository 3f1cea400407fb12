-- A snapshot of the in-memory state the scan log builds (presence,
-- counts, capacity rights), with the log position it reflects, so that a
-- restart replays only the rows after it (snapshot.go). It is a cache:
-- any doubt about it and the state is rebuilt from the whole log.
CREATE TABLE snapshot (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	seq        INTEGER NOT NULL, -- the last log row the state reflects
	row_digest BLOB NOT NULL,    -- SHA-256 of that row, every column
	event      BLOB NOT NULL,    -- SHA-256 of the event definition it was built under
	version    INTEGER NOT NULL, -- event.version then
	enrolled   INTEGER NOT NULL, -- setting sync_enrolled_after then
	kiosk      TEXT NOT NULL,    -- setting sync_kiosk_id then ('' standalone)
	base       TEXT,             -- the presence base its presence is on ('' none); NULL: rebase it
	state      TEXT NOT NULL,    -- JSON of checkin.Contents
	digest     BLOB NOT NULL,    -- SHA-256 of every column above but base
	saved_at   TEXT NOT NULL
);

-- The log is append-only; a row the snapshot covers that is changed or
-- removed anyway (by hand, by a tool) drops the snapshot, whichever
-- program does it. Appending, what scans do, fires nothing: a trigger on
-- insert cost a scan 2-5% more CPU, for the one case of a row put by
-- hand into a gap below the snapshot that was there before it was saved.
CREATE TRIGGER snapshot_scans_update AFTER UPDATE ON scans
WHEN OLD.seq <= (SELECT seq FROM snapshot WHERE id = 1) OR NEW.seq <= (SELECT seq FROM snapshot WHERE id = 1)
BEGIN DELETE FROM snapshot; END;

CREATE TRIGGER snapshot_scans_delete AFTER DELETE ON scans
WHEN OLD.seq <= (SELECT seq FROM snapshot WHERE id = 1)
BEGIN DELETE FROM snapshot; END;

-- Who the center says is where: a change puts the snapshot's presence
-- on the new base at the next start (its rights stay good).
CREATE TRIGGER snapshot_presence_insert AFTER INSERT ON presence
BEGIN UPDATE snapshot SET base = NULL WHERE base IS NOT NULL; END;

CREATE TRIGGER snapshot_presence_update AFTER UPDATE ON presence
BEGIN UPDATE snapshot SET base = NULL WHERE base IS NOT NULL; END;

CREATE TRIGGER snapshot_presence_delete AFTER DELETE ON presence
BEGIN UPDATE snapshot SET base = NULL WHERE base IS NOT NULL; END;
