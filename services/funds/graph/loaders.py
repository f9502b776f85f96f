"""Per-request loaders of the funds graph: a page of parties costs a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from services.funds import repository
from services.funds.models import DailyYield, Fund, Holding, IncomeDay, PendingRedemption, units_to_money
from services.kernel.graph.loader import RequestLoader
from services.payments import Party, parties_by_ids

#: Days of yields a loader fetches per fund: enough for the 7-day yield and a year of history.
_YIELD_WINDOW = 366


class _FundsLoader(RequestLoader):
    """The service's loaders: batched, per request, shielded from cancellation (RequestLoader)."""


class FundByCodeLoader(_FundsLoader):
    async def batch_load_fn(self, keys: Sequence[str]) -> list[Fund | None]:
        async with self.pool.acquire() as conn:
            by_code = {fund.code: fund for fund in await repository.funds_by_codes(conn, keys)}
        return [by_code.get(key) for key in keys]


class HoldingByFundAndPartyLoader(_FundsLoader):
    """(fund id, party id) -> the holding as of today (due orders count as settled), or None."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int]]) -> list[Holding | None]:
        async with self.pool.acquire() as conn:
            holdings = await repository.holdings_view(conn, keys, as_of=self.clock.today())
        by_key = {(h.fund_id, h.party_id): h for h in holdings}
        return [by_key.get(key) for key in keys]


class YieldsByFundIdLoader(_FundsLoader):
    """Fund id -> its published days, newest first (at most a year)."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[DailyYield]]:
        async with self.pool.acquire() as conn:
            rows = await repository.recent_yields(conn, keys, limit=_YIELD_WINDOW)
        by_fund: dict[int, list[DailyYield]] = defaultdict(list)
        for row in rows:
            by_fund[row["fund_id"]].extend(repository.daily_yields([row]))
        return [by_fund.get(key, []) for key in keys]


class IncomeHistoryByHoldingLoader(_FundsLoader):
    """(fund id, party id, days) -> the holder's incomes of the last ``days`` days, newest first."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int, int]]) -> list[list[IncomeDay]]:
        longest = max(days for _, _, days in keys)
        since = self.clock.today() - timedelta(days=longest)
        async with self.pool.acquire() as conn:
            rows = await repository.income_history(conn, [(f, p) for f, p, _ in keys], since=since)
        found: dict[tuple[int, int], list[IncomeDay]] = defaultdict(list)
        for row in rows:
            found[(row["fund_id"], row["party_id"])].append(
                IncomeDay(date=row["date"], income=units_to_money(row["income"]))
            )
        today = self.clock.today()
        return [
            [day for day in found.get((f, p), []) if day.date >= today - timedelta(days=days)]
            for f, p, days in keys
        ]


class FundByIdLoader(_FundsLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Fund | None]:
        async with self.pool.acquire() as conn:
            by_id = {fund.id: fund for fund in await repository.all_funds(conn)}
        return [by_id.get(key) for key in keys]


class OwnerByPartyIdLoader(_FundsLoader):
    """The party a payload's owner fields return (``services.kernel.graph.owner``)."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Party | None]:
        async with self.pool.acquire() as conn:
            by_id = {party.id: party for party in await parties_by_ids(conn, keys)}
        return [by_id.get(key) for key in keys]


class PendingRedemptionsByHoldingLoader(_FundsLoader):
    """(fund id, party id) -> standard redemptions not paid out yet, by payout date."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int]]) -> list[list[PendingRedemption]]:
        async with self.pool.acquire() as conn:
            rows = await repository.pending_redemptions(conn, keys)
        found: dict[tuple[int, int], list[PendingRedemption]] = defaultdict(list)
        for row in rows:
            found[(row["fund_id"], row["party_id"])].append(
                PendingRedemption(units=row["units"], payout_date=row["settle_date"])
            )
        return [found.get(key, []) for key in keys]
