-- The clinic's own visit types (issue 12): name, code, kind, default length and colour, synced
-- like every record. Every clinic starts with one per kind of visit (today's fixed set); a
-- trigger gives a new clinic the same set, whichever way it is created.

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

-- The starting set for clinic `t`, inserted under its own tenant setting (the table forces
-- row-level security even on its owner); the setting is put back after.
CREATE FUNCTION medoffice_seed_visit_types(t uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    was text := current_setting('app.tenant_id', true);
BEGIN
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO visit_types (id, tenant_id, name, code, kind, default_minutes, colour)
    SELECT gen_random_uuid(), t, v.name, v.code, v.kind, v.minutes, v.colour
    FROM (VALUES
        ('New patient', 'NEW-PATIENT', 'new_patient', 30, 'blue'),
        ('Follow-up', 'FOLLOWUP', 'follow_up', 20, 'teal'),
        ('Consultation', 'CONSULT', 'consultation', 20, 'violet'),
        ('Vitals check', 'VITALS', 'vitals_check', 15, 'green'),
        ('Procedure', 'PROCEDURE', 'procedure', 30, 'amber'),
        ('Telehealth', 'TELEHEALTH', 'telehealth', 20, 'slate'),
        ('Other', 'OTHER', 'other', 15, 'rose')
    ) AS v (name, code, kind, minutes, colour)
    ON CONFLICT DO NOTHING;
    PERFORM set_config('app.tenant_id', coalesce(was, ''), true);
END $$;

CREATE FUNCTION medoffice_tenant_visit_types() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM medoffice_seed_visit_types(NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER tenants_visit_types AFTER INSERT ON tenants
    FOR EACH ROW EXECUTE FUNCTION medoffice_tenant_visit_types();

SELECT medoffice_seed_visit_types(id) FROM tenants;
