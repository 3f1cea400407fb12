-- Signed badges. serial is a person's current badge serial: a signed
-- badge with a lower one is a lost badge that was reprinted. walkup marks
-- a person first seen on a signed badge, registered after the roster was
-- loaded: a later roster load that lacks them does not remove them.
ALTER TABLE people ADD COLUMN serial INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN walkup INTEGER NOT NULL DEFAULT 0;

-- Badge serials revoked explicitly (lost, stolen), beyond the lower
-- serials a reprint revokes.
CREATE TABLE revocations (
	person_id TEXT NOT NULL,
	serial    INTEGER NOT NULL,
	PRIMARY KEY (person_id, serial)
) WITHOUT ROWID;
