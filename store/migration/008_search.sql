-- The name search's folded roster (search.go), saved so that a kiosk
-- opening its database does not read the whole roster again: chunks in
-- order, valid for the roster version of the search_version setting.
CREATE TABLE search_text (
	chunk INTEGER PRIMARY KEY,
	data  TEXT NOT NULL
);
