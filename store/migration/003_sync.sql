-- Sync with the central server. Every scan carries a hybrid logical
-- clock timestamp (sync/hlc): Unix milliseconds << 16 | a logical counter,
-- strictly increasing with seq.
ALTER TABLE scans ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;

-- Rows logged before this migration get the timestamp the clock would
-- have given them: h(i) = max(at(i) << 16, h(i-1) + 1), which unrolls to
-- i + max over j <= i of (at(j) << 16 - j), for i the row's rank by seq.
UPDATE scans SET hlc = h.hlc FROM (
	SELECT seq, rn + max(at * 65536 - rn) OVER (ORDER BY seq) AS hlc
	FROM (SELECT seq, at, row_number() OVER (ORDER BY seq) AS rn FROM scans)
) AS h WHERE scans.seq = h.seq;

-- A pull revokes a person's other codes when their code changes (a
-- reprint) and all of them when they are removed: it finds them by
-- person, not by reading the whole table as a roster load does.
CREATE INDEX codes_person ON codes (person_id);
