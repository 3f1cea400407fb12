-- The center believes events, never numbers (DESIGN "Trust").

-- Why the center refused to believe an event ('' when it believed it):
-- another door's event, a right the kiosk was never granted, a count
-- below the people inside. A refused event is kept as the kiosk sent it
-- and counts for nothing.
ALTER TABLE events ADD COLUMN refused TEXT NOT NULL DEFAULT '';

-- A kiosk log that forked (a restored backup, a copy on a second
-- machine) sends other events under seqs the center holds: each is
-- kept at seq + n * 2^40 (n, its branch) and counted. forks is how
-- many such events the center kept; forked_at, when it first saw one.
ALTER TABLE kiosks ADD COLUMN forks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE kiosks ADD COLUMN forked_at BIGINT NOT NULL DEFAULT 0;

-- The events the center lists as conflicts of their own: refused,
-- stamped implausibly, or kept on a fork's branch.
CREATE INDEX events_odd ON events (kiosk_id, seq) WHERE refused <> '' OR flagged = 1 OR seq >= 1099511627776;

-- Enrollment codes expire, and the organizer may cancel one.
ALTER TABLE enrollments ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN cancelled_at BIGINT NOT NULL DEFAULT 0;
