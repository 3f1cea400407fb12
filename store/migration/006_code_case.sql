-- A scan finds a roster code whatever the case of its ASCII letters (a
-- scanner in caps lock, a badge printed in capitals): the lookup compares
-- lower(code), as fast through this index as by the primary key. SQLite's
-- lower() folds ASCII only, as roster.FoldCode does.
CREATE INDEX codes_fold ON codes (lower(code));
