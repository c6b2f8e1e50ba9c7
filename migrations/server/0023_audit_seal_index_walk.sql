-- The sealer finds the clinics with unchained entries by stepping along the index of unchained
-- entries (audit_log_unchained), one clinic a step, instead of `SELECT DISTINCT tenant_id FROM
-- audit_log WHERE seq IS NULL` (issue 13).
--
-- The planner chose that statement's plan from the statistics of audit_log.seq. An ANALYZE that
-- ran while a backlog waited (a new workstation's first sync of 100,000 patients leaves about a
-- million entries to chain) recorded a large share of the log as unchained, and from then on
-- every pass, every 200 ms in every server process, was a scan of the whole log (the same
-- statement outside the function: a parallel scan, about 1 s of two cores at 5 million
-- entries; a PL/pgSQL loop runs it on one), until the next ANALYZE. Measured on a database
-- built as scripts/bench builds its own: a 1.5-million-entry backlog took 858 s to chain under such
-- statistics against 105 s under fresh ones.
--
-- The same statistics made the planner take a clinic's unchained entries along the primary
-- key, from the first entry of the log, filtering out every chained one (4.7 s a pass at 5
-- million entries): the planner costs a LIMIT as if the rows it wants were spread evenly,
-- but unchained entries are nearly always the newest. That statement now states its clinic as a
-- range, so the primary key cannot give its order.
--
-- Each step of the walk is the first entry of an ordered index after a key (LIMIT 1): the index
-- of unchained entries answers it, checking only the entries still in that index (a chained
-- entry's old one stays until VACUUM) instead of the log.
-- tests/tests/audit.rs analyses a backlog and checks that a pass reads only the entries it
-- chains. The rest of the function is 0020's, unchanged.
CREATE OR REPLACE FUNCTION medoffice_audit_seal_chains(p_limit integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t uuid;
    r audit_log;
    head_seq bigint;
    head_hash bytea;
    total bigint := 0;
    ids bigint[];
    seqs bigint[];
    prevs bytea[];
    hashes bytea[];
BEGIN
    -- the clinics with unchained entries, one step along the index per clinic
    FOR t IN
        WITH RECURSIVE waiting (tenant_id) AS (
            (SELECT a.tenant_id FROM audit_log a WHERE a.seq IS NULL ORDER BY a.tenant_id LIMIT 1)
            UNION ALL
            SELECT (SELECT a.tenant_id FROM audit_log a
                     WHERE a.seq IS NULL AND a.tenant_id > w.tenant_id
                     ORDER BY a.tenant_id LIMIT 1)
              FROM waiting w WHERE w.tenant_id IS NOT NULL
        )
        SELECT w.tenant_id FROM waiting w WHERE w.tenant_id IS NOT NULL
    LOOP
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
        ids := '{}';
        seqs := '{}';
        prevs := '{}';
        hashes := '{}';
        -- a new snapshot, taken after the head lock: entries another sealer chained meanwhile are gone
        -- tenant_id as a range, not `=`, and ordered by (tenant_id, id): only the two clinic
        -- indexes give that order, so the primary key (id order, from the oldest entry) cannot
        -- be chosen, and of those two the index of unchained entries is the smaller
        FOR r IN SELECT * FROM audit_log
                  WHERE tenant_id >= t AND tenant_id <= t AND seq IS NULL
                  ORDER BY tenant_id, id LIMIT p_limit LOOP
            head_seq := head_seq + 1;
            -- array_append on the variable itself appends in place (no copy per entry)
            ids := array_append(ids, r.id);
            seqs := array_append(seqs, head_seq);
            prevs := array_append(prevs, head_hash);
            head_hash := sha256(head_hash || medoffice_audit_canonical(r));
            hashes := array_append(hashes, head_hash);
        END LOOP;
        IF cardinality(ids) > 0 THEN
            UPDATE audit_log AS a
               SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
              FROM unnest(ids, seqs, prevs, hashes) AS s(id, seq, prev_hash, hash)
             WHERE a.id = s.id;
            UPDATE audit_chain_heads SET seq = head_seq, hash = head_hash, last_id = ids[cardinality(ids)]
             WHERE tenant_id = t;
            total := total + cardinality(ids);
        END IF;
    END LOOP;
    RETURN total;
END $$;

