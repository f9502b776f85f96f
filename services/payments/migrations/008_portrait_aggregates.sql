-- Running aggregates of the payments: what the customer portrait and the credit score
-- read, kept in the transaction of each write so that a read costs the same for any
-- history (docs/adr/026-portrait-aggregates.md).
--
-- Triggers keep them, so every write path counts alike: the one-call WALLET payment
-- (payments.pay_from_wallet), the Python path, refunds, releases and the set-based
-- auto-release. A payment row's contribution to the aggregates is a function of the row:
-- an UPDATE takes back the old rows' contribution and adds the new ones'.
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
    -- What the credit score counts (services/payments/repository.py PaymentHistory): a
    -- buyer's purchases once released, at what was released (refunds before release off,
    -- later ones not); a merchant's sales while RELEASED, net of refunds, and the
    -- payments it refunded (a buyer's row counts no refunds: they must not lower its score).
    released          bigint NOT NULL DEFAULT 0,
    released_net      bigint NOT NULL DEFAULT 0,  -- fen
    refunded_payments bigint NOT NULL DEFAULT 0,
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

-- Refunds of a payment given before it was released (all of them while it is held).
CREATE FUNCTION payments.refunded_before_release(p payments.payments) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p.refunded = 0 THEN 0 WHEN p.released_at IS NULL THEN p.refunded
                ELSE (SELECT coalesce(sum(r.amount), 0) FROM payments.refunds r
                       WHERE r.payment_id = p.id AND NOT r.after_release) END
$$;

-- When they are counted: at commit, in one pass per transaction, in one lock order.
-- Row triggers (and the statement trigger of UPDATE) only append what changed to
-- payments.aggregate_queue, an insert-only table no two writers share a row of. A
-- deferred trigger on the queue folds the transaction's rows into the tables when the
-- transaction commits, after the ledger has locked its wallets: the merchant_buyers rows,
-- then party_totals, merchant_months, buyer_days and release_days, each statement with
-- its rows sorted by key. Every writer taking its locks in that one order (wallets, then
-- those tables in turn, each ascending), none waits for another in a cycle: a
-- transaction of several payments, the set-based auto-release and a hot merchant's
-- concurrent payments alike. The queue is UNLOGGED: outside a running transaction it
-- is always empty (a transaction folds what it queued before it commits, and an aborted
-- one's rows were never visible).
CREATE UNLOGGED TABLE payments.aggregate_queue (
    txid           bigint NOT NULL DEFAULT txid_current(),
    kind           text NOT NULL CHECK (kind IN ('PAYMENT', 'REFUND', 'BANK')),
    -- PAYMENT: -1 for a row as it was, +1 as it is; BANK: +1 a top-up, -1 a withdrawal.
    sign           smallint NOT NULL,
    is_new         boolean NOT NULL DEFAULT false,  -- PAYMENT: just made
    newly_released boolean NOT NULL DEFAULT false,  -- PAYMENT: released by this change
    payment_id     bigint,
    buyer_id       bigint NOT NULL,  -- BANK: the party
    merchant_id    bigint,
    amount         bigint NOT NULL,  -- REFUND: the refund's; BANK: the entry's
    refunded       bigint NOT NULL DEFAULT 0,
    refunded_before_release bigint NOT NULL DEFAULT 0,
    status         text,
    created_at     timestamptz NOT NULL,  -- REFUND, BANK: when it happened
    released_at    timestamptz
);
CREATE INDEX aggregate_queue_txid ON payments.aggregate_queue (txid);

CREATE FUNCTION payments.fold_aggregate_queue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    q payments.aggregate_queue[];
    pairs jsonb;
BEGIN
    WITH taken AS (DELETE FROM payments.aggregate_queue WHERE txid = txid_current() RETURNING *)
    SELECT array_agg(taken) INTO q FROM taken;
    IF q IS NULL THEN
        RETURN NULL;  -- folded already, by the first of this transaction's deferred calls
    END IF;
    -- 1. merchant_buyers: how many payments each (merchant, buyer) had before and has now.
    WITH added AS (
        SELECT merchant_id, buyer_id, count(*) AS payments FROM unnest(q)
         WHERE kind = 'PAYMENT' AND is_new GROUP BY 1, 2
    ), counted AS (
        INSERT INTO payments.merchant_buyers AS b (merchant_id, buyer_id, payments)
        SELECT merchant_id, buyer_id, payments FROM added ORDER BY merchant_id, buyer_id
        ON CONFLICT (merchant_id, buyer_id) DO UPDATE SET payments = b.payments + EXCLUDED.payments
        RETURNING b.merchant_id, b.buyer_id, b.payments
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object('merchant_id', c.merchant_id, 'buyer_id', c.buyer_id,
           'before', c.payments - a.payments, 'now', c.payments)), '[]') INTO pairs
      FROM counted c JOIN added a USING (merchant_id, buyer_id);
    -- 2. party_totals: each payment row's contribution, signed, and first or repeat buyers.
    INSERT INTO payments.party_totals AS t
           (party_id, stripe, payments, amount, released, released_net, refunded_payments, refunded, held,
            buyers, repeat_buyers)
    SELECT party, stripe, sum(payments), sum(amount), sum(released), sum(released_net), sum(refunded_payments),
           sum(refunded), sum(held), sum(buyers), sum(repeat_buyers)
      FROM (
        SELECT party, payments.aggregate_stripe(p.buyer_id) AS stripe, p.sign AS payments, p.sign * p.amount AS amount,
               p.sign * CASE WHEN as_buyer THEN (p.released_at IS NOT NULL)::integer
                             ELSE (p.status = 'RELEASED')::integer END AS released,
               p.sign * CASE WHEN as_buyer AND p.released_at IS NOT NULL THEN p.amount - p.refunded_before_release
                             WHEN NOT as_buyer AND p.status = 'RELEASED' THEN p.amount - p.refunded
                             ELSE 0 END AS released_net,
               CASE WHEN as_buyer THEN 0 ELSE p.sign * (p.refunded > 0)::integer END AS refunded_payments,
               p.sign * p.refunded AS refunded,
               CASE WHEN p.status IN ('HELD', 'PARTIALLY_REFUNDED') THEN p.sign * (p.amount - p.refunded) ELSE 0 END
                   AS held,
               0 AS buyers, 0 AS repeat_buyers
          FROM unnest(q) p
         CROSS JOIN LATERAL (VALUES (p.buyer_id, true), (p.merchant_id, false)) AS parties(party, as_buyer)
         WHERE p.kind = 'PAYMENT'
        UNION ALL
        SELECT x.merchant_id, payments.aggregate_stripe(x.buyer_id), 0, 0, 0, 0, 0, 0, 0,
               (x.before = 0)::integer, (x.before < 2 AND x.now >= 2)::integer
          FROM jsonb_to_recordset(pairs) AS x(merchant_id bigint, buyer_id bigint, before bigint, now bigint)
      ) contributions
     GROUP BY party, stripe ORDER BY party, stripe
    ON CONFLICT (party_id, stripe) DO UPDATE SET
           payments = t.payments + EXCLUDED.payments, amount = t.amount + EXCLUDED.amount,
           released = t.released + EXCLUDED.released, released_net = t.released_net + EXCLUDED.released_net,
           refunded_payments = t.refunded_payments + EXCLUDED.refunded_payments,
           refunded = t.refunded + EXCLUDED.refunded, held = t.held + EXCLUDED.held,
           buyers = t.buyers + EXCLUDED.buyers, repeat_buyers = t.repeat_buyers + EXCLUDED.repeat_buyers;
    -- 3. merchant_months: new payments by the month made, refunds by the month given.
    INSERT INTO payments.merchant_months AS m (merchant_id, month, stripe, payments, amount, refunded)
    SELECT merchant_id, date_trunc('month', payments.business_day(created_at))::date,
           payments.aggregate_stripe(buyer_id),
           count(*) FILTER (WHERE kind = 'PAYMENT'), coalesce(sum(amount) FILTER (WHERE kind = 'PAYMENT'), 0),
           coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0)
      FROM unnest(q) WHERE (kind = 'PAYMENT' AND is_new) OR kind = 'REFUND'
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (merchant_id, month, stripe) DO UPDATE SET
           payments = m.payments + EXCLUDED.payments, amount = m.amount + EXCLUDED.amount,
           refunded = m.refunded + EXCLUDED.refunded;
    -- 4. buyer_days: payments made, refunds received, top-ups and withdrawals.
    INSERT INTO payments.buyer_days AS d (party_id, day, payments, paid, refunds_in, top_ups, withdrawals)
    SELECT buyer_id, payments.business_day(created_at),
           count(*) FILTER (WHERE kind = 'PAYMENT'), coalesce(sum(amount) FILTER (WHERE kind = 'PAYMENT'), 0),
           coalesce(sum(amount) FILTER (WHERE kind = 'REFUND'), 0),
           coalesce(sum(amount) FILTER (WHERE kind = 'BANK' AND sign > 0), 0),
           coalesce(sum(amount) FILTER (WHERE kind = 'BANK' AND sign < 0), 0)
      FROM unnest(q) WHERE (kind = 'PAYMENT' AND is_new) OR kind IN ('REFUND', 'BANK')
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (party_id, day) DO UPDATE SET
           payments = d.payments + EXCLUDED.payments, paid = d.paid + EXCLUDED.paid,
           refunds_in = d.refunds_in + EXCLUDED.refunds_in, top_ups = d.top_ups + EXCLUDED.top_ups,
           withdrawals = d.withdrawals + EXCLUDED.withdrawals;
    -- 5. release_days: payments released by these changes, by whole days from payment.
    INSERT INTO payments.release_days AS r (merchant_id, days, payments)
    SELECT merchant_id, payments.days_to_release(created_at, released_at), count(*)
      FROM unnest(q) WHERE kind = 'PAYMENT' AND newly_released
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (merchant_id, days) DO UPDATE SET payments = r.payments + EXCLUDED.payments;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER aggregate_queue_folded AFTER INSERT ON payments.aggregate_queue
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments.fold_aggregate_queue();

