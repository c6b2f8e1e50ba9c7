-- Patient search served from an index under row-level security.
--
-- GET /api/v1/patients?q=ma matched `search_name LIKE '% ma%'`. LIKE is not leakproof, so under
-- row-level security PostgreSQL must apply the clinic policy to every row before it may evaluate
-- LIKE: every search read every patient of the clinic (about 1.4 s at p99 with 100,000 patients
-- under load, issue 13). Here each patient's folded name words (the words of search_name, as the
-- desktop cache's patient_words table keeps them, 0003_search_words.sql there) are rows of a
-- table keyed (tenant_id, word, patient_id). A word prefix becomes a range, `word >= 'ma' AND
-- word < 'ma' || chr(127)`; the column is COLLATE "C", whose `>=` and `<` compare bytes and are
-- leakproof, so the planner may use them as index conditions beside the policy's tenant_id.
-- Words are lower-case ASCII (medoffice_model::search::fold), so chr(127) bounds every prefix.
--
-- A trigger keeps the table in step with patients, whoever writes them (REST, sync push,
-- imports); a soft-deleted patient has no words, so a search never meets one.

CREATE TABLE patient_words (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    word text COLLATE "C" NOT NULL,
    patient_id uuid NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    -- the page order (lower(family_name), lower(given_name), id, in the database's collation),
    -- so a prefix's page is sorted from this index alone, never from the patients it matches
    family_key text NOT NULL,
    given_key text NOT NULL,
    PRIMARY KEY (tenant_id, word, patient_id) INCLUDE (family_key, given_key)
);
-- A patient's words, through which the trigger below replaces them.
CREATE INDEX patient_words_patient ON patient_words (patient_id);

ALTER TABLE patient_words ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_words
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON patient_words TO medoffice_app;

-- The words of a folded search_name (" given family "): split on spaces, no empties, no repeats.
CREATE FUNCTION medoffice_name_words(p_search_name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(btrim(p_search_name), ' +') AS w WHERE w <> ''
$$;

CREATE FUNCTION medoffice_patient_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.search_name = NEW.search_name AND OLD.deleted = NEW.deleted
           AND OLD.family_name = NEW.family_name AND OLD.given_name = NEW.given_name THEN
            RETURN NULL;
        END IF;
        DELETE FROM patient_words WHERE patient_id = OLD.id;
    END IF;
    IF NOT NEW.deleted THEN
        INSERT INTO patient_words (tenant_id, word, patient_id, family_key, given_key)
            SELECT NEW.tenant_id, w, NEW.id, lower(NEW.family_name), lower(NEW.given_name)
              FROM medoffice_name_words(NEW.search_name) AS w;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER patients_words AFTER INSERT OR UPDATE OF search_name, deleted, family_name, given_name ON patients
    FOR EACH ROW EXECUTE FUNCTION medoffice_patient_words();

-- What the clinics hold already.
INSERT INTO patient_words (tenant_id, word, patient_id, family_key, given_key)
    SELECT p.tenant_id, w, p.id, lower(p.family_name), lower(p.given_name)
      FROM patients p, medoffice_name_words(p.search_name) AS w
     WHERE NOT p.deleted;

-- The name order of a result page, walked when a search matches many (see above). search_name
-- rides along so the walk tests each patient from the index alone (an index-only scan; the
-- names too, which PostgreSQL wants as columns to answer lower(...) from the index) and reads
-- from the table only the rows of the page.
CREATE INDEX patients_tenant_name_order ON patients (tenant_id, lower(family_name), lower(given_name), id)
    INCLUDE (search_name, family_name, given_name) WHERE NOT deleted;
