-- The clinic's visit types (issue 12), as the feed carries them (`data` the VisitType JSON),
-- so the booking form offers them offline.
CREATE TABLE visit_types (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;
