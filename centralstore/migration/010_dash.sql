-- The dashboard's door totals and trend lines (dash.go), kept as each
-- push is stored, in its transaction, instead of built again from every
-- stay for each poll. Reports still replay every stay.

-- The steps the report's replay applies (report.Step), each holder's
-- apart: a person's (their id), or one kiosk's counts without a badge
-- ("+" and the kiosk's id). at is the step's time, Unix milliseconds;
-- n the people a count moves (0 for a person); entries and exits what it
-- counts at door ('' for none). i orders a holder's steps; rseq is the
-- server sequence value of the push (or rebuild) that wrote the row.
CREATE TABLE live_steps (
	holder    TEXT NOT NULL,
	i         BIGINT NOT NULL,
	at        BIGINT NOT NULL,
	from_loc  TEXT NOT NULL,
	to_loc    TEXT NOT NULL,
	n         BIGINT NOT NULL,
	door      TEXT NOT NULL,
	entries   BIGINT NOT NULL,
	exits     BIGINT NOT NULL,
	rseq      BIGINT NOT NULL,
	PRIMARY KEY (holder, i)
);
-- The rows written since a dashboard last read them.
CREATE INDEX live_steps_rseq ON live_steps (rseq);
-- The steps of the last minutes, with every column a trend line reads.
CREATE INDEX live_steps_at ON live_steps (at, holder, i, from_loc, to_loc, n);

-- Each door's entries and exits, and each space's count after every
-- step: the sums of every holder's steps.
CREATE TABLE live_door_totals (
	door    TEXT PRIMARY KEY,
	entries BIGINT NOT NULL,
	exits   BIGINT NOT NULL
);
CREATE TABLE live_space_totals (
	space TEXT PRIMARY KEY,
	n     BIGINT NOT NULL
);

-- What of the event's definition the steps were built with (its spaces'
-- ids and parents, its doors' ids and places); '' until first built.
-- Another value means they are built again from every stay.
ALTER TABLE live ADD COLUMN dash TEXT NOT NULL DEFAULT '';
-- The server sequence value of the last push (or rebuild) that deleted
-- steps: a dashboard that read them before reads them all again.
ALTER TABLE live ADD COLUMN dash_cut BIGINT NOT NULL DEFAULT 0;

-- What a push changes of a kiosk's counts without a badge: its undos,
-- its counts' stays, and those closed at an instant.
CREATE INDEX events_undos ON events (kiosk_id, seq) WHERE undoes IS NOT NULL;
CREATE INDEX spends_counts ON spends (kiosk_id) WHERE substr(person_id, 1, 1) = '+';
CREATE INDEX spends_counts_closed ON spends (closed_hlc) WHERE substr(person_id, 1, 1) = '+';
