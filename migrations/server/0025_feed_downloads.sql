-- What a workstation's download of the whole clinic has already put in the audit log (issue 13).
--
-- Every delivery of a patient's records by the feed is audited under the person who received it
-- (issue 15). Audited page by page, a first sync wrote one entry per patient per page; a
-- patient's records are spread over the clinic's history, so that was about one entry per
-- record: 1.3 million for a 100,000-patient clinic, some 270 s of PostgreSQL time to write and
-- chain, over four times the 60 s a first sync may take (docs/bench/side-by-side.md).
--
-- A download from revision 0 now writes, as it begins, one `sync.full_download` entry per
-- patient of the clinic ("revisions 0..R", R the clinic's revision in the first page's
-- snapshot: every record at or below R belongs to one of those patients), and keeps R here with
-- the cursor the download has reached. The download's next page (asked for by the same person
-- on the same workstation from exactly that cursor, within a day) is audited only under the
-- patients whose records in it are newer than R, and moves the cursor on; its last page ends
-- the download. Any other page is audited in full: a re-read from an older cursor, after the
-- download ended, by anyone else. A download that stops early is audited as if it had
-- finished: the entries say what the workstation was given, never less than it took.
CREATE TABLE feed_downloads (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    user_id uuid NOT NULL REFERENCES users (id),
    -- the workstation id given at sign-in ('' for a caller that gave none)
    device_id text NOT NULL,
    -- the clinic's feed history (tenants.feed_epoch) R belongs to: after a restore, revisions
    -- are numbered again and an older R covers nothing
    feed_epoch uuid NOT NULL,
    -- R: every patient with a record at or below it has an entry for this download
    revision bigint NOT NULL,
    -- the cursor the download has reached (the revision of the last page sent): only a page
    -- asked for from here continues it
    next_since bigint NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, device_id)
);
ALTER TABLE feed_downloads ENABLE ROW LEVEL SECURITY;
ALTER TABLE feed_downloads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON feed_downloads
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY owner_all_tenants ON feed_downloads TO %I '
        'USING (current_setting(''app.all_tenants'', true) = ''on'') '
        'WITH CHECK (current_setting(''app.all_tenants'', true) = ''on'')',
        (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'tenants'));
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON feed_downloads TO medoffice_app;
