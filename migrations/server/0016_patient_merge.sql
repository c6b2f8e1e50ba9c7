-- Merging duplicate patients (issue 16): the merged-away record stays as a tombstone pointing
-- at the record that stays (FHIR Patient.link, type replaced-by). It leaves the name search
-- (no words, as a deleted patient has none) and lists; its sets and bookings move to the
-- survivor.
ALTER TABLE patients
    ADD COLUMN replaced_by uuid REFERENCES patients (id),
    ADD CONSTRAINT patients_not_replaced_by_itself CHECK (replaced_by <> id);

CREATE OR REPLACE FUNCTION medoffice_patient_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.search_name = NEW.search_name AND OLD.deleted = NEW.deleted
           AND OLD.family_name = NEW.family_name AND OLD.given_name = NEW.given_name
           AND OLD.replaced_by IS NOT DISTINCT FROM NEW.replaced_by THEN
            RETURN NULL;
        END IF;
        DELETE FROM patient_words WHERE patient_id = OLD.id;
    END IF;
    IF NOT NEW.deleted AND NEW.replaced_by IS NULL THEN
        INSERT INTO patient_words (tenant_id, word, patient_id, family_key, given_key)
            SELECT NEW.tenant_id, w, NEW.id, lower(NEW.family_name), lower(NEW.given_name)
              FROM medoffice_name_words(NEW.search_name) AS w;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER patients_words ON patients;
CREATE TRIGGER patients_words AFTER INSERT OR UPDATE OF search_name, deleted, family_name, given_name, replaced_by ON patients
    FOR EACH ROW EXECUTE FUNCTION medoffice_patient_words();
