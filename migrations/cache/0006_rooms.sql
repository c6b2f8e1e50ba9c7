-- The clinic's rooms (issue 12), as the feed carries them (`data` the Room JSON), so the
-- flow board names rooms and offers them offline.
CREATE TABLE rooms (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;
