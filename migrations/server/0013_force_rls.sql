-- Row-level security holds for the owner too (FORCE ROW LEVEL SECURITY on every tenant table).
--
-- The server's role, medoffice_app, owns nothing and was always subject to the policies. The
-- owner was not: PostgreSQL exempts a table's owner unless FORCE is set, and the SECURITY
-- DEFINER functions run as the owner. So code running as the owner (those functions, and the
-- operator's commands: create-tenant, tenant set-plan, audit verify, demo) read every clinic
-- without saying so. Now it sees one clinic (app.tenant_id), like the server's role, or every
-- clinic only where it asks for that by name: app.all_tenants = 'on', which the functions that
-- cross clinics set for their own duration and the operator's connection sets for its session
-- (crates/server/src/db.rs, owner_connection). The all-clinics policy is granted to the
-- owner alone: medoffice_app setting app.all_tenants gains nothing.
--
-- A superuser or a BYPASSRLS role still bypasses every policy (PostgreSQL's rule): the owner
-- should be neither (README, "Running it for a clinic"); backups as a superuser are unaffected.

DO $$
DECLARE
    t text;
    owner name;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'tenants', 'users', 'patients', 'vital_signs', 'appointments', 'refresh_tokens',
        'applied_mutations', 'audit_log', 'recovery_codes', 'audit_chain_heads', 'patient_words',
        'availability', 'schedule_blocks', 'rooms', 'visit_types'
    ] LOOP
        SELECT tableowner INTO owner FROM pg_tables WHERE schemaname = 'public' AND tablename = t;
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY owner_all_tenants ON %I TO %I '
            'USING (current_setting(''app.all_tenants'', true) = ''on'') '
            'WITH CHECK (current_setting(''app.all_tenants'', true) = ''on'')',
            t, owner);
    END LOOP;
END $$;

-- The chain's heads had no policy: only the sealer (as the owner) touches them.
CREATE POLICY tenant_isolation ON audit_chain_heads
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

-- The SECURITY DEFINER functions run as the owner, so now under the policies too. Each says
-- what it reads, for its own duration only (set, then put back; PostgreSQL does not let a
-- migration that is no superuser's attach a custom setting to a function).
--
-- Sign-in knows a clinic code, not yet a clinic: the lookup is across clinics by design.
CREATE OR REPLACE FUNCTION medoffice_tenant_by_code(p_code text)
RETURNS TABLE (id uuid, code text, name text, time_zone text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    prev text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    RETURN QUERY SELECT t.id, t.code, t.name, t.time_zone FROM tenants t WHERE t.code = lower(p_code);
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
END $$;

-- The session check reads one clinic: the token's.
CREATE OR REPLACE FUNCTION medoffice_session_state(p_tenant uuid, p_user uuid)
RETURNS TABLE (role text, active boolean, session_epoch integer, must_change_password boolean,
               totp_enabled boolean, require_admin_totp boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    prev text := current_setting('app.tenant_id', true);
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
    SELECT u.role, u.active, u.session_epoch, u.must_change_password,
           u.totp_secret IS NOT NULL, t.require_admin_totp
    FROM users u JOIN tenants t ON t.id = u.tenant_id
    WHERE u.id = p_user AND u.tenant_id = p_tenant;
    PERFORM set_config('app.tenant_id', coalesce(prev, ''), true);
END $$;

-- The sealer chains every clinic's new entries: the 0003 function, unchanged, behind a
-- wrapper that crosses clinics for its duration. Only the wrapper may be called.
ALTER FUNCTION medoffice_audit_seal(integer) RENAME TO medoffice_audit_seal_chains;
REVOKE EXECUTE ON FUNCTION medoffice_audit_seal_chains(integer) FROM PUBLIC, medoffice_app;
CREATE FUNCTION medoffice_audit_seal(p_limit integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    prev text := current_setting('app.all_tenants', true);
    sealed bigint;
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    sealed := medoffice_audit_seal_chains(p_limit);
    PERFORM set_config('app.all_tenants', coalesce(prev, ''), true);
    RETURN sealed;
END $$;
REVOKE EXECUTE ON FUNCTION medoffice_audit_seal(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION medoffice_audit_seal(integer) TO medoffice_app;

-- Unchanged, and why: medoffice_stamp_revision updates the writing clinic's own counter, and
-- every write runs with app.tenant_id set to that clinic; medoffice_audit_chain_start adds a new
-- clinic's chain head where its row was just admitted (app.tenant_id set to it, or the
-- operator's connection across clinics).
