"""The entities the services share, joined from each service's fields.

``Merchant`` and ``Consumer`` are federation entities keyed by ``id``; their roots are
the payments service's ``Party`` values, and each service contributes a mixin of
fields (payments: wallet and payments; credit: profile and line; funds: holdings).
"""

from __future__ import annotations

import strawberry

from services.credit.graph import ConsumerCreditFields, MerchantCreditFields
from services.funds.graph import ConsumerFundsFields, MerchantFundsFields
from services.kernel.graph import Info, Node, require_principal
from services.kernel.ids import decode_id
from services.payments import Party, PartyKind
from services.payments.graph import (
    ConsumerPaymentsFields,
    MerchantPaymentsFields,
    PartyByIdLoader,
    require_consumer_reach,
    require_merchant_reach,
)


async def _party(info: Info, id: str, type_name: str, kind: PartyKind) -> Party | None:
    """A consumer or merchant by typed id, for every root path (field, ``node``, ``_entities``).

    The id's prefix must name the row's kind (``con_5`` never answers merchant 5), and
    the read rule decides before the row is looked at, so FORBIDDEN says nothing about
    whether the party exists."""
    decoded = decode_id(id, type_name)
    if decoded is None:
        return None
    require_principal(info)
    if kind is PartyKind.CONSUMER:
        await require_consumer_reach(info, decoded[1], f"{type_name} {id}")
    else:
        require_merchant_reach(info, decoded[1], f"{type_name} {id}")
    party: Party | None = await info.context.loader(PartyByIdLoader).load(decoded[1])
    return party if party is not None and party.kind is kind else None


@strawberry.interface(
    name="Party",
    description="A consumer or a merchant: what every party shares. `me` returns one; select the rest with "
    "`... on Consumer` / `... on Merchant`.",
)
class PartyInterface(Node):
    # Each member resolves these with its own rule (a consumer's name is personal).
    name: str


@strawberry.federation.type(keys=["id"], description="A merchant (seller) on the platform.")
class Merchant(MerchantPaymentsFields, MerchantCreditFields, MerchantFundsFields, PartyInterface):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Party) and obj.kind is PartyKind.MERCHANT

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Merchant | None:
        return await _party(info, id, "Merchant", PartyKind.MERCHANT)  # type: ignore[return-value]


@strawberry.federation.type(keys=["id"], description="A consumer (buyer) on the platform.")
class Consumer(ConsumerPaymentsFields, ConsumerCreditFields, ConsumerFundsFields, PartyInterface):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Party) and obj.kind is PartyKind.CONSUMER

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Consumer | None:
        return await _party(info, id, "Consumer", PartyKind.CONSUMER)  # type: ignore[return-value]


async def merchant_by_id(info: Info, id: str) -> Party | None:
    return await _party(info, id, "Merchant", PartyKind.MERCHANT)


async def consumer_by_id(info: Info, id: str) -> Party | None:
    return await _party(info, id, "Consumer", PartyKind.CONSUMER)
