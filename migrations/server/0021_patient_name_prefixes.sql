-- A search of one to three letters, the first thing typed at a front desk, read from an index
-- already in page order (issue 13).
--
-- patient_words (migration 0005) is ordered by word, so a short prefix's page was a top-N sort
-- of every entry in its range, deduplicated per patient, and its count a DISTINCT over them:
-- 1,243 entries for "ma" among 10,000 patients, 12 times that among 100,000. Here each patient
-- has one row per distinct first one, two and three letters of its name words, keyed in page
-- order after the prefix. A page is the first rows of one index range (no sort, no repeats:
-- "Maria Martinez" is one row for "ma"); its count stops at the search's cap. `prefix` is
-- COLLATE "C" and compared with `=`, which is leakproof, so row-level security does not keep
-- it from being an index condition, as with patient_words.
--
-- The same trigger that writes a patient's words writes its prefixes: a deleted or
-- merged-away record has none.

-- No patient is written between the backfill below and the new trigger (a server may run while
-- `migrate` runs): registrations wait for the migration's commit.
LOCK TABLE patients IN SHARE MODE;

CREATE TABLE patient_name_prefixes (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    prefix text COLLATE "C" NOT NULL,
    -- the page order, as patient_words has it (lower(family_name), lower(given_name), id)
    family_key text NOT NULL,
    given_key text NOT NULL,
    patient_id uuid NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, prefix, family_key, given_key, patient_id)
);
CREATE INDEX patient_name_prefixes_patient ON patient_name_prefixes (patient_id);
ALTER TABLE patient_name_prefixes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_name_prefixes
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON patient_name_prefixes TO medoffice_app;
-- bound for the owner too, as every tenant table is (migration 0013)
ALTER TABLE patient_name_prefixes FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    EXECUTE format(
        'CREATE POLICY owner_all_tenants ON patient_name_prefixes TO %I '
        'USING (current_setting(''app.all_tenants'', true) = ''on'') '
        'WITH CHECK (current_setting(''app.all_tenants'', true) = ''on'')',
        (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'patients'));
END $$;

-- The distinct one-, two- and three-letter starts of a folded search_name's words (a word
-- shorter than three letters is its own longest start).
CREATE FUNCTION medoffice_name_prefixes(p_search_name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT left(w, n) FROM medoffice_name_words(p_search_name) AS w, generate_series(1, 3) AS n
$$;

CREATE OR REPLACE FUNCTION medoffice_patient_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.search_name = NEW.search_name AND OLD.deleted = NEW.deleted
           AND OLD.family_name = NEW.family_name AND OLD.given_name = NEW.given_name
           AND OLD.replaced_by IS NOT DISTINCT FROM NEW.replaced_by THEN
            RETURN NULL;
        END IF;
        DELETE FROM patient_words WHERE patient_id = OLD.id;
        DELETE FROM patient_name_prefixes WHERE patient_id = OLD.id;
    END IF;
    IF NOT NEW.deleted AND NEW.replaced_by IS NULL THEN
        INSERT INTO patient_words (tenant_id, word, patient_id, family_key, given_key)
            SELECT NEW.tenant_id, w, NEW.id, lower(NEW.family_name), lower(NEW.given_name)
              FROM medoffice_name_words(NEW.search_name) AS w;
        INSERT INTO patient_name_prefixes (tenant_id, prefix, family_key, given_key, patient_id)
            SELECT NEW.tenant_id, p, lower(NEW.family_name), lower(NEW.given_name), NEW.id
              FROM medoffice_name_prefixes(NEW.search_name) AS p;
    END IF;
    RETURN NULL;
END $$;

-- What the clinics hold already (as the owner: every clinic).
SELECT set_config('app.all_tenants', 'on', true);
INSERT INTO patient_name_prefixes (tenant_id, prefix, family_key, given_key, patient_id)
    SELECT p.tenant_id, x, lower(p.family_name), lower(p.given_name), p.id
      FROM patients p, medoffice_name_prefixes(p.search_name) AS x
     WHERE NOT p.deleted AND p.replaced_by IS NULL;
