-- A WALLET payment whose refusal is an answer, not an error: an idempotency key keeps
-- it in the same statement as the claim (docs/adr/003-idempotency.md, 2026-11-30).
--
-- payments.pay_from_wallet raises SQLSTATE FG001 to refuse, which fails the whole keyed
-- statement (gateway.claim_key .. gateway.keep_response): the key kept nothing, and a
-- retry after a top-up paid. This wrapper runs it in a subtransaction (the EXCEPTION
-- block): a refusal rolls back what the payment wrote, and the call answers
-- {"refusal": "<reason>"} instead, which keep_response stores under the key while the
-- claim's lock is still held, so concurrent retries replay it rather than pay.
-- services/kernel/sql_call.py turns the answer into the reason's DomainError.
--
-- 'order_ref_too_long' is the request's own fault, found here only because the length
-- is checked with the merchant: it stays an error, and the key keeps nothing (ADR 003:
-- malformed input is refused before execution, whatever finds it).
CREATE FUNCTION payments.pay_from_wallet_answer(request jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    RETURN payments.pay_from_wallet(request);
EXCEPTION WHEN SQLSTATE 'FG001' THEN
    GET STACKED DIAGNOSTICS reason = MESSAGE_TEXT;
    IF reason = 'order_ref_too_long' THEN
        RAISE;
    END IF;
    RETURN jsonb_build_object('refusal', reason);
END
$$;
