"""``node(id:)`` of the funds slice's objects: a fund (public) and a holding.

A holding is its party's private data, read as the party's ``fundHolding`` field is
(``access.may_read_owned``; the owner is in the id, so the rule decides before any row is
read). A party that never subscribed holds zero units, and so has a holding to refetch.
"""

from __future__ import annotations

from services.funds.graph.loaders import FundByIdLoader, HoldingByFundAndPartyLoader
from services.funds.graph.types import empty_holding
from services.funds.models import Fund, Holding
from services.kernel.graph import Info, may_refetch_owned, require_principal
from services.kernel.ids import decode_id, decode_key


async def readable_fund(info: Info, id: str) -> Fund | None:
    require_principal(info)
    decoded = decode_id(id, "Fund")
    if decoded is None:
        return None
    fund: Fund | None = await info.context.loader(FundByIdLoader).load(decoded[1])
    return fund


async def readable_holding(info: Info, id: str) -> Holding | None:
    decoded = decode_key(id, "FundHolding")
    if decoded is None:
        return None
    fund_id, party_id = decoded[1]
    if not may_refetch_owned(info, "FundHolding", party_id):
        return None
    fund: Fund | None = await info.context.loader(FundByIdLoader).load(fund_id)
    if fund is None:
        return None
    holding: Holding | None = await info.context.loader(HoldingByFundAndPartyLoader).load((fund_id, party_id))
    return holding or empty_holding(fund, party_id, info.context.clock.today())
