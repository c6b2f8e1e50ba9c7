-- A patient's identifiers besides the MRN (national id, SSN, insurance member number, passport,
-- driver's licence; issue 16), as search keys: ASCII letters upper-cased and digits only
-- (medoffice_model::identifier_key), so "123-45-6789" finds "123 45 6789". Kept in step with the
-- cached record as it is written; a deleted or merged-away record has none.
CREATE TABLE patient_identifiers (
    key TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (key, patient_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id);
