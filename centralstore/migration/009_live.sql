-- The live figures Status shows (live.go), kept as each push is stored,
-- in its transaction, instead of read again from every event for each
-- poll of the dashboard. Reports still replay the events.

-- Each kiosk's events as stored, those stamped implausibly (flagged) and
-- those the center refused to believe.
ALTER TABLE kiosks ADD COLUMN n_events BIGINT NOT NULL DEFAULT 0;
ALTER TABLE kiosks ADD COLUMN n_flagged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE kiosks ADD COLUMN n_refused BIGINT NOT NULL DEFAULT 0;
UPDATE kiosks SET
	n_events = (SELECT count(*) FROM events e WHERE e.kiosk_id = kiosks.id),
	n_flagged = (SELECT count(*) FROM events e WHERE e.kiosk_id = kiosks.id AND e.flagged = 1),
	n_refused = (SELECT count(*) FROM events e WHERE e.kiosk_id = kiosks.id AND e.refused <> '');

-- A push's events, found by the server sequence value it took.
CREATE INDEX events_rseq ON events (rseq);

-- The conflicts the hybrid-clock replay finds between kiosks' views,
-- leaving out revocations (Status reads those at each poll): double
-- admissions and exits that closed no stay, one row per event, ordered
-- as the replay meets them (hlc, kiosk_id, seq).
CREATE TABLE live_conflicts (
	kiosk_id  TEXT NOT NULL,
	seq       BIGINT NOT NULL,
	hlc       BIGINT NOT NULL,
	person_id TEXT NOT NULL,
	kind      TEXT NOT NULL,
	at        BIGINT NOT NULL,
	door      TEXT NOT NULL,
	PRIMARY KEY (kiosk_id, seq)
);
CREATE INDEX live_conflicts_person ON live_conflicts (person_id);
-- In the replay's order, with every column Status reads (no table lookups).
CREATE INDEX live_conflicts_order ON live_conflicts (hlc, kiosk_id, seq, person_id, kind, at, door);

-- What of the event's definition live_conflicts was built with (its
-- spaces: ids, parents, anti-passback); '' until first built. Another
-- value means the conflicts are built again from every event.
CREATE TABLE live (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	spaces TEXT NOT NULL
);
INSERT INTO live (id, spaces) VALUES (1, '');

-- The open stays (occupancy) and the stays closed that their kiosks
-- have not credited yet (the rights' books), without reading every stay;
-- spends_inside holds every column occupancy reads, so a poll reads the
-- index alone, not a table page per stay.
CREATE INDEX spends_inside ON spends (person_id, kiosk_id, seq, counter, closed) WHERE closed = 0 AND person_id <> '';
CREATE INDEX spends_pending ON spends (counter) WHERE closed = 2;

-- The people removed from the roster (revocations, read at each poll),
-- without reading the whole roster.
CREATE INDEX people_removed ON people (id) WHERE removed = 1;
