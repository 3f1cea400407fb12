-- The central roster server's schema, one text for SQLite and PostgreSQL.

-- One server sequence orders every roster change. A writer takes values
-- with UPDATE … RETURNING and holds the row lock until it commits, so the
-- values become visible in order and a pull cursor never skips one.
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

CREATE TABLE event (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	event_id   TEXT NOT NULL,
	definition TEXT NOT NULL, -- JSON of checkin.Event
	seq        BIGINT NOT NULL
);

CREATE TABLE people (
	id       TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	company  TEXT NOT NULL,
	email    TEXT NOT NULL,
	category TEXT NOT NULL,
	tags     TEXT NOT NULL,
	code     TEXT NOT NULL,
	serial   BIGINT NOT NULL,
	removed  INTEGER NOT NULL,
	seq      BIGINT NOT NULL
);
CREATE INDEX people_seq ON people (seq);
CREATE UNIQUE INDEX people_code ON people (code);

CREATE TABLE revocations (
	person_id TEXT NOT NULL,
	serial    BIGINT NOT NULL,
	seq       BIGINT NOT NULL,
	PRIMARY KEY (person_id, serial)
);
CREATE INDEX revocations_seq ON revocations (seq);

-- One-time enrollment tokens and enrolled kiosks; tokens are stored as
-- SHA-256 hashes only.
CREATE TABLE enrollments (
	token_hash TEXT PRIMARY KEY,
	door       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	used_at    BIGINT
);

CREATE TABLE kiosks (
	id          TEXT PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE,
	door        TEXT NOT NULL,
	name        TEXT NOT NULL,
	enrolled_at BIGINT NOT NULL,
	last_seen   BIGINT NOT NULL,
	revoked     INTEGER NOT NULL
);

-- Every kiosk's scan log, each record once, keyed by (kiosk, seq) and
-- never changed.
CREATE TABLE events (
	kiosk_id    TEXT NOT NULL,
	seq         BIGINT NOT NULL,
	hlc         BIGINT NOT NULL,
	at          BIGINT NOT NULL,
	door        TEXT NOT NULL,
	direction   TEXT NOT NULL,
	method      TEXT NOT NULL,
	code        TEXT NOT NULL,
	person_id   TEXT,
	decision    TEXT NOT NULL,
	reason      TEXT NOT NULL,
	space       TEXT NOT NULL,
	note        TEXT NOT NULL,
	from_loc    TEXT,
	location    TEXT,
	delta       INTEGER NOT NULL,
	undoes      BIGINT,
	received_at BIGINT NOT NULL,
	flagged     INTEGER NOT NULL, -- stamped implausibly far ahead of the server's clock
	PRIMARY KEY (kiosk_id, seq)
);
CREATE INDEX events_hlc ON events (hlc);
