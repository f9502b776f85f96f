-- A day's distribution looks up the orders placed or confirmed after that day (the
-- holders whose base differs from today's units): by index, not a scan of every order
-- the fund ever had (services/funds/distribution.py).
CREATE INDEX orders_placed_at ON funds.orders (fund_id, placed_at) WHERE kind = 'REDEEM';
