"""Per-request loaders of the credit graph: a page of parties costs a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from services.credit import repository, service
from services.credit.models import CreditLine, CreditProfile, Drawdown
from services.kernel.graph.loader import RequestLoader
from services.payments import Party, parties_by_ids


class _CreditLoader(RequestLoader):
    """The service's loaders: batched, per request, shielded from cancellation (RequestLoader)."""


class CreditProfileByPartyIdLoader(_CreditLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[CreditProfile | None]:
        async with self.pool.acquire() as conn:
            profiles = await service.credit_profiles(conn, keys, now=self.clock.now())
        return [profiles.get(key) for key in keys]


class CreditLineByPartyIdLoader(_CreditLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[CreditLine | None]:
        async with self.pool.acquire() as conn:
            by_party = {line.party_id: line for line in await repository.lines_by_party_ids(conn, keys)}
        return [by_party.get(key) for key in keys]


class DrawdownsByLineIdLoader(_CreditLoader):
    """(line id, first + 1, before id) -> drawdowns newest first; one query per distinct window."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int, int | None]]) -> list[list[Drawdown]]:
        found: dict[tuple[int, int, int | None], list[Drawdown]] = defaultdict(list)
        windows: dict[tuple[int, int | None], list[int]] = defaultdict(list)
        for line_id, limit, before in keys:
            windows[(limit, before)].append(line_id)
        async with self.pool.acquire() as conn:
            for (limit, before), line_ids in windows.items():
                for d in await repository.drawdowns_pages(conn, line_ids=line_ids, limit=limit, before_id=before):
                    found[(d.line_id, limit, before)].append(d)
        return [found.get(key, []) for key in keys]


class CreditLineByIdLoader(_CreditLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[CreditLine | None]:
        async with self.pool.acquire() as conn:
            by_id = {line.id: line for line in await repository.lines_by_ids(conn, keys)}
        return [by_id.get(key) for key in keys]


class DrawdownByIdLoader(_CreditLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Drawdown | None]:
        async with self.pool.acquire() as conn:
            by_id = {drawdown.id: drawdown for drawdown in await repository.drawdowns_by_ids(conn, keys)}
        return [by_id.get(key) for key in keys]


class OwnerByPartyIdLoader(_CreditLoader):
    """The party a payload's owner fields return (``services.kernel.graph.owner``)."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Party | None]:
        async with self.pool.acquire() as conn:
            by_id = {party.id: party for party in await parties_by_ids(conn, keys)}
        return [by_id.get(key) for key in keys]
