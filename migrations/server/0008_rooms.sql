-- Rooms and the clinic-wide waiting room (issue 12). A room is synced like every record; a
-- visit's room is a field of the appointment (edited offline and merged like its other fields),
-- and its place on the flow board is derived from status, room and the clock
-- (medoffice_model::flow_state), so nothing else needs storing.

CREATE TABLE rooms (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    active boolean NOT NULL DEFAULT true,
    revision bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);
CREATE UNIQUE INDEX rooms_tenant_name ON rooms (tenant_id, lower(btrim(name)));
CREATE INDEX rooms_tenant_revision ON rooms (tenant_id, revision);

ALTER TABLE appointments ADD COLUMN room_id uuid REFERENCES rooms (id);

CREATE TRIGGER rooms_revision BEFORE INSERT OR UPDATE ON rooms
    FOR EACH ROW EXECUTE FUNCTION medoffice_stamp_revision();

ALTER TABLE rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rooms
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE ON rooms TO medoffice_app;
