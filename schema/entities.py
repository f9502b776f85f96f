"""The entities the services share, joined from each service's fields.

``Merchant`` and ``Consumer`` are federation entities keyed by ``id``; their roots are
the payments service's ``Party`` values, and each service contributes a mixin of
fields (payments: wallet and payments; credit: profile and line; funds: holdings).
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from services.credit.graph import ConsumerCreditFields, MerchantCreditFields
from services.funds.graph import ConsumerFundsFields, MerchantFundsFields
from services.kernel.graph import Info, Node, forbidden, require_principal
from services.kernel.ids import decode_id
from services.partners import PUBLIC_SCOPE
from services.payments import Party, PartyKind
from services.payments.graph import ConsumerPaymentsFields, MerchantPaymentsFields, PartyByIdLoader


async def _party(info: Info, id: str, type_name: str, kind: PartyKind) -> Party | None:
    decoded = decode_id(id, type_name)
    if decoded is None:
        return None
    principal = require_principal(info)
    if principal.is_partner:
        # Partners reach merchants that granted them access, and nothing else.
        if kind is not PartyKind.MERCHANT or not principal.partner_has_consent(decoded[1]):
            raise forbidden(f"{type_name} {id}")
        info.context.record_partner_read(decoded[1], PUBLIC_SCOPE, type_name)
    party: Party | None = await info.context.loader(PartyByIdLoader).load(decoded[1])
    return party if party is not None and party.kind is kind else None


@strawberry.federation.type(keys=["id"], description="A merchant (seller) on the platform.")
class Merchant(MerchantPaymentsFields, MerchantCreditFields, MerchantFundsFields, Node):  # type: ignore[misc]  # id: a resolver over Node's field
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Party) and obj.kind is PartyKind.MERCHANT

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Merchant | None:
        return await _party(info, id, "Merchant", PartyKind.MERCHANT)  # type: ignore[return-value]


@strawberry.federation.type(keys=["id"], description="A consumer (buyer) on the platform.")
class Consumer(ConsumerPaymentsFields, ConsumerCreditFields, ConsumerFundsFields, Node):  # type: ignore[misc]  # id: a resolver over Node's field
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Party) and obj.kind is PartyKind.CONSUMER

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Consumer | None:
        return await _party(info, id, "Consumer", PartyKind.CONSUMER)  # type: ignore[return-value]


PartyUnion = Annotated[Consumer | Merchant, strawberry.union("Party", description="A consumer or a merchant.")]


async def merchant_by_id(info: Info, id: str) -> Party | None:
    return await _party(info, id, "Merchant", PartyKind.MERCHANT)


async def consumer_by_id(info: Info, id: str) -> Party | None:
    return await _party(info, id, "Consumer", PartyKind.CONSUMER)
