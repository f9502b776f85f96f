"""Funds: a money-market fund (Yu'e Bao) with daily income, yields and paying from the fund.

Public surface for other packages (the schema join, the demo seeder, the CLI).
"""

from __future__ import annotations

from services.funds.funding import FundPaymentProvider
from services.funds.models import DEFAULT_FUND, Distribution, Fund, Holding, RedemptionMode
from services.funds.seed import demo_earnings_per_10k, seed_yield_history
from services.funds.service import (
    funds_missing_yield,
    missing_yield_dates,
    publish_fund_yield,
    settle_due_fund_orders,
    settle_fund_orders,
    subscribe,
)

__all__ = [
    "DEFAULT_FUND",
    "Distribution",
    "Fund",
    "FundPaymentProvider",
    "Holding",
    "RedemptionMode",
    "demo_earnings_per_10k",
    "funds_missing_yield",
    "missing_yield_dates",
    "publish_fund_yield",
    "seed_yield_history",
    "settle_due_fund_orders",
    "settle_fund_orders",
    "subscribe",
]
