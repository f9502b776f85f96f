-- Running aggregates of the payments: what the customer portrait and the credit score
-- read, kept in the transaction of each write so that a read costs the same for any
-- history (docs/adr/026-portrait-aggregates.md).
--
-- Triggers keep them, so every write path counts alike: the one-call WALLET payment
-- (payments.pay_from_wallet), the Python path, refunds, releases and the set-based
-- auto-release. A payment row's contribution to the aggregates is a function of the row:
-- an UPDATE takes back the old row's contribution and adds the new one's.
--
-- A hot merchant must not queue on one row: its rows are split into STRIPES stripes by
-- buyer (buyer_id % 16). Two payments to one merchant then share a row only when their
-- buyers share a stripe, and payments of one buyer already queue on that buyer's wallet.
-- Readers sum the stripes (16 rows a figure, whatever the history).
--
-- payments.rebuild (services/payments/aggregates.py) recomputes every table here from
-- the raw rows with the same definitions; the reconciliation test recomputes each figure
-- a third way, in Python.

-- Lifetime counters of a party as buyer and as merchant (a party is one or the other).
CREATE TABLE payments.party_totals (
    party_id          bigint NOT NULL,
    stripe            smallint NOT NULL,
    payments          bigint NOT NULL DEFAULT 0,  -- payments made (buyer) or received (merchant)
    amount            bigint NOT NULL DEFAULT 0,  -- their amounts (GMV for a merchant), fen
    released          bigint NOT NULL DEFAULT 0,  -- payments now RELEASED
    released_net      bigint NOT NULL DEFAULT 0,  -- amount - refunded of those, fen
    refunded_payments bigint NOT NULL DEFAULT 0,  -- payments with any refund
    refunded          bigint NOT NULL DEFAULT 0,  -- all refunded, fen
    held              bigint NOT NULL DEFAULT 0,  -- still in escrow (HELD, PARTIALLY_REFUNDED), fen
    -- Payments with a dispute: nothing opens one on this branch yet, so it counts 0 until
    -- the disputes' own trigger adds to it (ADR 026).
    disputed_payments bigint NOT NULL DEFAULT 0,
    buyers            bigint NOT NULL DEFAULT 0,  -- merchant: distinct buyers
    repeat_buyers     bigint NOT NULL DEFAULT 0,  -- merchant: buyers with two payments or more
    PRIMARY KEY (party_id, stripe)
);

-- A merchant's sales by Asia/Shanghai calendar month: payments by the month they were
-- made, refunds by the month they were given.
CREATE TABLE payments.merchant_months (
    merchant_id bigint NOT NULL,
    month       date NOT NULL,
    stripe      smallint NOT NULL,
    payments    bigint NOT NULL DEFAULT 0,
    amount      bigint NOT NULL DEFAULT 0,
    refunded    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month, stripe)
);

-- A consumer's money by Asia/Shanghai calendar day: payments made, refunds received,
-- top-ups and withdrawals (wallet <-> bank).
CREATE TABLE payments.buyer_days (
    party_id    bigint NOT NULL,
    day         date NOT NULL,
    payments    bigint NOT NULL DEFAULT 0,
    paid        bigint NOT NULL DEFAULT 0,
    refunds_in  bigint NOT NULL DEFAULT 0,
    top_ups     bigint NOT NULL DEFAULT 0,
    withdrawals bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (party_id, day)
);

-- Payments per (merchant, buyer): what tells a first purchase from a repeat one.
CREATE TABLE payments.merchant_buyers (
    merchant_id bigint NOT NULL,
    buyer_id    bigint NOT NULL,
    payments    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, buyer_id)
);

-- Released payments of a merchant by whole days from payment to release: the median
-- is read from this histogram (a few dozen rows at most, whatever the history).
CREATE TABLE payments.release_days (
    merchant_id bigint NOT NULL,
    days        integer NOT NULL,
    payments    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, days)
);

