-- Disputes in the portrait's aggregates (issue 17): a merchant's dispute rate counts its
-- disputed payments. A dispute is opened once per payment (payments.disputes.payment_id is
-- UNIQUE), so the count moves only when one is opened: the trigger adds 1 to the
-- merchant's party_totals row of the buyer's stripe, in the opening transaction, after
-- the payment row it locked (the order the fold keeps: payments, then party_totals).
-- rebuild-aggregates recomputes the same count from payments.disputes (the view below).

CREATE FUNCTION payments.count_dispute() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payments.party_totals AS t (party_id, stripe, disputed_payments)
    VALUES (NEW.merchant_id, payments.aggregate_stripe(NEW.buyer_id), 1)
    ON CONFLICT (party_id, stripe) DO UPDATE SET disputed_payments = t.disputed_payments + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER disputes_counted AFTER INSERT ON payments.disputes
    FOR EACH ROW EXECUTE FUNCTION payments.count_dispute();

CREATE OR REPLACE VIEW payments.party_totals_from_rows AS
SELECT party_id, stripe, sum(payments)::bigint AS payments, sum(amount)::bigint AS amount,
       sum(released)::bigint AS released, sum(released_net)::bigint AS released_net,
       sum(refunded_payments)::bigint AS refunded_payments, sum(refunded)::bigint AS refunded,
       sum(held)::bigint AS held, sum(disputed)::bigint AS disputed_payments,
       sum(buyers)::bigint AS buyers, sum(repeat_buyers)::bigint AS repeat_buyers
  FROM (
    SELECT party.id AS party_id, payments.aggregate_stripe(p.buyer_id) AS stripe, 1 AS payments, p.amount,
           CASE WHEN party.as_buyer THEN (p.released_at IS NOT NULL)::integer
                ELSE (p.status = 'RELEASED')::integer END AS released,
           CASE WHEN party.as_buyer AND p.released_at IS NOT NULL THEN p.amount - payments.refunded_before_release(p)
                WHEN NOT party.as_buyer AND p.status = 'RELEASED' THEN p.amount - p.refunded
                ELSE 0 END AS released_net,
           CASE WHEN party.as_buyer THEN 0 ELSE (p.refunded > 0)::integer END AS refunded_payments, p.refunded,
           CASE WHEN p.status IN ('HELD', 'PARTIALLY_REFUNDED') THEN p.amount - p.refunded ELSE 0 END AS held,
           0 AS buyers, 0 AS repeat_buyers, 0 AS disputed
      FROM payments.payments p
     CROSS JOIN LATERAL (VALUES (p.buyer_id, true), (p.merchant_id, false)) AS party(id, as_buyer)
    UNION ALL
    SELECT merchant_id, payments.aggregate_stripe(buyer_id), 0, 0, 0, 0, 0, 0, 0, 1, (count(*) >= 2)::integer, 0
      FROM payments.payments GROUP BY merchant_id, buyer_id
    UNION ALL
    -- a merchant's disputed payments (one dispute per payment, whatever became of it)
    SELECT merchant_id, payments.aggregate_stripe(buyer_id), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
      FROM payments.disputes
  ) contributions
 GROUP BY party_id, stripe;

-- Disputes opened before this migration.
UPDATE payments.party_totals t SET disputed_payments = d.disputed
  FROM (SELECT merchant_id, payments.aggregate_stripe(buyer_id) AS stripe, count(*) AS disputed
          FROM payments.disputes GROUP BY 1, 2) d
 WHERE t.party_id = d.merchant_id AND t.stripe = d.stripe;
