-- Every code ever given, and to whom: a code stays its first owner's,
-- as on the kiosks, so an import or an edit cannot hand it to someone
-- else (a kiosk that saw it would keep it the first owner's).
CREATE TABLE codes (
	code      TEXT PRIMARY KEY,
	person_id TEXT NOT NULL
);
INSERT INTO codes (code, person_id) SELECT code, id FROM people WHERE removed = 0;