CREATE FUNCTION payments.queue_new_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payments.aggregate_queue
           (kind, sign, is_new, newly_released, payment_id, buyer_id, merchant_id, amount, refunded,
            refunded_before_release, status, created_at, released_at)
    VALUES ('PAYMENT', 1, true, NEW.released_at IS NOT NULL, NEW.id, NEW.buyer_id, NEW.merchant_id, NEW.amount,
            NEW.refunded, NEW.refunded, NEW.status, NEW.created_at, NEW.released_at);
    RETURN NULL;
END
$$;

CREATE FUNCTION payments.queue_changed_payments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payments.aggregate_queue
           (kind, sign, newly_released, payment_id, buyer_id, merchant_id, amount, refunded, refunded_before_release,
            status, created_at, released_at)
    WITH changed AS (
        SELECT o.id, o.buyer_id, o.merchant_id, o.amount, o.created_at,
               o.refunded AS old_refunded, o.status AS old_status, o.released_at AS old_released_at,
               n.refunded AS new_refunded, n.status AS new_status, n.released_at AS new_released_at,
               payments.refunded_before_release(o::payments.payments) AS old_before_release,
               payments.refunded_before_release(n::payments.payments) AS new_before_release
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE (o.status, o.refunded, o.released_at) IS DISTINCT FROM (n.status, n.refunded, n.released_at)
    )
    SELECT 'PAYMENT', -1, false, id, buyer_id, merchant_id, amount, old_refunded, old_before_release, old_status,
           created_at, old_released_at FROM changed
    UNION ALL
    SELECT 'PAYMENT', 1, old_released_at IS NULL AND new_released_at IS NOT NULL, id, buyer_id, merchant_id, amount,
           new_refunded, new_before_release, new_status, created_at, new_released_at FROM changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION payments.queue_refund() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payments.aggregate_queue (kind, sign, payment_id, buyer_id, merchant_id, amount, created_at)
    SELECT 'REFUND', 1, p.id, p.buyer_id, p.merchant_id, NEW.amount, NEW.created_at
      FROM payments.payments p WHERE p.id = NEW.payment_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER payments_counted AFTER INSERT ON payments.payments
    FOR EACH ROW EXECUTE FUNCTION payments.queue_new_payment();
