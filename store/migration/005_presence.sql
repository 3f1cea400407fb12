-- Presence (checkin/presence.go). Each row's stamp: when it happened on
-- the center's clock as this kiosk estimated it, counted on the
-- monotonic clock from its last sync (t, Unix milliseconds, give or take
-- terr; terr < 0: no estimate).
ALTER TABLE scans ADD COLUMN t INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN terr INTEGER NOT NULL DEFAULT -1;

-- Where the center last said each person is, for the people whose stays
-- changed at any door of the spaces this kiosk serves (no row: outside).
-- With the counts pulled with it (setting 'presence'), the base this
-- kiosk's own moves since are added to.
CREATE TABLE presence (
	person_id TEXT PRIMARY KEY,
	location  TEXT NOT NULL
);
