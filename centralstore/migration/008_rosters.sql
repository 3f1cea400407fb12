-- Rosters from ticketing systems (README "Roster files" and "pretix").

-- Why a person's ticket is not valid ('' while it is): a refunded,
-- cancelled or unpaid one, as the export or the API said. Kiosks deny
-- every credential of theirs with this reason.
ALTER TABLE people ADD COLUMN revoked_why TEXT NOT NULL DEFAULT '';

-- What the center changed by hand, which a re-import does not undo
-- unless asked to (--replace): 1 added here (a roster without them does
-- not remove them), 2 removed here (a roster with them does not bring
-- them back), 4 given a new code by a reprint (a roster with the old
-- code does not restore it).
ALTER TABLE people ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;

-- The pretix event the center follows, and what its last read did.
-- options are those the read was made with (check-in list, pending
-- orders): other options read everything again. since is the
-- modified_since of the next read (RFC 3339, '' for everything);
-- read_at when it last ran (Unix ms), with its summary or its error.
CREATE TABLE pretix (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	url TEXT NOT NULL,
	options TEXT NOT NULL DEFAULT '',
	since TEXT NOT NULL DEFAULT '',
	read_at BIGINT NOT NULL DEFAULT 0,
	result TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	-- while a read runs, until when it holds the claim (Unix ms); 0 when
	-- none runs
	reading_until BIGINT NOT NULL DEFAULT 0
);
