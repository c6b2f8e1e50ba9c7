-- medoffice central schema.
--
-- Every clinical table carries tenant_id and revision. A write takes the next value of its
-- tenant's counter inside the writing transaction (trigger medoffice_stamp_revision), so one
-- tenant's writers serialise on their tenants row and revisions become visible in commit order
-- with no gaps. A SEQUENCE would not do: a lower value can commit after a higher one, and a
-- client holding the higher cursor would miss the row forever (DESIGN.md, sync invariant 1).
--
-- Row-level security keeps each clinic to itself: the server runs its queries as the role
-- medoffice_app, which owns nothing, and sets app.tenant_id per transaction.

CREATE EXTENSION IF NOT EXISTS btree_gist;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'medoffice_app') THEN
        CREATE ROLE medoffice_app NOLOGIN;
    END IF;
END $$;

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name text NOT NULL,
    time_zone text NOT NULL DEFAULT 'UTC',
    revision bigint NOT NULL DEFAULT 0,
    mrn_counter bigint NOT NULL DEFAULT 0,
    max_users integer NOT NULL DEFAULT 200,
    max_patients integer NOT NULL DEFAULT 200000,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    username text NOT NULL,
    password_hash text NOT NULL,
    full_name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'physician', 'nurse', 'receptionist')),
    active boolean NOT NULL DEFAULT true,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    must_change_password boolean NOT NULL DEFAULT false,
    last_login_at timestamptz,
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, lower(username));
CREATE INDEX users_tenant_revision ON users (tenant_id, revision);

CREATE TABLE patients (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    mrn text NOT NULL,
    given_name text NOT NULL,
    family_name text NOT NULL,
    date_of_birth date NOT NULL,
    sex text NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    phone text,
    email text,
    address text,
    emergency_contact_name text,
    emergency_contact_phone text,
    allergies text[] NOT NULL DEFAULT '{}',
    notes text,
    first_seen_at date,
    -- " given family " folded to lower-case ASCII, for accent-blind word-prefix search
    search_name text NOT NULL DEFAULT '',
    -- field name -> revision of its last change, for field-level merge of offline edits
    field_revisions jsonb NOT NULL DEFAULT '{}',
    -- the create body as first received, to answer a replayed create (same body: same patient)
    source_id text,
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    deleted boolean NOT NULL DEFAULT false,
    CONSTRAINT patients_tenant_mrn UNIQUE (tenant_id, mrn)
);
CREATE INDEX patients_tenant_revision ON patients (tenant_id, revision);
CREATE INDEX patients_tenant_family ON patients (tenant_id, lower(family_name) text_pattern_ops);
CREATE INDEX patients_tenant_given ON patients (tenant_id, lower(given_name) text_pattern_ops);
CREATE INDEX patients_tenant_dob ON patients (tenant_id, date_of_birth);
CREATE UNIQUE INDEX patients_tenant_source ON patients (tenant_id, source_id) WHERE source_id IS NOT NULL;

CREATE TABLE vital_signs (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    patient_id uuid NOT NULL REFERENCES patients (id),
    measured_at timestamptz NOT NULL,
    recorded_by uuid NOT NULL REFERENCES users (id),
    systolic_mmhg integer,
    diastolic_mmhg integer,
    heart_rate_bpm integer,
    respiratory_rate_bpm integer,
    temperature_c double precision,
    spo2_pct integer,
    on_oxygen boolean,
    consciousness text CHECK (consciousness IN ('alert', 'confused', 'voice', 'pain', 'unresponsive')),
    weight_kg double precision,
    height_cm double precision,
    pain_score integer,
    notes text,
    entered_offline boolean NOT NULL DEFAULT false,
    flags text[] NOT NULL DEFAULT '{}',
    news2 integer,
    source_id text,
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    deleted boolean NOT NULL DEFAULT false,
    CHECK ((systolic_mmhg IS NULL) = (diastolic_mmhg IS NULL))
);
CREATE INDEX vital_signs_tenant_revision ON vital_signs (tenant_id, revision);
CREATE INDEX vital_signs_patient ON vital_signs (patient_id, measured_at DESC);
CREATE UNIQUE INDEX vital_signs_tenant_source ON vital_signs (tenant_id, source_id) WHERE source_id IS NOT NULL;

