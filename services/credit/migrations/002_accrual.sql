-- The daily accrual charges most lines from credit.lines alone and consults drawdowns only
-- for the few lines a night changes (services/credit/accrual.py): drawn after the day
-- ended, or overdue and still open. Both are found through these indexes instead of a
-- scan of every drawdown (principal repaid after the day has principal_allocations_repaid_at).
CREATE INDEX drawdowns_drawn_at ON credit.drawdowns (drawn_at);
CREATE INDEX drawdowns_open_due ON credit.drawdowns (due_date) WHERE closed_at IS NULL;

-- A carry is the sub-fen part of a day's exact interest, x - floor(x): always in [0, 1).
-- The accrual derives the fen it charged from the new carry on that ground.
ALTER TABLE credit.lines
    ADD CONSTRAINT carry_below_one_fen CHECK (interest_carry >= 0 AND interest_carry < 1
                                             AND penalty_carry >= 0 AND penalty_carry < 1);
