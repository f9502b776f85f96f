"""Demo data: a year of realistic daily yields for Yu'e Bao."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import asyncpg

from services.funds import repository, service
from services.funds.models import DEFAULT_FUND
from services.kernel.clock import BUSINESS_TZ


def demo_earnings_per_10k(day: date) -> Decimal:
    """A deterministic, plausible curve: about 0.40-0.48 per 10k a day (1.5%-1.75% a year),
    drifting slowly over the year with a small daily wobble. Integer arithmetic only."""
    ordinal = day.toordinal()
    drift = abs((ordinal % 180) - 90)          # 0..90, a slow triangle wave
    wobble = (ordinal * 7919) % 41 - 20        # -20..20, deterministic noise
    return Decimal(4000 + drift * 8 + wobble) / 10_000


async def seed_yield_history(conn: asyncpg.Connection, *, until: date, days: int = 365,
                             fund_code: str = DEFAULT_FUND) -> int:
    """Publish ``days`` daily yields ending on ``until`` (inclusive); days already published
    (or before the latest published one) are skipped. Returns how many were published."""
    published = 0
    async with conn.transaction():
        funds = await repository.funds_by_codes(conn, [fund_code])
        if not funds:
            return 0
        fund = funds[0]
        latest = await repository.latest_published_date(conn, fund.id)
        for offset in range(days - 1, -1, -1):
            day = until - timedelta(days=offset)
            if latest is not None and day <= latest:
                continue
            now = datetime.combine(day + timedelta(days=1), time(9, 0), tzinfo=BUSINESS_TZ)
            await service.publish_fund_yield(
                conn, fund_code=fund_code, day=day, earnings_per_10k=demo_earnings_per_10k(day), now=now
            )
            published += 1
    return published
