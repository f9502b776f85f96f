"""Per-request loaders: every per-parent lookup of the payments graph is one batched query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from services.kernel.graph.loader import RequestLoader
from services.kernel.money import Money
from services.payments import goods_repository, repository
from services.payments.models import Dispute, DisputeStep, Party, Payment, Wallet

#: (party id, page size + 1, keyset position or None)
PageKey = tuple[int, int, int | None]


class _PoolLoader(RequestLoader):
    """The service's loaders: batched, per request, shielded from cancellation (RequestLoader)."""


class PartyByIdLoader(_PoolLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Party | None]:
        async with self.pool.acquire() as conn:
            by_id = {party.id: party for party in await repository.parties_by_ids(conn, keys)}
        return [by_id.get(key) for key in keys]


class PaymentByIdLoader(_PoolLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Payment | None]:
        async with self.pool.acquire() as conn:
            by_id = {payment.id: payment for payment in await repository.payments_by_ids(conn, keys)}
        return [by_id.get(key) for key in keys]


class WalletByPartyIdLoader(_PoolLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Wallet | None]:
        async with self.pool.acquire() as conn:
            by_id = {wallet.party_id: wallet for wallet in await repository.wallets_by_party_ids(conn, keys)}
        return [by_id.get(key) for key in keys]


class EscrowHeldByMerchantIdLoader(_PoolLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Money]:
        async with self.pool.acquire() as conn:
            held = await repository.escrow_held_by_merchant_ids(conn, keys)
        return [Money(held.get(key, 0)) for key in keys]


class _PaymentsPageLoader(_PoolLoader):
    party_column: str

    async def batch_load_fn(self, keys: Sequence[PageKey]) -> list[list[Payment]]:
        # Keys that share a window (page size, cursor) are one statement; a page of
        # merchants each showing their first 10 payments is therefore one query.
        windows: dict[tuple[int, int | None], list[int]] = defaultdict(list)
        for party_id, limit, before in keys:
            windows[(limit, before)].append(party_id)
        found: dict[PageKey, list[Payment]] = defaultdict(list)
        async with self.pool.acquire() as conn:
            for (limit, before), party_ids in windows.items():
                payments = await repository.payments_pages(
                    conn, party_column=self.party_column, party_ids=party_ids, limit=limit, before_id=before
                )
                for payment in payments:
                    party_id = payment.buyer_id if self.party_column == "buyer_id" else payment.merchant_id
                    found[(party_id, limit, before)].append(payment)
        return [found.get(key, []) for key in keys]


class PaymentsByBuyerIdLoader(_PaymentsPageLoader):
    party_column = "buyer_id"


class PaymentsByMerchantIdLoader(_PaymentsPageLoader):
    party_column = "merchant_id"


class CounterpartyLoader(_PoolLoader):
    """(consumer id, merchant id) -> has the consumer paid the merchant: one statement per batch."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int]]) -> list[bool]:
        async with self.pool.acquire() as conn:
            paid = await repository.counterparties(conn, keys)
        return [key in paid for key in keys]


class DisputeByPaymentIdLoader(_PoolLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Dispute | None]:
        async with self.pool.acquire() as conn:
            by_payment = {d.payment_id: d for d in await goods_repository.disputes_by_payment_ids(conn, keys)}
        return [by_payment.get(key) for key in keys]


class DisputeByIdLoader(_PoolLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Dispute | None]:
        async with self.pool.acquire() as conn:
            by_id = {d.id: d for d in await goods_repository.disputes_by_ids(conn, keys)}
        return [by_id.get(key) for key in keys]


class DisputeStepsByDisputeIdLoader(_PoolLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[DisputeStep]]:
        steps: dict[int, list[DisputeStep]] = defaultdict(list)
        async with self.pool.acquire() as conn:
            for step in await goods_repository.dispute_steps_by_dispute_ids(conn, keys):
                steps[step.dispute_id].append(step)
        return [steps.get(key, []) for key in keys]
