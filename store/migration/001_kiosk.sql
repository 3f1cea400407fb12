-- The event definition a kiosk decides against, as JSON of checkin.Event.
CREATE TABLE event (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	event_id   TEXT NOT NULL,
	definition TEXT NOT NULL,
	loaded_at  TEXT NOT NULL,
	version    INTEGER NOT NULL -- +1 at every load, so open handles notice
);

-- The roster. A person who leaves the roster is marked removed, never
-- deleted: the scan log refers to them.
CREATE TABLE people (
	id       TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	company  TEXT NOT NULL DEFAULT '',
	email    TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL,
	tags     TEXT NOT NULL DEFAULT '', -- ';'-separated
	removed  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Badge codes. A reprint adds a code and revokes the old one.
CREATE TABLE codes (
	code      TEXT PRIMARY KEY,
	person_id TEXT NOT NULL REFERENCES people (id),
	revoked   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The scan log: every decision, denials included, append-only; a
-- mistake is corrected by a later row (an undo), never by editing one.
-- A row that changes presence or counts has location set: a person's
-- move from from_loc to location, or, with delta, a headcount change for
-- people without a badge. Presence and occupancy are rebuilt from it.
CREATE TABLE scans (
	seq       INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL, -- Unix milliseconds
	door      TEXT NOT NULL,
	direction TEXT NOT NULL,
	method    TEXT NOT NULL,    -- badge, name, adjust, undo
	code      TEXT NOT NULL,
	person_id TEXT REFERENCES people (id),
	decision  TEXT NOT NULL,
	reason    TEXT NOT NULL,
	space     TEXT NOT NULL DEFAULT '', -- what the reason is about
	note      TEXT NOT NULL DEFAULT '', -- staff's reason for a manual action
	from_loc  TEXT,
	location  TEXT,
	delta     INTEGER NOT NULL DEFAULT 0,
	undoes    INTEGER REFERENCES scans (seq)
);

-- Kiosk settings that outlive a restart: the staff PIN's hash, the door.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
