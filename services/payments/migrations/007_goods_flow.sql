-- Goods flow in escrow: shipment, the buyer's confirm window, disputes
-- (docs/adr/025-goods-flow-in-escrow.md; the states are services/payments/lifecycle.py,
-- and tests/compiled/test_one_rule.py holds these CHECKs to it).

-- The shipment and the buyer's deadline live on the payment. confirm_by is written when
-- a step sets it (shipment + window, an extension, a dispute that stops or restarts the
-- timer), so a setting changed later never moves a deadline already promised, and the
-- release batch reads one indexed column.
ALTER TABLE payments.payments
    ADD COLUMN shipped_at      timestamptz,
    ADD COLUMN carrier         text CHECK (length(carrier) <= 100),
    ADD COLUMN tracking_number text CHECK (length(tracking_number) <= 100),
    ADD COLUMN confirm_by      timestamptz,
    ADD COLUMN extended        boolean NOT NULL DEFAULT false;

-- Payments held before this migration were promised release ten days after payment:
-- they count as shipped when paid (no carrier recorded), and keep that deadline.
UPDATE payments.payments
   SET shipped_at = created_at, confirm_by = created_at + interval '10 days'
 WHERE status IN ('HELD', 'PARTIALLY_REFUNDED');

ALTER TABLE payments.payments
    ADD CONSTRAINT payments_confirm_by_while_held
        CHECK (confirm_by IS NULL OR (status IN ('HELD', 'PARTIALLY_REFUNDED') AND shipped_at IS NOT NULL)),
    ADD CONSTRAINT payments_shipment_recorded
        CHECK ((carrier IS NULL) = (tracking_number IS NULL) AND (carrier IS NULL OR shipped_at IS NOT NULL)),
    ADD CONSTRAINT payments_extended_after_shipment CHECK (NOT extended OR shipped_at IS NOT NULL);

-- What releaseDuePayments (and the scheduler) reads: held, timer running, due.
CREATE INDEX payments_confirm_due ON payments.payments (confirm_by)
    WHERE status IN ('HELD', 'PARTIALLY_REFUNDED') AND confirm_by IS NOT NULL;

-- One dispute per payment; its history is dispute_steps (append-only by use).
CREATE TABLE payments.disputes (
    id          bigserial PRIMARY KEY,
    payment_id  bigint NOT NULL UNIQUE REFERENCES payments.payments (id),
    buyer_id    bigint NOT NULL,
    merchant_id bigint NOT NULL,
    status      text NOT NULL CHECK (status IN ('OPEN', 'ACCEPTED', 'REJECTED', 'RESOLVED')),
    amount      bigint NOT NULL CHECK (amount > 0),
    currency    char(3) NOT NULL DEFAULT 'CNY',
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    -- What was left of the buyer's confirm window when the dispute stopped it (NULL: not shipped).
    timer_left  interval,
    opened_at   timestamptz NOT NULL,
    closed_at   timestamptz,
    CONSTRAINT disputes_closed_when_settled CHECK ((status IN ('OPEN', 'REJECTED')) = (closed_at IS NULL))
);
CREATE INDEX disputes_open ON payments.disputes (payment_id) WHERE status IN ('OPEN', 'REJECTED');

CREATE TABLE payments.dispute_steps (
    id          bigserial PRIMARY KEY,
    dispute_id  bigint NOT NULL REFERENCES payments.disputes (id),
    action      text NOT NULL CHECK (action IN ('OPEN_DISPUTE', 'ACCEPT_DISPUTE', 'REJECT_DISPUTE', 'RESOLVE_DISPUTE')),
    actor       text NOT NULL CHECK (actor IN ('BUYER', 'MERCHANT', 'OPERATOR')),
    amount      bigint CHECK (amount >= 0),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_at  timestamptz NOT NULL
);
CREATE INDEX dispute_steps_dispute ON payments.dispute_steps (dispute_id, id);

ALTER TABLE payments.payment_events DROP CONSTRAINT payment_events_kind_check;
ALTER TABLE payments.payment_events ADD CONSTRAINT payment_events_kind_check CHECK (kind IN (
    'CREATED', 'RELEASED', 'REFUNDED', 'SHIPPED', 'CONFIRM_WINDOW_EXTENDED',
    'DISPUTE_OPENED', 'DISPUTE_ACCEPTED', 'DISPUTE_REJECTED', 'DISPUTE_RESOLVED'));

-- The Payment JSON (services.payments.models.Payment) with the goods-flow fields.
CREATE OR REPLACE FUNCTION payments.payment_json(p payments.payments) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'id', p.id, 'buyer_id', p.buyer_id, 'merchant_id', p.merchant_id,
        'amount', jsonb_build_object('fen', p.amount, 'currency', p.currency),
        'refunded', jsonb_build_object('fen', p.refunded, 'currency', p.currency),
        'fee', jsonb_build_object('fen', p.fee, 'currency', p.currency),
        'status', p.status, 'funding_source', p.funding_source, 'order_ref', p.order_ref,
        'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'released_at', to_char(p.released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'shipped_at', to_char(p.shipped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'carrier', p.carrier, 'tracking_number', p.tracking_number,
        'confirm_by', to_char(p.confirm_by AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'extended', p.extended)
$$;
