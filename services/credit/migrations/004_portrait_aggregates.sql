-- Running aggregates of credit: ratings received, repayment record and interest paid,
-- kept by triggers in the transaction of each write so that the credit score and the
-- customer portrait read a few rows whatever the history (docs/adr/026-portrait-aggregates.md).
-- Each has a view recomputing it from the raw rows (`fingraph rebuild-aggregates`).

-- Ratings a merchant received, split by buyer (buyer_id % 16) like payments.party_totals,
-- so that buyers rating one merchant at once do not queue on one row.
CREATE TABLE credit.rating_totals (
    merchant_id bigint NOT NULL,
    stripe      smallint NOT NULL,
    ratings     bigint NOT NULL DEFAULT 0,
    stars       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, stripe)
);

-- Drawdowns repaid in full, on time (by the due date, Asia/Shanghai) or late.
CREATE TABLE credit.repayment_records (
    party_id bigint PRIMARY KEY,
    on_time  bigint NOT NULL DEFAULT 0,
    late     bigint NOT NULL DEFAULT 0
);

-- Interest and penalty interest a party repaid, by Asia/Shanghai calendar day.
CREATE TABLE credit.interest_paid_days (
    party_id bigint NOT NULL,
    day      date NOT NULL,
    interest bigint NOT NULL DEFAULT 0,  -- interest + penalty, fen
    PRIMARY KEY (party_id, day)
);

CREATE FUNCTION credit.count_rating() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO credit.rating_totals AS t (merchant_id, stripe, ratings, stars)
    VALUES (NEW.merchant_id, (NEW.buyer_id % 16)::smallint, 1, NEW.stars)
    ON CONFLICT (merchant_id, stripe) DO UPDATE SET ratings = t.ratings + 1, stars = t.stars + EXCLUDED.stars;
    RETURN NULL;
END
$$;
CREATE TRIGGER ratings_counted AFTER INSERT ON credit.ratings
    FOR EACH ROW EXECUTE FUNCTION credit.count_rating();

CREATE FUNCTION credit.count_closed_drawdown() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    on_time boolean := (NEW.closed_at AT TIME ZONE 'Asia/Shanghai')::date <= NEW.due_date;
BEGIN
    INSERT INTO credit.repayment_records AS r (party_id, on_time, late)
    SELECT l.party_id, on_time::integer, (NOT on_time)::integer FROM credit.lines l WHERE l.id = NEW.line_id
    ON CONFLICT (party_id) DO UPDATE SET on_time = r.on_time + EXCLUDED.on_time, late = r.late + EXCLUDED.late;
    RETURN NULL;
END
$$;
CREATE TRIGGER drawdowns_closed_counted AFTER UPDATE ON credit.drawdowns
    FOR EACH ROW WHEN (OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL)
    EXECUTE FUNCTION credit.count_closed_drawdown();

CREATE FUNCTION credit.count_interest_paid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO credit.interest_paid_days AS d (party_id, day, interest)
    SELECT l.party_id, (NEW.repaid_at AT TIME ZONE 'Asia/Shanghai')::date, NEW.interest + NEW.penalty
      FROM credit.lines l WHERE l.id = NEW.line_id
    ON CONFLICT (party_id, day) DO UPDATE SET interest = d.interest + EXCLUDED.interest;
    RETURN NULL;
END
$$;
CREATE TRIGGER repayments_counted AFTER INSERT ON credit.repayments
    FOR EACH ROW WHEN (NEW.interest + NEW.penalty > 0)
    EXECUTE FUNCTION credit.count_interest_paid();

CREATE VIEW credit.rating_totals_from_rows AS
SELECT merchant_id, (buyer_id % 16)::smallint AS stripe, count(*)::bigint AS ratings, sum(stars)::bigint AS stars
  FROM credit.ratings GROUP BY 1, 2;

CREATE VIEW credit.repayment_records_from_rows AS
SELECT l.party_id,
       count(*) FILTER (WHERE (d.closed_at AT TIME ZONE 'Asia/Shanghai')::date <= d.due_date)::bigint AS on_time,
       count(*) FILTER (WHERE (d.closed_at AT TIME ZONE 'Asia/Shanghai')::date > d.due_date)::bigint AS late
  FROM credit.drawdowns d JOIN credit.lines l ON l.id = d.line_id
 WHERE d.closed_at IS NOT NULL GROUP BY l.party_id;

CREATE VIEW credit.interest_paid_days_from_rows AS
SELECT l.party_id, (r.repaid_at AT TIME ZONE 'Asia/Shanghai')::date AS day, sum(r.interest + r.penalty)::bigint AS interest
  FROM credit.repayments r JOIN credit.lines l ON l.id = r.line_id
 WHERE r.interest + r.penalty > 0 GROUP BY 1, 2;

INSERT INTO credit.rating_totals SELECT * FROM credit.rating_totals_from_rows;
INSERT INTO credit.repayment_records SELECT * FROM credit.repayment_records_from_rows;
INSERT INTO credit.interest_paid_days SELECT * FROM credit.interest_paid_days_from_rows;
