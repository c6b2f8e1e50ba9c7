-- A NEWS2 escalation acknowledged on this workstation (issue 16): reported to the audit log
-- like a chart opened, with the set that called for it and the response acknowledged, and
-- kept after it is sent, so the chart still says who acknowledged it.
ALTER TABLE access_log ADD COLUMN vital_signs_id TEXT;
ALTER TABLE access_log ADD COLUMN escalation TEXT;
CREATE INDEX access_log_acknowledged ON access_log (patient_id, vital_signs_id)
    WHERE vital_signs_id IS NOT NULL;
