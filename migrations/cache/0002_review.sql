-- Review: what a person must look at after sync. Held outbox entries wait for a refused creation
-- they depend on (vitals of a patient whose registration the server refused); conflicts keep both
-- values of a field changed on both sides; dismissed duplicates remember "not the same person".

CREATE TABLE outbox_v2 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL,
    op TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    base_revision INTEGER,
    data TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected', 'held')),
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- the server's error body (JSON) of a refusal, e.g. the clashing booking's id
    error_details TEXT,
    -- for 'held': the id of the refused creation this entry waits for
    held_by TEXT
) STRICT;
INSERT INTO outbox_v2 (seq, mutation_id, entity, op, entity_id, base_revision, data, user_id, created_at, state, error, attempts)
    SELECT seq, mutation_id, entity, op, entity_id, base_revision, data, user_id, created_at, state, error, attempts FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_entity ON outbox (entity_id);
CREATE INDEX outbox_patient ON outbox (json_extract(data, '$.patient_id'));
CREATE INDEX outbox_state ON outbox (state, user_id, seq);
CREATE INDEX outbox_held_by ON outbox (held_by) WHERE held_by IS NOT NULL;

-- A field changed here and on the server since the edit's base revision. The server kept its
-- value; the person who made the edit decides (keep mine / keep theirs / edit).
CREATE TABLE conflicts (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    mine TEXT NOT NULL,
    theirs TEXT NOT NULL,
    their_revision INTEGER NOT NULL,
    changed_by TEXT,
    changed_at TEXT,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX conflicts_entity ON conflicts (entity_id);

CREATE TABLE dismissed_duplicates (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    PRIMARY KEY (a, b)
) STRICT;

-- possible duplicates: same folded name and date of birth
CREATE INDEX patients_name_dob ON patients (search_name, date_of_birth);
