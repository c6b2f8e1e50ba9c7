-- The clinic's own visit types (issue 12): name, code, kind, default length and colour, synced
-- like every record. Until a clinic adds one, bookings use the fixed kinds as before, and its
-- feed carries nothing a previous release cannot read (tests/tests/wire.rs).

CREATE TABLE visit_types (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    code text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9-]{1,19}$'),
    kind text NOT NULL CHECK (kind IN ('new_patient', 'follow_up', 'consultation', 'vitals_check', 'procedure', 'telehealth', 'other')),
    default_minutes integer NOT NULL CHECK (default_minutes BETWEEN 5 AND 480),
    colour text NOT NULL CHECK (colour IN ('blue', 'teal', 'green', 'amber', 'rose', 'violet', 'slate')),
    active boolean NOT NULL DEFAULT true,
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);
CREATE UNIQUE INDEX visit_types_tenant_name ON visit_types (tenant_id, lower(btrim(name)));
CREATE UNIQUE INDEX visit_types_tenant_code ON visit_types (tenant_id, code);
CREATE INDEX visit_types_tenant_revision ON visit_types (tenant_id, revision);

ALTER TABLE appointments ADD COLUMN visit_type_id uuid REFERENCES visit_types (id);

CREATE TRIGGER visit_types_revision BEFORE INSERT OR UPDATE ON visit_types
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();

ALTER TABLE visit_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE visit_types FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON visit_types
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON visit_types TO medoffice_app;
