-- Charts opened on this workstation, until the server has them in its audit log. A chart is
-- read from this cache, so the server never sees the read; the workstation reports it
-- (`POST /api/v1/audit/access`, see crates/client/src/access.rs). Kept here, not in memory,
-- so reads made offline are reported once the server is back. `id` is made here and makes a
-- report sent twice count once on the server.
CREATE TABLE access_log (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    action TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    at TEXT NOT NULL,
    -- 1 once the server has it; kept a day so a reopened chart is not a new access
    sent INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX access_log_unsent ON access_log (user_id, sent, at);
CREATE INDEX access_log_recent ON access_log (user_id, patient_id, at);
