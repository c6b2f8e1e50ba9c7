-- Tamper-evident audit log: a SHA-256 hash chain per clinic, and append-only for the server.
--
-- Each entry carries seq (its place in its clinic's chain, 1, 2, 3, ...), prev_hash (the hash of
-- the entry before it; 32 zero bytes for the first) and hash:
--
--     hash = sha256(prev_hash || canonical(entry))
--
-- canonical(entry) is the UTF-8 text 'medoffice-audit-v1;' followed by these fields, in this
-- order, each written as '<byte length>:<value>;', or '~;' when NULL:
--     id (decimal), tenant_id (lower-case hyphenated UUID), at (microseconds since the Unix
--     epoch, decimal), user_id (UUID), username, action, entity, entity_id (UUID), patient_id
--     (UUID), device_id, ip, outcome, detail, event_id (UUID)
-- e.g. 'medoffice-audit-v1;2:17;36:0193...;16:1763750000000000;~;5:alice;...'. seq is not
-- hashed: the chain is the prev_hash links, so an entry moved elsewhere keeps a valid hash of
-- its own and is found out of place (reordered) rather than altered. The same serialisation
-- is implemented in Rust (crates/server/src/audit_chain.rs), which `medoffice-server audit
-- verify` uses to recompute every chain without trusting these functions.
--
-- Chaining happens just after commit, in batches, not inside the transaction that writes the
-- entry: the server's sealer (crates/server/src/audit_chain.rs, every 200 ms) calls
-- medoffice_audit_seal(), which locks a clinic's row in audit_chain_heads and stamps that
-- clinic's committed, not yet chained entries in id order. The head lock serialises sealers
-- (several server processes), so a chain cannot fork. Accesses themselves take no lock. A chain
-- stamped inside each transaction (a deferred constraint trigger at commit was built and
-- measured, docs/bench/audit.md) holds the clinic's head from its commit until the commit's
-- disk flush ends, so a clinic's audited commits flush one after another instead of together:
-- patient reads of one clinic at 8 clients fell from ~370 to ~170 a second. The price of
-- batching: an entry is unchained for the fraction of a second until the next pass (it is
-- durable from its commit; the server's role can never change it, only the owner could, and
-- only in that window). `audit verify` counts such entries as pending, not as breaks.
--
-- The chain makes tampering evident, not impossible: whoever owns the database can rewrite
-- the whole chain and its head. `audit verify --json` prints each clinic's head (seq, hash);
-- keeping those somewhere else (a ticket, a mail, another system) each day pins the past.

ALTER TABLE audit_log
    -- free text for a person: what was read or exported, the filters of an audit read, an import's counts
    ADD COLUMN detail text,
    -- client-made id of an access reported by a workstation (POST /api/v1/audit/access), so a
    -- report sent twice is recorded once
    ADD COLUMN event_id uuid,
    ADD COLUMN seq bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash bytea;

CREATE UNIQUE INDEX audit_log_tenant_event ON audit_log (tenant_id, event_id) WHERE event_id IS NOT NULL;
-- The audit API pages newest first by id (keyset), filtered by clinic and optionally patient or user.
DROP INDEX audit_log_tenant_at;
DROP INDEX audit_log_patient;
CREATE INDEX audit_log_tenant_id ON audit_log (tenant_id, id);
CREATE INDEX audit_log_tenant_patient ON audit_log (tenant_id, patient_id, id) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_log_tenant_user ON audit_log (tenant_id, user_id, id) WHERE user_id IS NOT NULL;
-- The sealer's work list: entries not chained yet (a handful at any time).
CREATE INDEX audit_log_unchained ON audit_log (tenant_id, id) WHERE seq IS NULL;

-- One row per clinic: the end of its chain. Only medoffice_audit_seal (SECURITY DEFINER) writes it.
CREATE TABLE audit_chain_heads (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    seq bigint NOT NULL,
    hash bytea NOT NULL,
    last_id bigint
);

-- One SQL expression with no SET clause and no nested function calls, so PostgreSQL inlines it
-- into the sealer's cached plan (a SQL function that is not inlined is parsed and planned
-- again at every call: measured at ~2 ms per entry). Columns declared NOT NULL (id, tenant_id,
-- at, action, outcome) need no NULL case.
CREATE FUNCTION medoffice_audit_canonical(a audit_log) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT convert_to(
        'medoffice-audit-v1;'
        || octet_length(convert_to(a.id::text, 'UTF8'))::text || ':' || a.id::text || ';'
        || octet_length(convert_to(a.tenant_id::text, 'UTF8'))::text || ':' || a.tenant_id::text || ';'
        || octet_length(convert_to(((extract(epoch FROM a.at) * 1000000)::bigint)::text, 'UTF8'))::text || ':' || ((extract(epoch FROM a.at) * 1000000)::bigint)::text || ';'
        || CASE WHEN a.user_id::text IS NULL THEN '~;' ELSE octet_length(convert_to(a.user_id::text, 'UTF8'))::text || ':' || a.user_id::text || ';' END
        || CASE WHEN a.username IS NULL THEN '~;' ELSE octet_length(convert_to(a.username, 'UTF8'))::text || ':' || a.username || ';' END
        || octet_length(convert_to(a.action, 'UTF8'))::text || ':' || a.action || ';'
        || CASE WHEN a.entity IS NULL THEN '~;' ELSE octet_length(convert_to(a.entity, 'UTF8'))::text || ':' || a.entity || ';' END
        || CASE WHEN a.entity_id::text IS NULL THEN '~;' ELSE octet_length(convert_to(a.entity_id::text, 'UTF8'))::text || ':' || a.entity_id::text || ';' END
        || CASE WHEN a.patient_id::text IS NULL THEN '~;' ELSE octet_length(convert_to(a.patient_id::text, 'UTF8'))::text || ':' || a.patient_id::text || ';' END
        || CASE WHEN a.device_id IS NULL THEN '~;' ELSE octet_length(convert_to(a.device_id, 'UTF8'))::text || ':' || a.device_id || ';' END
        || CASE WHEN a.ip IS NULL THEN '~;' ELSE octet_length(convert_to(a.ip, 'UTF8'))::text || ':' || a.ip || ';' END
        || octet_length(convert_to(a.outcome, 'UTF8'))::text || ':' || a.outcome || ';'
        || CASE WHEN a.detail IS NULL THEN '~;' ELSE octet_length(convert_to(a.detail, 'UTF8'))::text || ':' || a.detail || ';' END
        || CASE WHEN a.event_id::text IS NULL THEN '~;' ELSE octet_length(convert_to(a.event_id::text, 'UTF8'))::text || ':' || a.event_id::text || ';' END
        , 'UTF8')
