-- Capacity rights (DESIGN "Capacity"): the center grants each space's
-- capacity to kiosks as rights, a kiosk spends one per counter its door
-- increases, and the center keeps the other side of the books, so that
-- people inside + rights held + reserve + rights in transit = cap + debt.

-- An event's changes of the kiosk's rights, as pushed (JSON of
-- []checkin.RightChange; NULL: none); the kiosk's pull cursor when it
-- logged the event; and the server sequence value of the push that
-- stored it. An exit is matched only with admissions stored at or below
-- its cursor: those the center held before the exiting kiosk last pulled.
ALTER TABLE events ADD COLUMN rights TEXT;
ALTER TABLE events ADD COLUMN cursor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN rseq BIGINT NOT NULL DEFAULT 0;

-- A retired kiosk is gone for good: its rights went back to the reserve,
-- and the center credits its open admissions when their exits turn up.
ALTER TABLE kiosks ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;

-- One row per capacity counter (a space). cap is the capacity the rights
-- were last made for; reserve is what the center may still grant; debt is
-- what a lowered cap took beyond the reserve, paid by returns before the
-- reserve grows again; inside is the admissions spent and not credited.
CREATE TABLE rights (
	counter TEXT PRIMARY KEY,
	cap     BIGINT NOT NULL,
	reserve BIGINT NOT NULL,
	debt    BIGINT NOT NULL,
	inside  BIGINT NOT NULL
);

-- The center's view of each kiosk's balance: grants issued to it, minus
-- the returns and spends, plus the credits, of its pushed events. Its
-- last reported demand weighs its share of the free rights.
CREATE TABLE holdings (
	kiosk_id TEXT NOT NULL,
	counter  TEXT NOT NULL,
	n        BIGINT NOT NULL,
	demand   BIGINT NOT NULL,
	PRIMARY KEY (kiosk_id, counter)
);

-- Every grant, keyed by its server sequence value: the kiosk's pull
-- brings those after its cursor, so a grant whose answer was lost still
-- arrives, and the kiosk applies each once by its id.
CREATE TABLE grants (
	seq      BIGINT PRIMARY KEY,
	kiosk_id TEXT NOT NULL,
	counter  TEXT NOT NULL,
	n        BIGINT NOT NULL,
	at       BIGINT NOT NULL
);
CREATE INDEX grants_kiosk ON grants (kiosk_id, seq);

-- Every right spent on an admission, so an exit at another door can be
-- matched with it. person_id is '' for a staff +1 (nobody to match).
-- closed: 0 open; 1 credited, by the kiosk that spent it or on behalf of
-- a retired one; 2 an exit elsewhere was matched with it and the kiosk
-- was sent a notice, its credit yet to come.
CREATE TABLE spends (
	kiosk_id  TEXT NOT NULL,
	seq       BIGINT NOT NULL,
	counter   TEXT NOT NULL,
	person_id TEXT NOT NULL,
	hlc       BIGINT NOT NULL,
	rseq      BIGINT NOT NULL,
	closed    INTEGER NOT NULL,
	PRIMARY KEY (kiosk_id, seq, counter)
);
CREATE INDEX spends_person ON spends (person_id, counter, hlc);

-- Notices to the kiosk that spent a right: the person it admitted was
-- seen leaving at another door, so it may credit the right back. Only
-- that kiosk may: it alone knows whether its own exit credited it first.
CREATE TABLE notices (
	seq        BIGINT PRIMARY KEY,
	kiosk_id   TEXT NOT NULL,
	person_id  TEXT NOT NULL,
	counter    TEXT NOT NULL,
	admission  BIGINT NOT NULL,
	exit_kiosk TEXT NOT NULL,
	exit_seq   BIGINT NOT NULL
);
CREATE INDEX notices_kiosk ON notices (kiosk_id, seq);
