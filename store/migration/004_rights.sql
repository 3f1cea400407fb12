-- Capacity rights (checkin/rights.go). A row that changes this kiosk's
-- rights lists the changes, as JSON of []checkin.RightChange: an
-- admission its spends, an exit its credits, a grant from the center, a
-- return to it. NULL when the row changed none. Rows that only move
-- rights have method 'rights'.
ALTER TABLE scans ADD COLUMN rights TEXT;

-- The pull cursor when the row was logged: the center matches an exit
-- only with admissions it held before this kiosk's last pull, so an exit
-- scanned before an admission happened elsewhere never credits it.
ALTER TABLE scans ADD COLUMN cursor INTEGER NOT NULL DEFAULT 0;

-- Grants and departure notices from the center, each applied once
-- however often a pull delivers it.
CREATE TABLE grants_applied (id INTEGER PRIMARY KEY);
CREATE TABLE notices_applied (id INTEGER PRIMARY KEY);