CREATE FUNCTION payments.business_day(at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (at AT TIME ZONE 'Asia/Shanghai')::date $$;

CREATE FUNCTION payments.aggregate_stripe(buyer_id bigint) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (buyer_id % 16)::smallint $$;

-- Whole days from payment to release (floor of the elapsed time).
CREATE FUNCTION payments.days_to_release(created_at timestamptz, released_at timestamptz) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT floor(extract(epoch FROM released_at - created_at) / 86400)::integer $$;

-- Add sign x the row's contribution to the lifetime counters of its buyer and its merchant.
CREATE FUNCTION payments.count_payment_totals(p payments.payments, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    is_released boolean := p.status = 'RELEASED';
    is_held boolean := p.status IN ('HELD', 'PARTIALLY_REFUNDED');
BEGIN
    INSERT INTO payments.party_totals AS t
           (party_id, stripe, payments, amount, released, released_net, refunded_payments, refunded, held)
    SELECT party, payments.aggregate_stripe(p.buyer_id), sign, sign * p.amount,
           sign * is_released::integer, CASE WHEN is_released THEN sign * (p.amount - p.refunded) ELSE 0 END,
           sign * (p.refunded > 0)::integer, sign * p.refunded,
           CASE WHEN is_held THEN sign * (p.amount - p.refunded) ELSE 0 END
      FROM unnest(ARRAY[p.buyer_id, p.merchant_id]) AS party
    ON CONFLICT (party_id, stripe) DO UPDATE SET
           payments = t.payments + EXCLUDED.payments, amount = t.amount + EXCLUDED.amount,
           released = t.released + EXCLUDED.released, released_net = t.released_net + EXCLUDED.released_net,
           refunded_payments = t.refunded_payments + EXCLUDED.refunded_payments,
           refunded = t.refunded + EXCLUDED.refunded, held = t.held + EXCLUDED.held;
END
$$;

CREATE FUNCTION payments.count_payment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pair_payments bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM payments.count_payment_totals(OLD, -1);
    END IF;
    PERFORM payments.count_payment_totals(NEW, 1);
    IF TG_OP = 'INSERT' THEN
        INSERT INTO payments.merchant_months AS m (merchant_id, month, stripe, payments, amount)
        VALUES (NEW.merchant_id, date_trunc('month', payments.business_day(NEW.created_at))::date,
                payments.aggregate_stripe(NEW.buyer_id), 1, NEW.amount)
        ON CONFLICT (merchant_id, month, stripe) DO UPDATE SET
               payments = m.payments + 1, amount = m.amount + EXCLUDED.amount;
        INSERT INTO payments.buyer_days AS d (party_id, day, payments, paid)
        VALUES (NEW.buyer_id, payments.business_day(NEW.created_at), 1, NEW.amount)
        ON CONFLICT (party_id, day) DO UPDATE SET payments = d.payments + 1, paid = d.paid + EXCLUDED.paid;
        INSERT INTO payments.merchant_buyers AS b (merchant_id, buyer_id, payments)
        VALUES (NEW.merchant_id, NEW.buyer_id, 1)
        ON CONFLICT (merchant_id, buyer_id) DO UPDATE SET payments = b.payments + 1
        RETURNING b.payments INTO pair_payments;
        IF pair_payments <= 2 THEN
            UPDATE payments.party_totals
               SET buyers = buyers + (pair_payments = 1)::integer, repeat_buyers = repeat_buyers + (pair_payments = 2)::integer
             WHERE party_id = NEW.merchant_id AND stripe = payments.aggregate_stripe(NEW.buyer_id);
        END IF;
    END IF;
    IF NEW.released_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.released_at IS NULL) THEN
        INSERT INTO payments.release_days AS r (merchant_id, days, payments)
        VALUES (NEW.merchant_id, payments.days_to_release(NEW.created_at, NEW.released_at), 1)
        ON CONFLICT (merchant_id, days) DO UPDATE SET payments = r.payments + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER payments_counted AFTER INSERT ON payments.payments
    FOR EACH ROW EXECUTE FUNCTION payments.count_payment();
CREATE TRIGGER payments_recounted AFTER UPDATE ON payments.payments
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.refunded IS DISTINCT FROM NEW.refunded
                       OR OLD.released_at IS DISTINCT FROM NEW.released_at)
    EXECUTE FUNCTION payments.count_payment();

-- A refund: money back to the buyer on its day, and off the merchant's sales of its month.
CREATE FUNCTION payments.count_refund() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p record;
BEGIN
    SELECT buyer_id, merchant_id INTO p FROM payments.payments WHERE id = NEW.payment_id;
    INSERT INTO payments.buyer_days AS d (party_id, day, refunds_in)
    VALUES (p.buyer_id, payments.business_day(NEW.created_at), NEW.amount)
    ON CONFLICT (party_id, day) DO UPDATE SET refunds_in = d.refunds_in + EXCLUDED.refunds_in;
    INSERT INTO payments.merchant_months AS m (merchant_id, month, stripe, refunded)
    VALUES (p.merchant_id, date_trunc('month', payments.business_day(NEW.created_at))::date,
            payments.aggregate_stripe(p.buyer_id), NEW.amount)
    ON CONFLICT (merchant_id, month, stripe) DO UPDATE SET refunded = m.refunded + EXCLUDED.refunded;
    RETURN NULL;
END
$$;

CREATE TRIGGER refunds_counted AFTER INSERT ON payments.refunds
    FOR EACH ROW EXECUTE FUNCTION payments.count_refund();

-- Top-ups and withdrawals are counted from their ledger entry (kinds TOP_UP, WITHDRAWAL)
-- by the service, in the entry's transaction (services/payments/service.py).

