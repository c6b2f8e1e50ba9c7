-- Correcting a recorded vital-sign set (issue 16): FHIR Observation.status, and who corrected
-- it, when and why. A set is never deleted: entered-in-error sets stay, amended ones keep every
-- earlier version in vital_signs_versions.
ALTER TABLE vital_signs
    ADD COLUMN status text NOT NULL DEFAULT 'final'
        CHECK (status IN ('final', 'amended', 'entered-in-error')),
    ADD COLUMN correction_reason text,
    ADD COLUMN corrected_by uuid REFERENCES users (id),
    ADD COLUMN corrected_at timestamptz,
    ADD CONSTRAINT vital_signs_correction_said
        CHECK ((status = 'final') = (correction_reason IS NULL AND corrected_by IS NULL AND corrected_at IS NULL));

-- An amended set as it was before each amendment (the VitalSigns JSON the API served), with
-- the revision it had; appended, never changed.
CREATE TABLE vital_signs_versions (
    vital_signs_id uuid NOT NULL REFERENCES vital_signs (id),
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    revision bigint NOT NULL,
    record jsonb NOT NULL,
    superseded_at timestamptz NOT NULL DEFAULT now(),
    superseded_by uuid NOT NULL REFERENCES users (id),
    PRIMARY KEY (vital_signs_id, revision)
);

ALTER TABLE vital_signs_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE vital_signs_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON vital_signs_versions
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
DO $$
DECLARE
    owner name;
BEGIN
    SELECT tableowner INTO owner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'vital_signs_versions';
    EXECUTE format(
        'CREATE POLICY owner_all_tenants ON vital_signs_versions TO %I '
        'USING (current_setting(''app.all_tenants'', true) = ''on'') '
        'WITH CHECK (current_setting(''app.all_tenants'', true) = ''on'')',
        owner);
END $$;
GRANT SELECT, INSERT ON vital_signs_versions TO medoffice_app;
