"""``consumer`` and ``merchant`` on a money mutation's payload: the party whose data changed.

A client's normalised cache (Apollo, Relay) refreshes every screen showing a party from
one mutation when the payload returns that party by id with the fields the screens
select (ADR 024). The payload names the owners of what it returns (the wallet's party,
the payment's buyer and merchant, the line's or holding's party); these fields load them
through the slice's party loader and return the one of the field's kind, under the
party's own read rules (a buyer reading its payment's merchant sees its public fields).

The joined ``Consumer``/``Merchant`` types are named lazily (``schema.entities`` builds
them from every slice), as ``services/kernel/graph/entities.py`` explains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import strawberry

from services.kernel.graph.compiled import standard_only
from services.kernel.graph.context import Info
from services.kernel.graph.entities import ConsumerRef, MerchantRef
from services.kernel.graph.loader import RequestLoader

_OWNER = standard_only("a payload's owner is loaded after the mutation's effect, by its resolver")


@strawberry.type
class PayloadOwners:
    """Mixin of a payload type: ``owner_ids`` names the parties, ``owner_loader`` loads them
    (a per-request loader of the payments ``Party`` by id; its ``kind`` picks the field)."""

    owner_loader: ClassVar[type[RequestLoader]]

    def owner_ids(self) -> Sequence[int]:
        raise NotImplementedError

    async def _owner(self, info: Info, kind: str) -> Any:
        for party_id in self.owner_ids():
            party = await info.context.loader(type(self).owner_loader).load(party_id)
            if party is not None and party.kind.value == kind:
                return party
        return None

    @strawberry.field(
        description="The consumer whose data this mutation changed (a payment's buyer), to refresh cached screens.",
        metadata=_OWNER,
    )
    async def consumer(self, info: Info) -> ConsumerRef | None:
        return await self._owner(info, "CONSUMER")

    @strawberry.field(
        description="The merchant whose data this mutation changed (a payment's merchant), to refresh cached screens.",
        metadata=_OWNER,
    )
    async def merchant(self, info: Info) -> MerchantRef | None:
        return await self._owner(info, "MERCHANT")
