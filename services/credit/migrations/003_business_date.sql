-- The business date of an instant: its calendar day in Asia/Shanghai, whatever the
-- session's TimeZone. Every SQL comparison of an instant with a business date (a
-- repayment closed on or before its due date, ...) goes through this function; a bare
-- ``closed_at::date`` takes the session's zone (UTC on most servers), so a repayment
-- made between 00:00 and 08:00 Shanghai time on the first overdue day counted as on time.
-- The Python twin is services/kernel/clock.py ``business_date``; tests/kernel/
-- test_business_date.py compares the two around both midnights.
CREATE FUNCTION credit.business_date(instant timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (instant AT TIME ZONE 'Asia/Shanghai')::date;
