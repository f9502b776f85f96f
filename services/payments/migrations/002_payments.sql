-- Escrow payments (担保交易): the buyer's money is held until they confirm receipt.
CREATE TABLE payments.payments (
    id              bigserial PRIMARY KEY,
    buyer_id        bigint NOT NULL REFERENCES payments.parties (id),
    merchant_id     bigint NOT NULL REFERENCES payments.parties (id),
    amount          bigint NOT NULL CHECK (amount > 0),
    refunded        bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    fee             bigint NOT NULL DEFAULT 0 CHECK (fee >= 0),
    currency        char(3) NOT NULL DEFAULT 'CNY',
    status          text NOT NULL CHECK (status IN ('HELD', 'PARTIALLY_REFUNDED', 'RELEASED', 'REFUNDED')),
    funding_source  text NOT NULL CHECK (funding_source IN ('WALLET', 'FUND', 'CREDIT')),
    order_ref       text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    released_at     timestamptz,
    CONSTRAINT released_has_time CHECK ((status = 'RELEASED') <= (released_at IS NOT NULL))
);
CREATE INDEX payments_buyer ON payments.payments (buyer_id, id DESC);
CREATE INDEX payments_merchant ON payments.payments (merchant_id, id DESC);
-- Held payments only: what escrowHeld and releaseDuePayments read.
CREATE INDEX payments_held ON payments.payments (created_at)
    WHERE status IN ('HELD', 'PARTIALLY_REFUNDED');
CREATE INDEX payments_held_by_merchant ON payments.payments (merchant_id)
    WHERE status IN ('HELD', 'PARTIALLY_REFUNDED');

CREATE TABLE payments.refunds (
    id          bigserial PRIMARY KEY,
    payment_id  bigint NOT NULL REFERENCES payments.payments (id),
    amount      bigint NOT NULL CHECK (amount > 0),
    reason      text NOT NULL DEFAULT '',
    after_release boolean NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX refunds_payment ON payments.refunds (payment_id);