CREATE TRIGGER payments_recounted AFTER UPDATE ON payments.payments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payments.queue_changed_payments();
CREATE TRIGGER refunds_counted AFTER INSERT ON payments.refunds
    FOR EACH ROW EXECUTE FUNCTION payments.queue_refund();

-- Top-ups and withdrawals are queued from their ledger entry (kinds TOP_UP, WITHDRAWAL)
-- by the service, in the entry's transaction (services/payments/portrait.py count_bank_flow).

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
           CASE WHEN party.as_buyer THEN (p.released_at IS NOT NULL)::integer
                ELSE (p.status = 'RELEASED')::integer END AS released,
           CASE WHEN party.as_buyer AND p.released_at IS NOT NULL THEN p.amount - payments.refunded_before_release(p)
                WHEN NOT party.as_buyer AND p.status = 'RELEASED' THEN p.amount - p.refunded
                ELSE 0 END AS released_net,
           CASE WHEN party.as_buyer THEN 0 ELSE (p.refunded > 0)::integer END AS refunded_payments, p.refunded,
           CASE WHEN p.status IN ('HELD', 'PARTIALLY_REFUNDED') THEN p.amount - p.refunded ELSE 0 END AS held,
           0 AS buyers, 0 AS repeat_buyers
      FROM payments.payments p
     CROSS JOIN LATERAL (VALUES (p.buyer_id, true), (p.merchant_id, false)) AS party(id, as_buyer)
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
