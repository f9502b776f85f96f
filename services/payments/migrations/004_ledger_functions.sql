-- The ledger's entry and a wallet payment as functions: one round trip per payment
-- (docs/adr/012-one-call-payment.md).
--
-- payments.post_entry is the one statement that moves money (it was ledger.POST_ENTRY,
-- sent from Python); payments.insert_held_payment writes a payment with its event;
-- payments.pay_from_wallet is a whole WALLET payment, both of them in one call.
--
-- A rule that refuses raises SQLSTATE FG001 with a reason as its message (see
-- services/kernel/sql_call.py); the caller turns the reason into its DomainError, and
-- everything the call wrote is rolled back with the statement.

-- Lock the entry's wallets (ascending id, so two entries never deadlock), check that none
-- goes negative, and only then write the entry, its postings and the new wallet
-- balances: the writes select from the verdict, so a refused entry writes nothing. The
-- UPDATE reads the wallet rows this statement locked: READ COMMITTED's re-check
-- (EvalPlanQual) applies it to their latest version, the one whose balance was checked.
-- System accounts are never locked or updated; their balance is the sum of their postings.
-- Every lookup is by a unique key (OFFSET 0 keeps the legs' lookups a loop of index
-- probes), so the one generic plan is right for any entry, and the statement is not
-- planned again on every call: the planner's custom plans cost more than running it.
-- entry_id is NULL if the entry was refused: `covered` false (a wallet would go negative)
-- or fewer than p_wallets of the named wallets exist (`locked` lists those that do).
CREATE FUNCTION payments.post_entry(
    p_kind text, p_reference text, p_at timestamptz, p_codes text[], p_fens bigint[], p_wallets integer,
    OUT entry_id bigint, OUT postings bigint, OUT locked text[], OUT covered boolean
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    WITH locked_wallets AS MATERIALIZED (
        SELECT a.id, a.code, a.balance FROM payments.accounts a
         WHERE a.code = ANY(p_codes) AND a.kind = 'WALLET'
         ORDER BY a.id FOR UPDATE
    ), legs AS (
        SELECT a.id AS account_id, a.kind, a.currency, l.fen
          FROM unnest(p_codes, p_fens) AS l(code, fen)
         CROSS JOIN LATERAL (
               SELECT id, kind, currency FROM payments.accounts WHERE code = l.code OFFSET 0
         ) a
    ), verdict AS (
        SELECT coalesce(array_agg(w.code), '{}') AS wallets,
               coalesce(bool_and(w.balance + legs.fen >= 0), true) AS ok
          FROM locked_wallets w JOIN legs ON legs.account_id = w.id
    ), entry AS (
        INSERT INTO payments.journal_entries (kind, reference, created_at)
        SELECT p_kind, p_reference, p_at FROM verdict WHERE verdict.ok AND cardinality(verdict.wallets) = p_wallets
        RETURNING id
    ), posted AS (
        INSERT INTO payments.postings (entry_id, account_id, amount, currency)
        SELECT entry.id, legs.account_id, legs.fen, legs.currency FROM entry, legs
        RETURNING 1
    ), balances AS (
        UPDATE payments.accounts a SET balance = a.balance + legs.fen
          FROM legs, entry
         WHERE a.id = legs.account_id AND legs.kind = 'WALLET'
        RETURNING 1
    )
    SELECT entry.id, (SELECT count(*) FROM posted), verdict.wallets, verdict.ok
      INTO entry_id, postings, locked, covered
      FROM verdict LEFT JOIN entry ON true;
END
$$;

-- A HELD payment and its CREATED event (the outbox row of paymentEvents). Refuses
-- 'no_such_merchant' if p_merchant is no merchant, then 'order_ref_too_long'.
CREATE FUNCTION payments.insert_held_payment(
    p_buyer bigint, p_merchant bigint, p_amount bigint, p_currency text, p_source text, p_order_ref text,
    p_at timestamptz
) RETURNS payments.payments LANGUAGE plpgsql AS $$
DECLARE
    payment payments.payments;
BEGIN
    IF length(p_order_ref) > 255 THEN
        IF NOT EXISTS (SELECT FROM payments.parties WHERE id = p_merchant AND kind = 'MERCHANT') THEN
            RAISE EXCEPTION USING ERRCODE = 'FG001', MESSAGE = 'no_such_merchant';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'FG001', MESSAGE = 'order_ref_too_long';
    END IF;
    WITH inserted AS (
        INSERT INTO payments.payments
               (buyer_id, merchant_id, amount, currency, status, funding_source, order_ref, created_at)
        SELECT p_buyer, merchant.id, p_amount, p_currency, 'HELD', p_source, p_order_ref, p_at
          FROM payments.parties merchant WHERE merchant.id = p_merchant AND merchant.kind = 'MERCHANT'
        RETURNING *
    ), event AS (
        INSERT INTO payments.payment_events (payment_id, buyer_id, merchant_id, kind)
        SELECT id, buyer_id, merchant_id, 'CREATED' FROM inserted
    )
    SELECT * INTO payment FROM inserted;
    IF payment.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'FG001', MESSAGE = 'no_such_merchant';
    END IF;
    RETURN payment;
END
$$;

-- A payment as the JSON the services decode it from (services.payments.models.Payment:
-- Money as {fen, currency}, instants in UTC), the response an idempotency key keeps.
CREATE FUNCTION payments.payment_json(p payments.payments) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'id', p.id, 'buyer_id', p.buyer_id, 'merchant_id', p.merchant_id,
        'amount', jsonb_build_object('fen', p.amount, 'currency', p.currency),
        'refunded', jsonb_build_object('fen', p.refunded, 'currency', p.currency),
        'fee', jsonb_build_object('fen', p.fee, 'currency', p.currency),
        'status', p.status, 'funding_source', p.funding_source, 'order_ref', p.order_ref,
        'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'released_at', to_char(p.released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- A WALLET payment (担保交易): the payment, its event and the escrow hold in one call.
-- request: {"buyer_id", "merchant_id", "amount" (fen), "currency", "order_ref", "at"}.
-- Refuses as insert_held_payment does, then 'insufficient_funds' or 'no_wallet'.
CREATE FUNCTION payments.pay_from_wallet(request jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    payment payments.payments;
    entry record;
BEGIN
    payment := payments.insert_held_payment(
        (request->>'buyer_id')::bigint, (request->>'merchant_id')::bigint, (request->>'amount')::bigint,
        request->>'currency', 'WALLET', request->>'order_ref', (request->>'at')::timestamptz);
    SELECT * INTO entry FROM payments.post_entry(
        'ESCROW_HOLD', 'payment:' || payment.id, payment.created_at,
        ARRAY['WALLET:' || payment.buyer_id || ':' || payment.currency, 'ESCROW:' || payment.currency],
        ARRAY[-payment.amount, payment.amount], 1);
    IF entry.entry_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'FG001', MESSAGE = CASE WHEN entry.covered THEN 'no_wallet' ELSE 'insufficient_funds' END;
    END IF;
    IF entry.postings <> 2 THEN
        RAISE EXCEPTION 'a ledger account of % is missing', payment.currency;
    END IF;
    RETURN payments.payment_json(payment);
END
$$;
