"""``node(id:)`` of the credit slice's objects: a credit line and a drawdown.

Both are the owning party's private data, read as its ``creditLine`` field is
(``access.may_read_owned``); the owner is known only once the row is loaded, so an
object the principal may not read answers null, exactly as one that does not exist.
"""

from __future__ import annotations

from services.credit.graph.loaders import CreditLineByIdLoader, DrawdownByIdLoader
from services.credit.models import CreditLine, Drawdown
from services.kernel.graph import Info, may_refetch_owned
from services.kernel.ids import decode_id


async def readable_credit_line(info: Info, id: str) -> CreditLine | None:
    decoded = decode_id(id, "CreditLine")
    if decoded is None:
        return None
    line: CreditLine | None = await info.context.loader(CreditLineByIdLoader).load(decoded[1])
    return line if line is not None and may_refetch_owned(info, "CreditLine", line.party_id) else None


async def readable_drawdown(info: Info, id: str) -> Drawdown | None:
    decoded = decode_id(id, "Drawdown")
    if decoded is None:
        return None
    drawdown: Drawdown | None = await info.context.loader(DrawdownByIdLoader).load(decoded[1])
    if drawdown is None:
        return None
    line: CreditLine | None = await info.context.loader(CreditLineByIdLoader).load(drawdown.line_id)
    return drawdown if line is not None and may_refetch_owned(info, "Drawdown", line.party_id) else None
