-- The organizers' live dashboard: who may sign in, their signed-in
-- browsers, and what each kiosk last said of its scans not yet pushed.

-- An organizer's password is kept only as PBKDF2-SHA256 of it with a
-- salt of its own (hex), and the iteration count it was made with, so a
-- later raise of the count leaves older hashes readable.
CREATE TABLE organizers (
	name          TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL,
	salt          TEXT NOT NULL,
	iterations    BIGINT NOT NULL,
	created_at    BIGINT NOT NULL
);

-- A signed-in browser. Its token is stored as a SHA-256 hash only, as
-- kiosk tokens are, so a copy of the database signs nobody in.
CREATE TABLE web_sessions (
	token_hash TEXT PRIMARY KEY,
	organizer  TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_organizer ON web_sessions (organizer);

-- Scans the kiosk had not pushed yet, as it said with its last pull.
ALTER TABLE kiosks ADD COLUMN waiting BIGINT NOT NULL DEFAULT 0;
