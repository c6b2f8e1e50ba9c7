-- What a front desk needs beyond the name (issue 16), as FHIR Patient holds it: a structured
-- address (the existing `address` column is Address.line; city, state, postal code and
-- country beside it), the preferred language (BCP 47, Patient.communication) and whether an
-- interpreter is needed (extension patient-interpreterRequired), the next of kin
-- (Patient.contact, v2-0131 N, with an HL7 v3 RoleCode relationship), and identifiers besides
-- the MRN (Patient.identifier: national id, SSN, insurance member number, passport, driver's
-- licence), each with its kind, issuer and value, as a JSON array.
ALTER TABLE patients
    ADD COLUMN city text,
    ADD COLUMN state text,
    ADD COLUMN postal_code text,
    ADD COLUMN country text,
    ADD COLUMN preferred_language text,
    ADD COLUMN interpreter_required boolean NOT NULL DEFAULT false,
    ADD COLUMN next_of_kin_name text,
    ADD COLUMN next_of_kin_relationship text CHECK (next_of_kin_relationship IN
        ('spouse', 'partner', 'parent', 'child', 'sibling', 'guardian', 'other_relative', 'friend')),
    ADD COLUMN next_of_kin_phone text,
    ADD COLUMN identifiers jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(identifiers) = 'array');

-- A search finds a patient by any identifier's value, compared as ASCII letters (upper case) and
-- digits only (medoffice_model::identifier_key), so 123-45-6789 finds 123 45 6789. As with
-- patient_words (migration 0005), the keys are rows of a table keyed by tenant first and compared
-- with a leakproof equality, so the lookup is an index condition under row-level security. A
-- deleted or merged-away record has none.
CREATE TABLE patient_identifier_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    key text COLLATE "C" NOT NULL,
    patient_id uuid NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, key, patient_id)
);
CREATE INDEX patient_identifier_keys_patient ON patient_identifier_keys (patient_id);
ALTER TABLE patient_identifier_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_identifier_keys
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON patient_identifier_keys TO medoffice_app;
-- bound for the owner too, as every tenant table is (migration 0013)
ALTER TABLE patient_identifier_keys FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY owner_all_tenants ON patient_identifier_keys TO %I '
        'USING (current_setting(''app.all_tenants'', true) = ''on'') '
        'WITH CHECK (current_setting(''app.all_tenants'', true) = ''on'')',
        (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'patients'));
END $$;

CREATE FUNCTION medoffice_patient_identifier_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.identifiers = NEW.identifiers AND OLD.deleted = NEW.deleted
           AND OLD.replaced_by IS NOT DISTINCT FROM NEW.replaced_by THEN
            RETURN NULL;
        END IF;
        DELETE FROM patient_identifier_keys WHERE patient_id = OLD.id;
    END IF;
    IF NOT NEW.deleted AND NEW.replaced_by IS NULL THEN
        INSERT INTO patient_identifier_keys (tenant_id, key, patient_id)
            SELECT DISTINCT NEW.tenant_id, k, NEW.id
              FROM jsonb_array_elements(NEW.identifiers) AS i,
                   upper(regexp_replace(coalesce(i->>'value', ''), '[^A-Za-z0-9]', '', 'g')) AS k
             WHERE k <> '';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER patients_identifier_keys AFTER INSERT OR UPDATE OF identifiers, deleted, replaced_by ON patients
    FOR EACH ROW EXECUTE FUNCTION medoffice_patient_identifier_keys();
