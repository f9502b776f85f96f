"""The shared kernel: value types every service speaks (money, ids, clock, principal).

Nothing here touches a database table or the GraphQL layer; ``services.kernel.graph``
holds the GraphQL building blocks the services' graph packages share.
"""

from __future__ import annotations

from services.kernel.clock import Clock, business_date
from services.kernel.errors import DomainError, ErrorCode
from services.kernel.ids import decode_id, encode_id
from services.kernel.money import CNY, MAX_AMOUNT_FEN, Money, parse_amount
from services.kernel.principal import Principal, Role
from services.kernel.text import check_visible

__all__ = [
    "CNY",
    "MAX_AMOUNT_FEN",
    "Clock",
    "DomainError",
    "ErrorCode",
    "Money",
    "Principal",
    "Role",
    "business_date",
    "check_visible",
    "decode_id",
    "encode_id",
    "parse_amount",
]
