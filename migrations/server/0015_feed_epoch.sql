-- A restored database is another history (issue 14). A workstation whose feed cursor came from
-- before the restore would otherwise skip every change the restored server numbers at or below
-- that cursor. Each clinic's feed epoch goes out with every feed page (`x-feed-epoch`); a
-- workstation that sees it change starts its feed again from zero and keeps its unsent changes.
-- It changes when the server finds itself on a restored database (another cluster, or a new
-- timeline after point-in-time recovery: database_incarnation, checked at every migration run)
-- and when the operator says so (`medoffice-server restored`).
ALTER TABLE tenants ADD COLUMN feed_epoch uuid NOT NULL DEFAULT gen_random_uuid();

-- The cluster this database last ran on (pg_control_system, pg_control_checkpoint): one row.
CREATE TABLE database_incarnation (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    system_identifier bigint NOT NULL,
    timeline integer NOT NULL,
    noted_at timestamptz NOT NULL DEFAULT now()
);
-- the owner's alone: the server's role neither reads nor writes it
ALTER TABLE database_incarnation ENABLE ROW LEVEL SECURITY;
ALTER TABLE database_incarnation FORCE ROW LEVEL SECURITY;
DO $$
DECLARE
    owner name;
BEGIN
    SELECT tableowner INTO owner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'database_incarnation';
    EXECUTE format(
        'CREATE POLICY owner_all_tenants ON database_incarnation TO %I '
        'USING (current_setting(''app.all_tenants'', true) = ''on'') '
        'WITH CHECK (current_setting(''app.all_tenants'', true) = ''on'')',
        owner);
END $$;
