-- When a badge was revoked or a person removed, so the center can list
-- admissions of badges revoked before the scan. 0: before this column.
ALTER TABLE revocations ADD COLUMN at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN removed_at BIGINT NOT NULL DEFAULT 0;
