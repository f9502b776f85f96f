-- An idempotency key around a one-call effect (services/kernel/sql_call.py), in the
-- effect's own statement: one round trip instead of BEGIN, claim, effect, store, COMMIT
-- (docs/adr/012-one-call-payment.md). The same rules as gateway/idempotency.py:
--
-- * the key is claimed first: a concurrent call with the same key waits on the row
--   until this one ends, then finds what it stored (ON CONFLICT waits; the following
--   SELECT takes a newer snapshot, so it sees the committed row);
-- * if the effect refuses (an exception), the claim is rolled back with it, so a retry
--   runs again;
-- * the effect's answer is stored with the key and returned.
--
-- p_effect is a function name from the gateway's code (never input); it is resolved
-- through regproc, so a name that is no single function fails here.
CREATE FUNCTION gateway.idempotent_call(
    p_principal text, p_key text, p_operation text, p_request_hash bytea, p_effect text, p_request jsonb,
    OUT replayed boolean, OUT stored_request_hash bytea, OUT stored_response jsonb
) LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gateway.idempotency_keys (principal, key, operation, request_hash)
    VALUES (p_principal, p_key, p_operation, p_request_hash)
    ON CONFLICT (principal, key) DO NOTHING;
    IF NOT FOUND THEN
        SELECT k.request_hash, k.response INTO stored_request_hash, stored_response
          FROM gateway.idempotency_keys k WHERE k.principal = p_principal AND k.key = p_key;
        replayed := true;
        RETURN;
    END IF;
    EXECUTE format('SELECT %s($1)', p_effect::regproc) INTO stored_response USING p_request;
    UPDATE gateway.idempotency_keys k SET response = stored_response
     WHERE k.principal = p_principal AND k.key = p_key;
    replayed := false;
    stored_request_hash := p_request_hash;
END
$$;
