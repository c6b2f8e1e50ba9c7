-- When the clinic can book (issue 12): opening hours, providers' working hours and one-off
-- blocks, synced like every record (a revision from the clinic's counter, the feed, row-level
-- security). The rules that read them live in medoffice_model::availability, shared with the
-- workstations; the server applies them to every booking and move.

-- One row for the clinic's opening hours (provider_id NULL, id = the clinic's id) and one per
-- provider with hours of their own (id = the provider's user id): ids are fixed, so saving is
-- an upsert and two admins saving at once cannot make two rows.
CREATE TABLE availability (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    provider_id uuid REFERENCES users (id),
    -- [{"day_of_week": "mon", "start": "08:00", "end": "12:00"}, ...], validated by the server
    available_time jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(available_time) = 'array'),
    revision bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    -- a provider's own hours removed: they work whenever the clinic is open again
    deleted boolean NOT NULL DEFAULT false,
    CHECK ((provider_id IS NULL AND id = tenant_id) OR id = provider_id)
);
CREATE INDEX availability_tenant_revision ON availability (tenant_id, revision);

CREATE TABLE schedule_blocks (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    -- NULL: the whole clinic is closed (a holiday)
    provider_id uuid REFERENCES users (id),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('holiday', 'lunch', 'leave', 'meeting', 'other')),
    reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 200),
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    deleted boolean NOT NULL DEFAULT false,
    CHECK (ends_at > starts_at)
);
CREATE INDEX schedule_blocks_tenant_revision ON schedule_blocks (tenant_id, revision);
CREATE INDEX schedule_blocks_tenant_time ON schedule_blocks (tenant_id, starts_at, ends_at) WHERE NOT deleted;

-- An override of the hours names its reason; NULL for a booking inside them.
ALTER TABLE appointments ADD COLUMN outside_hours_reason text
    CHECK (outside_hours_reason IS NULL OR length(btrim(outside_hours_reason)) BETWEEN 1 AND 500);

CREATE TRIGGER availability_revision BEFORE INSERT OR UPDATE ON availability
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();
CREATE TRIGGER schedule_blocks_revision BEFORE INSERT OR UPDATE ON schedule_blocks
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();

ALTER TABLE availability ENABLE ROW LEVEL SECURITY;
ALTER TABLE availability FORCE ROW LEVEL SECURITY;
ALTER TABLE schedule_blocks ENABLE ROW LEVEL SECURITY;
ALTER TABLE schedule_blocks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON availability
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON schedule_blocks
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE ON availability, schedule_blocks TO medoffice_app;
