-- Idempotency keys claimed by a lock, stored once with their answer, and an effect
-- that is one function call (services/kernel/sql_call.py) wrapped in one statement:
-- one round trip instead of BEGIN, claim, effect, store, COMMIT (docs/adr/012-one-call-payment.md).
--
-- gateway.claim_key takes a transaction-scoped advisory lock on (principal, key) and
-- looks for the key's row; gateway.keep_response inserts the row with its answer. Both
-- paths of gateway/idempotency.py use them:
--
--   run_idempotent (a Python effect): BEGIN; claim_key; the effect; keep_response; COMMIT
--   run_idempotent_call (a function): one statement,
--     SELECT c.claimed, c.stored_request_hash,
--            CASE WHEN c.claimed THEN gateway.keep_response($1, $2, $3, $4, <effect>($5))
--                 ELSE c.stored_response END
--       FROM gateway.claim_key($1, $2) c
--     (the function in FROM runs first; CASE calls the effect only once the key is claimed)
--
-- The rules of ADR 003 hold: a concurrent call with the same key waits on the lock
-- until the first one's transaction ends, then finds its row (the SELECT after the
-- lock takes a newer snapshot); an effect that refuses rolls everything back, so a
-- retry runs again; the answer is stored with the key. The primary key stays the last
-- guard: a second insert of one key fails rather than act twice.
--
-- Before this, a key was claimed by INSERT .. ON CONFLICT and its answer stored by an
-- UPDATE: two row versions and a speculative insertion per payment. An effect named in
-- a value and run by EXECUTE would be planned on every call (+0.1 ms per payment), so
-- its name is part of the statement's text.

CREATE FUNCTION gateway.claim_key(
    p_principal text, p_key text,
    OUT claimed boolean, OUT stored_request_hash bytea, OUT stored_response jsonb
) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_principal || chr(31) || p_key, 0));
    SELECT k.request_hash, k.response INTO stored_request_hash, stored_response
      FROM gateway.idempotency_keys k WHERE k.principal = p_principal AND k.key = p_key;
    claimed := NOT FOUND;
END
$$;

CREATE FUNCTION gateway.keep_response(
    p_principal text, p_key text, p_operation text, p_request_hash bytea, p_response jsonb
) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gateway.idempotency_keys (principal, key, operation, request_hash, response)
    VALUES (p_principal, p_key, p_operation, p_request_hash, p_response);
    RETURN p_response;
END
$$;