CREATE TABLE appointments (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    patient_id uuid NOT NULL REFERENCES patients (id),
    provider_id uuid NOT NULL REFERENCES users (id),
    starts_at timestamptz NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    -- kept by trigger: timestamptz + interval is only STABLE, and an exclusion constraint
    -- needs an IMMUTABLE expression
    ends_at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('new_patient', 'follow_up', 'consultation', 'vitals_check', 'procedure', 'telehealth', 'other')),
    status text NOT NULL CHECK (status IN ('scheduled', 'checked_in', 'in_progress', 'completed', 'cancelled', 'no_show')),
    reason text,
    notes text,
    overbooked boolean NOT NULL DEFAULT false,
    field_revisions jsonb NOT NULL DEFAULT '{}',
    source_id text,
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    deleted boolean NOT NULL DEFAULT false,
    -- A provider cannot hold two live appointments that overlap; back-to-back is fine ('[)').
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
        tenant_id WITH =,
        provider_id WITH =,
        tstzrange(starts_at, ends_at, '[)') WITH &&
    ) WHERE (status IN ('scheduled', 'checked_in', 'in_progress') AND NOT overbooked AND NOT deleted)
);
CREATE INDEX appointments_tenant_revision ON appointments (tenant_id, revision);
CREATE INDEX appointments_tenant_starts ON appointments (tenant_id, starts_at);
CREATE INDEX appointments_patient ON appointments (patient_id, starts_at DESC);
CREATE UNIQUE INDEX appointments_tenant_source ON appointments (tenant_id, source_id) WHERE source_id IS NOT NULL;

CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    user_id uuid NOT NULL REFERENCES users (id),
    family_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    device_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    spent_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- A replayed mutation is answered from here, not applied again (sync invariant 4).
CREATE TABLE applied_mutations (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    mutation_id uuid NOT NULL,
    user_id uuid NOT NULL,
    -- the workstation that sent it, and the revision it wrote: a later mutation from the same
    -- workstation has seen this one, so fields it wrote are not conflicts for that mutation
    device_id text,
    revision bigint,
    result jsonb NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, mutation_id)
);
CREATE INDEX applied_mutations_revision ON applied_mutations (tenant_id, revision);

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    at timestamptz NOT NULL DEFAULT now(),
    user_id uuid,
    username text,
    action text NOT NULL,
    entity text,
    entity_id uuid,
    patient_id uuid,
    device_id text,
    ip text,
    outcome text NOT NULL
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_patient ON audit_log (tenant_id, patient_id, at DESC);

-- Revision stamping and change notification -------------------------------------------------

CREATE FUNCTION medoffice_stamp_revision() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE tenants SET revision = revision + 1 WHERE id = NEW.tenant_id
        RETURNING revision INTO NEW.revision;
    IF NEW.revision IS NULL THEN
        RAISE EXCEPTION 'unknown tenant %', NEW.tenant_id;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    -- Delivered at commit, only if the transaction commits. A hint: listeners read the feed.
    PERFORM pg_notify('medoffice_changes', NEW.tenant_id::text || ':' || NEW.revision::text);
    RETURN NEW;
END $$;

CREATE FUNCTION medoffice_appointment_ends_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.ends_at := NEW.starts_at + make_interval(mins => NEW.duration_minutes);
    RETURN NEW;
END $$;

CREATE TRIGGER patients_revision BEFORE INSERT OR UPDATE ON patients
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();
CREATE TRIGGER vital_signs_revision BEFORE INSERT OR UPDATE ON vital_signs
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();
CREATE TRIGGER appointments_ends_at BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION medoffice_appointment_ends_at();
CREATE TRIGGER appointments_revision BEFORE INSERT OR UPDATE ON appointments
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();
-- Only what a reader can see takes a revision: not failed-login counters or last-login times.
CREATE TRIGGER users_revision_insert BEFORE INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();
CREATE TRIGGER users_revision_update BEFORE UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.username IS DISTINCT FROM NEW.username)
    EXECUTE FUNCTION medoffice_stamp_revision();

-- Login and refresh know a clinic code, not yet a tenant: these two look it up across tenants.
CREATE FUNCTION medoffice_tenant_by_code(p_code text)
RETURNS TABLE (id uuid, code text, name text, time_zone text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id, code, name, time_zone FROM tenants WHERE code = lower(p_code)
$$;

-- Row-level security ------------------------------------------------------------------------

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE vital_signs ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE applied_mutations ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;

-- current_setting(..., true) is NULL when unset: no tenant set means no rows.
CREATE POLICY tenant_isolation ON tenants
    USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON patients
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON vital_signs
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON appointments
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON applied_mutations
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT USAGE ON SCHEMA public TO medoffice_app;
GRANT SELECT, UPDATE (revision, mrn_counter) ON tenants TO medoffice_app;
GRANT SELECT, INSERT, UPDATE ON users, patients, vital_signs, appointments, refresh_tokens TO medoffice_app;
GRANT SELECT, INSERT ON applied_mutations TO medoffice_app;
-- The audit log is append-only for the server's role.
GRANT SELECT, INSERT ON audit_log TO medoffice_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO medoffice_app;
GRANT EXECUTE ON FUNCTION medoffice_tenant_by_code(text) TO medoffice_app;
