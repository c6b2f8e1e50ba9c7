-- The desktop's local cache: server rows as the feed delivered them (never edited locally),
-- and the outbox of local mutations waiting for the server. The UI reads rows with pending
-- mutations applied on top, so local work shows at once without touching server state.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    -- " given family " folded to lower-case ASCII: accent-blind word-prefix search
    search_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    mrn TEXT NOT NULL,
    phone_digits TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX patients_name ON patients (family_name COLLATE NOCASE, given_name COLLATE NOCASE);
CREATE INDEX patients_dob ON patients (date_of_birth);
CREATE INDEX patients_mrn ON patients (mrn);

CREATE TABLE vital_signs (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    measured_at TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX vital_signs_patient ON vital_signs (patient_id, measured_at DESC);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    -- RFC 3339 UTC with fixed precision, so text order is time order
    starts_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;
CREATE INDEX appointments_starts ON appointments (starts_at);
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at DESC);

CREATE TABLE staff (
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    data TEXT NOT NULL
) STRICT;

-- A mutation leaves the outbox only when the server has answered it: applied (deleted here)
-- or refused (kept as 'rejected' with the reason, shown to a person).
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL,
    op TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    base_revision INTEGER,
    data TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX outbox_entity ON outbox (entity_id);