$$;

-- Chains the committed, unchained entries of every clinic (at most p_limit per clinic; NULL:
-- all), per clinic in id order, under the clinic's head lock. Answers how many it chained.
-- Callable by the server's role: it stamps entries as they are and can change nothing else.
CREATE FUNCTION medoffice_audit_seal(p_limit integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t uuid;
    r audit_log;
    head_seq bigint;
    head_hash bytea;
    last bigint;
    total bigint := 0;
BEGIN
    FOR t IN SELECT DISTINCT tenant_id FROM audit_log WHERE seq IS NULL ORDER BY tenant_id LOOP
        SELECT seq, hash INTO head_seq, head_hash
          FROM audit_chain_heads WHERE tenant_id = t FOR UPDATE;
        IF NOT FOUND THEN
            -- a clinic created by hand without its head row
            INSERT INTO audit_chain_heads (tenant_id, seq, hash)
                VALUES (t, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                ON CONFLICT (tenant_id) DO NOTHING;
            SELECT seq, hash INTO head_seq, head_hash
              FROM audit_chain_heads WHERE tenant_id = t FOR UPDATE;
        END IF;
        last := NULL;
        -- a new snapshot, taken after the head lock: entries another sealer chained meanwhile are gone
        FOR r IN SELECT * FROM audit_log WHERE tenant_id = t AND seq IS NULL ORDER BY id LIMIT p_limit LOOP
            head_seq := head_seq + 1;
            UPDATE audit_log
               SET seq = head_seq, prev_hash = head_hash,
                   hash = sha256(head_hash || medoffice_audit_canonical(r))
             WHERE id = r.id
            RETURNING hash INTO head_hash;
            last := r.id;
            total := total + 1;
        END LOOP;
        IF last IS NOT NULL THEN
            UPDATE audit_chain_heads SET seq = head_seq, hash = head_hash, last_id = last
             WHERE tenant_id = t;
        END IF;
    END LOOP;
    RETURN total;
END $$;

-- Every existing clinic starts its chain; what the log holds already is chained now, in id order.
INSERT INTO audit_chain_heads (tenant_id, seq, hash)
    SELECT id, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea FROM tenants;
SELECT medoffice_audit_seal(NULL);

-- Every new clinic starts an empty chain.
CREATE FUNCTION medoffice_audit_chain_start() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO audit_chain_heads (tenant_id, seq, hash)
        VALUES (NEW.id, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
        ON CONFLICT (tenant_id) DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER tenants_audit_chain_start AFTER INSERT ON tenants
    FOR EACH ROW EXECUTE FUNCTION medoffice_audit_chain_start();

-- Append-only, for every role (the owner included): the only change allowed is the chaining
-- stamp on a not yet chained entry, leaving its content as it is. A superuser can still
-- switch triggers off (session_replication_role); the chain then shows what was done.
CREATE FUNCTION medoffice_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.hash IS NULL AND NEW.hash IS NOT NULL
           AND (NEW.id, NEW.tenant_id, NEW.at, NEW.user_id, NEW.username, NEW.action, NEW.entity,
                NEW.entity_id, NEW.patient_id, NEW.device_id, NEW.ip, NEW.outcome, NEW.detail, NEW.event_id)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.tenant_id, OLD.at, OLD.user_id, OLD.username, OLD.action, OLD.entity,
                OLD.entity_id, OLD.patient_id, OLD.device_id, OLD.ip, OLD.outcome, OLD.detail, OLD.event_id)
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION medoffice_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION medoffice_audit_append_only();

-- The server's role: insert and read, nothing else. It may not choose the id, the time or the
-- chain columns either (the column list below leaves them to their defaults and the sealer).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM medoffice_app;
REVOKE INSERT ON audit_log FROM medoffice_app;
GRANT INSERT (tenant_id, user_id, username, action, entity, entity_id, patient_id, device_id, ip, outcome, detail, event_id)
    ON audit_log TO medoffice_app;
REVOKE ALL ON audit_chain_heads FROM medoffice_app;
REVOKE ALL ON audit_log, audit_chain_heads FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION medoffice_audit_seal(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION medoffice_audit_seal(integer) TO medoffice_app;
