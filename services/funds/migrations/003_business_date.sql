-- The business date of an instant in the funds schema (see credit/003_business_date.sql:
-- a service names no other service's schema, so each has its own one-line twin; the
-- drift test in tests/kernel/test_business_date.py checks both against Python's).
CREATE FUNCTION funds.business_date(instant timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (instant AT TIME ZONE 'Asia/Shanghai')::date;

-- An order's day (the instant cap counts by it) is the business date it was placed on.
-- NOT VALID: rows written before this migration are not re-checked; every new one is.
ALTER TABLE funds.orders
    ADD CONSTRAINT placed_day_is_business_date CHECK (placed_day = funds.business_date(placed_at)) NOT VALID;
