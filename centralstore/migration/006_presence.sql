-- Presence (checkin/presence.go): a spend is a stay, a person inside a
-- counter, open until an exit at any door of that space or a later move
-- that contradicts it closes it; every count reads the open stays.

-- When each event happened on the center's clock, as its kiosk
-- estimated it from its last sync (t, Unix milliseconds, give or take
-- terr; terr < 0: no estimate), and how many stays it closed (an exit
-- that closed none is an exit of someone nobody admitted).
ALTER TABLE events ADD COLUMN t BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN terr BIGINT NOT NULL DEFAULT -1;
ALTER TABLE events ADD COLUMN closes BIGINT NOT NULL DEFAULT 0;

-- A stay's admission: where it led (dest, the innermost space entered)
-- and its stamp; when the stay closed (closed_hlc, of the event that
-- closed it; 0 while open); pseq, the server sequence of its last
-- change, so a kiosk's pull brings the stays opened and closed since its
-- cursor. closed is 0 open, 1 credited, 2 closed by the center and its
-- kiosk sent a notice to credit the right.
ALTER TABLE spends ADD COLUMN dest TEXT NOT NULL DEFAULT '';
ALTER TABLE spends ADD COLUMN t BIGINT NOT NULL DEFAULT 0;
ALTER TABLE spends ADD COLUMN terr BIGINT NOT NULL DEFAULT -1;
ALTER TABLE spends ADD COLUMN closed_hlc BIGINT NOT NULL DEFAULT 0;
ALTER TABLE spends ADD COLUMN pseq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE spends ADD COLUMN cursor BIGINT NOT NULL DEFAULT 0;
CREATE INDEX spends_open ON spends (person_id, closed);
CREATE INDEX spends_pseq ON spends (pseq);
CREATE INDEX events_person ON events (person_id, decision);

-- Whether the kiosk scans exits, as its last report of its rights said:
-- it admits nobody, so it holds no rights and its door's part goes to
-- the door's other kiosks.
ALTER TABLE kiosks ADD COLUMN exits INTEGER NOT NULL DEFAULT 0;

-- Rights the center asked a kiosk to give back on the spot, for a door
-- where someone waits while the reserve is empty: its next exchange
-- returns them, whatever its share.
ALTER TABLE holdings ADD COLUMN reclaim BIGINT NOT NULL DEFAULT 0;

-- Credits that came before their admissions (pushes are order-free) wait
-- as spends with no holder; a push looks for its kiosk's few.
CREATE INDEX spends_early ON spends (kiosk_id) WHERE person_id = '';
