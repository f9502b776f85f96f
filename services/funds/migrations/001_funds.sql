-- The money-market fund: funds, holdings, orders, published daily yields and incomes.
--
-- NAV is fixed at 1.00 CNY, so one unit is one yuan; units are NUMERIC(20,2).
-- Money never lives here: it is in the payments ledger (FUND_CUSTODY). The invariant
-- sum(units + pending_units + redeeming_units) over a fund's holdings x 1.00 equals the
-- custody balance: pending subscriptions are already in custody, standard redemptions
-- stay there until they are paid out.
CREATE SCHEMA IF NOT EXISTS funds;

CREATE TABLE funds.funds (
    id       serial PRIMARY KEY,
    code     text NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 32),
    name     text NOT NULL,
    manager  text NOT NULL,
    currency char(3) NOT NULL DEFAULT 'CNY'
);

INSERT INTO funds.funds (code, name, manager) VALUES ('YEB', 'Yu''e Bao', 'Tianhong Asset Management');

-- One row per (fund, party). party_id points at payments.parties; no foreign key
-- across service schemas.
CREATE TABLE funds.holdings (
    fund_id           integer NOT NULL REFERENCES funds.funds (id),
    party_id          bigint NOT NULL,
    units             numeric(20, 2) NOT NULL DEFAULT 0 CHECK (units >= 0),
    pending_units     numeric(20, 2) NOT NULL DEFAULT 0 CHECK (pending_units >= 0),
    redeeming_units   numeric(20, 2) NOT NULL DEFAULT 0 CHECK (redeeming_units >= 0),
    total_income      numeric(20, 2) NOT NULL DEFAULT 0,
    last_income_date  date,
    last_income       numeric(20, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (fund_id, party_id)
) WITH (fillfactor = 70);  -- every holder's row is updated daily: leave room for HOT updates

-- Subscriptions (pending until settle_date) and redemptions. INSTANT and PAYMENT
-- redemptions settle at once; STANDARD ones pay out on settle_date.
CREATE TABLE funds.orders (
    id           bigserial PRIMARY KEY,
    fund_id      integer NOT NULL REFERENCES funds.funds (id),
    party_id     bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('SUBSCRIBE', 'REDEEM')),
    mode         text CHECK (mode IN ('INSTANT', 'STANDARD', 'PAYMENT')),
    units        numeric(20, 2) NOT NULL CHECK (units > 0),
    placed_at    timestamptz NOT NULL,
    placed_day   date NOT NULL,          -- Asia/Shanghai calendar day (instant cap)
    trade_date   date NOT NULL,
    settle_date  date NOT NULL,
    status       text NOT NULL CHECK (status IN ('PENDING', 'SETTLED')),
    settled_at   timestamptz,
    reference    text
);
CREATE INDEX orders_pending ON funds.orders (settle_date) WHERE status = 'PENDING';
CREATE INDEX orders_party_day ON funds.orders (fund_id, party_id, placed_day);
CREATE INDEX orders_settle_date ON funds.orders (fund_id, settle_date);

-- One row per published day. gross_income is confirmed units x earningsPer10k / 10000
-- exactly; total_income what holders received (each rounded down to the fen);
-- residue = gross_income - total_income stays with the fund.
CREATE TABLE funds.daily_yields (
    fund_id          integer NOT NULL REFERENCES funds.funds (id),
    date             date NOT NULL,
    earnings_per_10k numeric(12, 4) NOT NULL CHECK (earnings_per_10k >= 0),
    holders          integer NOT NULL DEFAULT 0,
    base_units       numeric(24, 2) NOT NULL DEFAULT 0,
    gross_income     numeric(36, 10) NOT NULL DEFAULT 0,
    total_income     numeric(24, 2) NOT NULL DEFAULT 0,
    residue          numeric(36, 10) NOT NULL DEFAULT 0,
    published_at     timestamptz NOT NULL,
    PRIMARY KEY (fund_id, date)
);

CREATE TABLE funds.incomes (
    fund_id  integer NOT NULL,
    date     date NOT NULL,
    party_id bigint NOT NULL,
    income   numeric(20, 2) NOT NULL,
    PRIMARY KEY (fund_id, party_id, date)
);
