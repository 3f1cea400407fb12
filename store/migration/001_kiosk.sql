-- The event definition a kiosk decides against, as JSON of checkin.Event.
CREATE TABLE event (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	event_id   TEXT NOT NULL,
	definition TEXT NOT NULL,
	loaded_at  TEXT NOT NULL
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

-- The scan log: every decision, denials included, append-only. location
-- is where the person is after the scan, set only when the scan moved
-- them; presence and occupancy are rebuilt from it.
CREATE TABLE scans (
	seq       INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL, -- Unix milliseconds
	door      TEXT NOT NULL,
	direction TEXT NOT NULL,
	code      TEXT NOT NULL,
	person_id TEXT REFERENCES people (id),
	decision  TEXT NOT NULL,
	reason    TEXT NOT NULL,
	space     TEXT NOT NULL DEFAULT '',
	location  TEXT
);
