-- Why a person's ticket is not valid (checkin.Person.Revoked: "refunded
-- ticket", "unpaid order"), as the roster or the center says; '' while it
-- is valid. The person stays on the roster, findable by name, and every
-- credential of theirs is denied entry with this reason; a later roster
-- or pull that clears it lets them in again.
ALTER TABLE people ADD COLUMN revoked_why TEXT NOT NULL DEFAULT '';
