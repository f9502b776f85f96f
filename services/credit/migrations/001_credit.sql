-- Credit: ratings, credit lines, drawdowns, repayments and the daily accrual log.
-- Money in fen (bigint); rates and sub-fen interest carry in NUMERIC, never float.
CREATE SCHEMA IF NOT EXISTS credit;

-- One rating per RELEASED payment, by its buyer (party ids are the payments service's; no FK across schemas).
CREATE TABLE credit.ratings (
    payment_id  bigint PRIMARY KEY,
    merchant_id bigint NOT NULL,
    buyer_id    bigint NOT NULL,
    stars       smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment     text NOT NULL DEFAULT '' CHECK (length(comment) <= 500),
    created_at  timestamptz NOT NULL
);
CREATE INDEX ratings_merchant ON credit.ratings (merchant_id);

CREATE TABLE credit.lines (
    id                    bigserial PRIMARY KEY,
    party_id              bigint NOT NULL UNIQUE,
    limit_fen             bigint NOT NULL CHECK (limit_fen > 0),
    daily_rate            numeric(12, 8) NOT NULL CHECK (daily_rate >= 0 AND daily_rate < 0.01),
    term_days             integer NOT NULL DEFAULT 30 CHECK (term_days > 0),
    status                text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'FROZEN', 'CLOSED')),
    outstanding_principal bigint NOT NULL DEFAULT 0 CHECK (outstanding_principal >= 0),
    accrued_interest      bigint NOT NULL DEFAULT 0 CHECK (accrued_interest >= 0),  -- charged, unpaid (fen)
    accrued_penalty       bigint NOT NULL DEFAULT 0 CHECK (accrued_penalty >= 0),
    interest_carry        numeric(24, 12) NOT NULL DEFAULT 0,  -- sub-fen residue not yet charged
    penalty_carry         numeric(24, 12) NOT NULL DEFAULT 0,
    interest_charged      bigint NOT NULL DEFAULT 0,  -- all interest + penalty ever charged (fen)
    opened_at             timestamptz NOT NULL,
    CONSTRAINT within_limit CHECK (outstanding_principal <= limit_fen)
);

CREATE TABLE credit.drawdowns (
    id          bigserial PRIMARY KEY,
    line_id     bigint NOT NULL REFERENCES credit.lines (id),
    amount      bigint NOT NULL CHECK (amount > 0),
    outstanding bigint NOT NULL CHECK (outstanding >= 0 AND outstanding <= amount),
    drawn_at    timestamptz NOT NULL,
    due_date    date NOT NULL,       -- last day of the term; overdue from the day after
    closed_at   timestamptz,         -- when fully repaid
    reference   text NOT NULL DEFAULT ''
);
CREATE INDEX drawdowns_line ON credit.drawdowns (line_id, id);
CREATE INDEX drawdowns_open ON credit.drawdowns (line_id) WHERE closed_at IS NULL;

CREATE TABLE credit.repayments (
    id         bigserial PRIMARY KEY,
    line_id    bigint NOT NULL REFERENCES credit.lines (id),
    amount     bigint NOT NULL CHECK (amount > 0),
    penalty    bigint NOT NULL,
    interest   bigint NOT NULL,
    principal  bigint NOT NULL,
    repaid_at  timestamptz NOT NULL,
    CHECK (penalty + interest + principal = amount)
);
CREATE INDEX repayments_line ON credit.repayments (line_id);

-- Principal repaid per drawdown, with its time: the accrual reads principal at the end of a day from it.
CREATE TABLE credit.principal_allocations (
    repayment_id bigint NOT NULL REFERENCES credit.repayments (id),
    drawdown_id  bigint NOT NULL REFERENCES credit.drawdowns (id),
    principal    bigint NOT NULL CHECK (principal > 0),
    repaid_at    timestamptz NOT NULL
);
CREATE INDEX principal_allocations_drawdown ON credit.principal_allocations (drawdown_id);

-- One row per accrued business date: the claim that makes accrual idempotent per date.
CREATE TABLE credit.accruals (
    date           date PRIMARY KEY,
    lines          integer NOT NULL DEFAULT 0,
    interest       bigint NOT NULL DEFAULT 0,
    penalty        bigint NOT NULL DEFAULT 0,
    residue        numeric(30, 12) NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL
);
CREATE INDEX principal_allocations_repaid_at ON credit.principal_allocations (repaid_at);
