-- The clinic's availability (issue 12), as the feed carries it: opening hours and providers'
-- working hours (one row per owner, `data` the Availability JSON) and blocks (closed dates,
-- leave, meetings). Kept so a workstation checks bookings and shades the grid offline.
CREATE TABLE availability (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;

CREATE TABLE schedule_blocks (
    id TEXT PRIMARY KEY,
    -- RFC 3339 UTC with fixed precision, so text order is time order
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX schedule_blocks_time ON schedule_blocks (ends_at, starts_at);
