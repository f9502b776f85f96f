"""Root queries that span services: who am I, the entities by id, and node(id:)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

import strawberry

from schema.compiled.roots import Me, Merchants, NodeById, PartyById, PaymentById
from schema.entities import Consumer, Merchant, PartyInterface, consumer_by_id, merchant_by_id
from services.credit.graph import readable_credit_line, readable_drawdown
from services.funds.graph import readable_fund, readable_holding
from services.kernel.graph import Connection, Info, Node, page_window, require_principal
from services.kernel.graph.compiled import sql
from services.kernel.graph.directives import paginated, signed_in
from services.kernel.ids import id_type
from services.kernel.principal import Role
from services.partners import PUBLIC_SCOPE
from services.partners.graph import readable_partner
from services.payments import Party, PartyKind, parties_page
from services.payments.graph import PartyByIdLoader, PaymentType, readable_payment, readable_wallet

#: ``node(id:)``: each Node type's refetch, which applies that type's read rule
#: (services/kernel/access.py). A type whose id prefix is not here answers null.
NODE_READERS: dict[str, Callable[[Info, str], Awaitable[object | None]]] = {
    "Merchant": merchant_by_id,
    "Consumer": consumer_by_id,
    "Payment": readable_payment,
    "Wallet": readable_wallet,
    "CreditLine": readable_credit_line,
    "Drawdown": readable_drawdown,
    "Fund": readable_fund,
    "FundHolding": readable_holding,
    "Partner": readable_partner,
}


@strawberry.type
class PartiesQuery:
    @strawberry.field(
        description="The consumer or merchant the token belongs to (null for operators and partners).",
        directives=signed_in(), metadata=sql(Me()),
    )
    async def me(self, info: Info) -> PartyInterface | None:
        principal = require_principal(info)
        if principal.role not in (Role.CONSUMER, Role.MERCHANT) or principal.party_id is None:
            return None
        party: Party | None = await info.context.loader(PartyByIdLoader).load(principal.party_id)
        return party  # type: ignore[return-value]

    @strawberry.field(
        description="A merchant: public fields for anyone signed in, the rest for the merchant and operators.",
        directives=signed_in(), metadata=sql(PartyById("Merchant")),
    )
    async def merchant(self, info: Info, id: strawberry.ID) -> Merchant | None:
        require_principal(info)
        return await merchant_by_id(info, id)  # type: ignore[return-value]

    @strawberry.field(
        description="A consumer: public fields for anyone signed in, the rest for the consumer and operators.",
        directives=signed_in(), metadata=sql(PartyById("Consumer")),
    )
    async def consumer(self, info: Info, id: strawberry.ID) -> Consumer | None:
        require_principal(info)
        return await consumer_by_id(info, id)  # type: ignore[return-value]

    @strawberry.field(description="Merchants, newest first.", directives=[*signed_in(), *paginated()],
                      metadata=sql(Merchants()))
    async def merchants(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Merchant]:
        principal = require_principal(info)
        # A partner lists only the merchants that granted it access.
        only = sorted({merchant for merchant, _ in principal.grants}) if principal.is_partner else None
        size, before = page_window(first, after)
        async with info.context.pool.acquire() as conn:
            rows = await parties_page(conn, kind=PartyKind.MERCHANT, limit=size + 1, before_id=before, only_ids=only)
        loader = info.context.loader(PartyByIdLoader)
        for party in rows[:size]:
            loader.prime(party.id, party)
            if principal.is_partner:
                info.context.record_partner_read(party.id, PUBLIC_SCOPE, "Merchant")
        merchants: Connection[Merchant] = Connection.from_rows(
            rows, first=size, position=lambda p: p.id, node=lambda p: cast(Merchant, p), had_cursor=after is not None
        )
        return merchants

    @strawberry.field(description="A payment, for its buyer, its merchant and operators.", directives=signed_in(),
                      metadata=sql(PaymentById()))
    async def payment(self, info: Info, id: strawberry.ID) -> PaymentType | None:
        require_principal(info)
        return await readable_payment(info, id)  # type: ignore[return-value]

    @strawberry.field(description="Refetch any entity by its ID (Relay).", directives=signed_in(),
                      metadata=sql(NodeById()))
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        require_principal(info)
        reader = NODE_READERS.get(id_type(id) or "")
        return None if reader is None else await reader(info, id)  # type: ignore[return-value]
