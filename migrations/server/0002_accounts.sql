-- Accounts: plan limits, the clinic's sign-in policy, session ends, two-factor sign-in.

-- Plan limits: NULL is unlimited. The limits of 0001 were never enforced, so clinics made
-- before this migration keep behaving as they did (unlimited) until an operator sets a plan
-- (`medoffice-server tenant set-plan`). Self-registered clinics get the server's defaults.
ALTER TABLE tenants
    ALTER COLUMN max_users DROP NOT NULL,
    ALTER COLUMN max_users DROP DEFAULT,
    ALTER COLUMN max_patients DROP NOT NULL,
    ALTER COLUMN max_patients DROP DEFAULT,
    ADD CONSTRAINT tenants_max_users_positive CHECK (max_users IS NULL OR max_users >= 1),
    ADD CONSTRAINT tenants_max_patients_positive CHECK (max_patients IS NULL OR max_patients >= 0),
    -- admins must sign in with a second factor
    ADD COLUMN require_admin_totp boolean NOT NULL DEFAULT false;
UPDATE tenants SET max_users = NULL, max_patients = NULL;

ALTER TABLE users
    -- Access tokens carry the epoch they were issued under; the server compares it with this
    -- column on every request, so bumping it (password reset or change, deactivation) ends
    -- every session of the user at once, on every server process, without a token list.
    ADD COLUMN session_epoch integer NOT NULL DEFAULT 0,
    -- TOTP (RFC 6238) shared secret, raw bytes. It has to be readable to compute codes, so it
    -- cannot be hashed; it is worth little without the argon2-protected password.
    ADD COLUMN totp_secret bytea,
    -- a secret handed out by setup and not yet confirmed with a code
    ADD COLUMN totp_pending_secret bytea,
    -- the last 30-second step whose code was accepted: a code is good once (RFC 6238 §5.2)
    ADD COLUMN totp_last_step bigint,
    ADD COLUMN password_changed_at timestamptz;

-- One-time recovery codes of two-factor sign-in. Stored as SHA-256(user id || code): a code
-- carries 40 random bits and is good once; whoever could read this table could read
-- totp_secret beside it anyway, so a slow hash would protect nothing more, while a fast one
-- lets sign-in check a code with one indexed lookup.
CREATE TABLE recovery_codes (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    user_id uuid NOT NULL REFERENCES users (id),
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recovery_codes
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO medoffice_app;

-- Sessions that end are announced to every server process, which closes the user's
-- WebSockets at once (the per-request epoch check covers the REST routes).
CREATE FUNCTION medoffice_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('medoffice_sessions', NEW.tenant_id::text || ':' || NEW.id::text);
    RETURN NEW;
END $$;
CREATE TRIGGER users_session_ended AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.session_epoch IS DISTINCT FROM NEW.session_epoch
          OR (OLD.active AND NOT NEW.active))
    EXECUTE FUNCTION medoffice_session_ended();

-- What every authenticated request checks about its caller, in one round trip before the
-- handler's transaction. The token's signature proves tenant and user; this answers whether
-- that session still stands and what it may do now (a role change takes effect at once).
CREATE FUNCTION medoffice_session_state(p_tenant uuid, p_user uuid)
RETURNS TABLE (role text, active boolean, session_epoch integer, must_change_password boolean,
               totp_enabled boolean, require_admin_totp boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.role, u.active, u.session_epoch, u.must_change_password,
           u.totp_secret IS NOT NULL, t.require_admin_totp
    FROM users u JOIN tenants t ON t.id = u.tenant_id
    WHERE u.id = p_user AND u.tenant_id = p_tenant
$$;
GRANT EXECUTE ON FUNCTION medoffice_session_state(uuid, uuid) TO medoffice_app;

-- Self-registration inserts its clinic as the server's role: row-level security admits the
-- row only when app.tenant_id is set to its id first. Plan limits stay with the operator
-- (owner connection); a clinic's admin may change its name, zone and sign-in policy.
GRANT INSERT (id, code, name, time_zone, max_users, max_patients) ON tenants TO medoffice_app;
GRANT UPDATE (name, time_zone, require_admin_totp) ON tenants TO medoffice_app;
