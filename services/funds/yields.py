"""Yield arithmetic, exact in Decimal: the 7-day annualised yield and the earnings comparison."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from services.funds.models import EarningsComparison
from services.kernel.errors import DomainError, ErrorCode
from services.kernel.money import Money, parse_amount

PERCENT_PLACES = Decimal("0.0001")
RATIO_PLACES = Decimal("0.01")


def seven_day_annualized_yield(earnings_per_10k: Sequence[Decimal]) -> Decimal | None:
    """``((prod (1 + R_i/10000)) ^ (365/7) - 1) x 100`` over exactly the last 7 days, in percent.

    The product is exact; the fractional power is computed at 50 significant digits and
    the result rounded half-up to 4 decimals (the way funds quote it, e.g. 2.3456%).
    None until seven days are published.
    """
    if len(earnings_per_10k) != 7:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        product = Decimal(1)
        for rate in earnings_per_10k:
            product *= 1 + rate / 10_000
        annual = product ** (Decimal(365) / Decimal(7))
        return ((annual - 1) * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def _percent(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or value < 0 or value > 1000:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field} must be between 0 and 1000", field=field)
    return value


def simple_earnings(principal: Money, annual_percent: Decimal, days: int) -> Money:
    """Simple interest ``principal x percent/100 x days/365``, rounded down to the fen.

    Built from fen rather than parsed as an amount: what a large principal earns over
    years may exceed what one operation may move (``MAX_AMOUNT_FEN``) and is still an answer.
    """
    with localcontext() as ctx:
        ctx.prec = 50
        exact_fen = principal.fen * annual_percent / 100 * days / 365
        return Money(int(exact_fen.to_integral_value(rounding=ROUND_DOWN)), principal.currency)


def compare_earnings(amount: Decimal, fund_percent: Decimal, bank_percent: Decimal, days: int) -> EarningsComparison:
    """What ``amount`` earns in the fund vs the bank over ``days``.

    Rounding: each side is simple interest rounded DOWN to the fen (what an investor
    would actually be paid); the ratio is fund/bank of those rounded amounts, rounded
    HALF-UP to 2 decimals; None when the bank earns nothing.
    """
    principal = parse_amount(amount)
    if not 1 <= days <= 36_500:
        raise DomainError(ErrorCode.INVALID_INPUT, "days must be between 1 and 36500", field="days")
    fund = simple_earnings(principal, _percent(fund_percent, "fundAnnualYieldPercent"), days)
    bank = simple_earnings(principal, _percent(bank_percent, "bankRatePercent"), days)
    ratio = None
    if bank.fen:
        ratio = (Decimal(fund.fen) / Decimal(bank.fen)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
    return EarningsComparison(fund_earnings=fund, bank_earnings=bank, ratio=ratio)
