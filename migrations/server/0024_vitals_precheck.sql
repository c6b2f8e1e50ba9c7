-- What a new vital-sign set needs to know, read the same way for every clinic (issue 13).
--
-- PostgreSQL estimates the row-level-security condition `tenant_id = current_setting(…)` with
-- the clinic set when it plans, and a pooled connection keeps a generic plan after five runs.
-- Planned while a clinic the statistics do not know is set (one that joined or first recorded
-- sets since the last ANALYZE: estimated at one row), `SELECT … FROM vital_signs WHERE id = $1`
-- takes `vital_signs_tenant_revision`, cheap for that clinic; the same cached plan then walks
-- every set of a large clinic for each new set (the outbox drain inside scripts/bench: 14 ms a
-- set; docs/bench/side-by-side.md, fourth stop). Planning it on every run instead (unnamed
-- statements) made writes 15-50 % slower in the one script measured.
--
-- Here the rows are found as the table's owner, whose policies are OR'ed with the all-clinics
-- one (migration 0013): a clinic-led index cannot serve an OR, so the only plan is the primary
-- key, whichever clinic it was made for (an owner that is a superuser bypasses the policies,
-- which leaves the primary key too). The clinic is then checked explicitly, in a form no
-- clinic-led index serves, so the answer is exactly what the caller's own policies would show:
-- nothing of another clinic, whether or not app.all_tenants is set. The clinic's own row is
-- found by its primary key, which is the clinic id: nothing to choose there.
--
-- For each (set id, patient id) at position `ord` (1-based): whether the set is stored already,
-- the patient record that stands for the patient (itself, or the record it was merged into; the
-- id given when unknown), that record's date of birth and administrative sex (NULL when unknown
-- or deleted), and the clinic's time zone.
CREATE FUNCTION medoffice_vitals_precheck(p_ids uuid[], p_patients uuid[])
RETURNS TABLE (ord bigint, stored boolean, standing uuid, date_of_birth date, sex text, time_zone text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
-- Planned once per connection: left to choose, PostgreSQL planned it on every call (its
-- estimate of the arrays' length made the generic plan look dearer than a custom one): 0.25 to
-- 0.5 ms a call more than the two statements it replaces; planned once, a little less than
-- them (pgbench, one connection, a 2,000-patient clinic)
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    me text := nullif(current_setting('app.tenant_id', true), '');
BEGIN
    IF me IS NULL THEN
        -- a server fault, not an answer: an empty result would read as "no such patient"
        RAISE EXCEPTION 'medoffice_vitals_precheck: app.tenant_id is not set';
    END IF;
    RETURN QUERY
    SELECT j.ord,
           EXISTS (SELECT 1 FROM vital_signs v WHERE v.id = j.id AND v.tenant_id::text = me),
           coalesce(m.replaced_by, j.patient_id),
           p.date_of_birth,
           p.sex,
           (SELECT t.time_zone FROM tenants t WHERE t.id = me::uuid)
    FROM unnest(p_ids, p_patients) WITH ORDINALITY AS j (id, patient_id, ord)
    LEFT JOIN LATERAL (
        SELECT q.replaced_by FROM patients q WHERE q.id = j.patient_id AND q.tenant_id::text = me
    ) m ON true
    LEFT JOIN LATERAL (
        SELECT r.date_of_birth, r.sex FROM patients r
        WHERE r.id = coalesce(m.replaced_by, j.patient_id) AND NOT r.deleted AND r.tenant_id::text = me
    ) p ON true;
END $$;
REVOKE EXECUTE ON FUNCTION medoffice_vitals_precheck(uuid[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION medoffice_vitals_precheck(uuid[], uuid[]) TO medoffice_app;
