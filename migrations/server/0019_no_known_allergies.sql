-- "No known allergies" as something a person recorded, apart from an allergy list nobody filled
-- in (SNOMED CT 716186003, "No known allergy"): the chart says "No known allergies" only when
-- someone asked; an empty list alone reads "Allergies not recorded". Records so far had no way
-- to say it, so they start as not recorded. Never true while allergies are listed.
ALTER TABLE patients
    ADD COLUMN no_known_allergies boolean NOT NULL DEFAULT false;
