"""Credit: ratings, credit profiles (score), revolving credit lines with daily interest.

The public surface other packages may use (the schema join and the CLI).
"""

from __future__ import annotations

from services.credit.catch_up import unaccrued_days
from services.credit.models import Accrual, CreditLine, CreditProfile
from services.credit.service import (
    CreditFundingProvider,
    accrue_daily_interest,
    draw_credit,
    open_credit_line,
    rate_merchant,
    repay_credit,
)

__all__ = ["Accrual", "CreditFundingProvider", "CreditLine", "CreditProfile", "accrue_daily_interest", "draw_credit",
           "open_credit_line", "rate_merchant", "repay_credit", "unaccrued_days"]