-- Each table recomputed from the raw rows (payments, refunds, the ledger): what
-- `fingraph rebuild-aggregates` compares the tables with and writes back, and what
-- fills them below for the history written before this migration.
CREATE VIEW payments.party_totals_from_rows AS
SELECT party_id, stripe, sum(payments)::bigint AS payments, sum(amount)::bigint AS amount,
       sum(released)::bigint AS released, sum(released_net)::bigint AS released_net,
       sum(refunded_payments)::bigint AS refunded_payments, sum(refunded)::bigint AS refunded,
       sum(held)::bigint AS held, 0::bigint AS disputed_payments,
       sum(buyers)::bigint AS buyers, sum(repeat_buyers)::bigint AS repeat_buyers
  FROM (
    SELECT party.id AS party_id, payments.aggregate_stripe(p.buyer_id) AS stripe, 1 AS payments, p.amount,
           (p.status = 'RELEASED')::integer AS released,
           CASE WHEN p.status = 'RELEASED' THEN p.amount - p.refunded ELSE 0 END AS released_net,
           (p.refunded > 0)::integer AS refunded_payments, p.refunded,
           CASE WHEN p.status IN ('HELD', 'PARTIALLY_REFUNDED') THEN p.amount - p.refunded ELSE 0 END AS held,
           0 AS buyers, 0 AS repeat_buyers
      FROM payments.payments p CROSS JOIN LATERAL unnest(ARRAY[p.buyer_id, p.merchant_id]) AS party(id)
    UNION ALL
    SELECT merchant_id, payments.aggregate_stripe(buyer_id), 0, 0, 0, 0, 0, 0, 0, 1, (count(*) >= 2)::integer
      FROM payments.payments GROUP BY merchant_id, buyer_id
  ) contributions
 GROUP BY party_id, stripe;

CREATE VIEW payments.merchant_months_from_rows AS
SELECT merchant_id, month, stripe, sum(payments)::bigint AS payments, sum(amount)::bigint AS amount,
       sum(refunded)::bigint AS refunded
  FROM (
    SELECT merchant_id, date_trunc('month', payments.business_day(created_at))::date AS month,
           payments.aggregate_stripe(buyer_id) AS stripe, 1 AS payments, amount, 0 AS refunded
      FROM payments.payments
    UNION ALL
    SELECT p.merchant_id, date_trunc('month', payments.business_day(r.created_at))::date,
           payments.aggregate_stripe(p.buyer_id), 0, 0, r.amount
      FROM payments.refunds r JOIN payments.payments p ON p.id = r.payment_id
  ) contributions
 GROUP BY merchant_id, month, stripe;

CREATE VIEW payments.buyer_days_from_rows AS
SELECT party_id, day, sum(payments)::bigint AS payments, sum(paid)::bigint AS paid,
       sum(refunds_in)::bigint AS refunds_in, sum(top_ups)::bigint AS top_ups,
       sum(withdrawals)::bigint AS withdrawals
  FROM (
    SELECT buyer_id AS party_id, payments.business_day(created_at) AS day, 1 AS payments, amount AS paid,
           0 AS refunds_in, 0 AS top_ups, 0 AS withdrawals
      FROM payments.payments
    UNION ALL
    SELECT p.buyer_id, payments.business_day(r.created_at), 0, 0, r.amount, 0, 0
      FROM payments.refunds r JOIN payments.payments p ON p.id = r.payment_id
    UNION ALL
    SELECT a.party_id, payments.business_day(e.created_at), 0, 0, 0,
           CASE WHEN e.kind = 'TOP_UP' THEN t.amount ELSE 0 END,
           CASE WHEN e.kind = 'WITHDRAWAL' THEN -t.amount ELSE 0 END
      FROM payments.journal_entries e
      JOIN payments.postings t ON t.entry_id = e.id
      JOIN payments.accounts a ON a.id = t.account_id AND a.kind = 'WALLET'
     WHERE e.kind IN ('TOP_UP', 'WITHDRAWAL')
  ) contributions
 GROUP BY party_id, day;

CREATE VIEW payments.merchant_buyers_from_rows AS
SELECT merchant_id, buyer_id, count(*)::bigint AS payments FROM payments.payments GROUP BY merchant_id, buyer_id;

CREATE VIEW payments.release_days_from_rows AS
SELECT merchant_id, payments.days_to_release(created_at, released_at) AS days, count(*)::bigint AS payments
  FROM payments.payments WHERE released_at IS NOT NULL GROUP BY 1, 2;

INSERT INTO payments.party_totals SELECT * FROM payments.party_totals_from_rows;
INSERT INTO payments.merchant_months SELECT * FROM payments.merchant_months_from_rows;
INSERT INTO payments.buyer_days SELECT * FROM payments.buyer_days_from_rows;
INSERT INTO payments.merchant_buyers SELECT * FROM payments.merchant_buyers_from_rows;
INSERT INTO payments.release_days SELECT * FROM payments.release_days_from_rows;
