"""Object types every service returns: Money and the userErrors of mutations."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.graph.compiled import Leaf, money_amount, sql


@strawberry.type(name="Money", description="An exact amount of money with its currency.")
class MoneyType:
    # Built from whatever row a service names as ``fen`` and ``currency`` (``compiled.money``).
    amount: Decimal = strawberry.field(
        description='Two decimals, as a string: "100.00".', metadata=sql(Leaf(lambda row: money_amount(row["fen"])))
    )
    currency: str = strawberry.field(metadata=sql(Leaf(lambda row: row["currency"])))


UserErrorCode = strawberry.enum(
    ErrorCode,
    name="UserErrorCode",
    description="Why a mutation changed nothing. Values are only ever added, never renamed or removed; "
    "a client treats a value it does not know as a generic failure (ADR 024).",
)


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    code: UserErrorCode  # type: ignore[valid-type]
    field: str | None
    message: str


def user_error(error: DomainError) -> UserError:
    return UserError(code=error.code, field=error.field, message=error.message)


@strawberry.interface(description="An object with a stable, opaque, typed ID that node(id:) refetches.")
class Node:
    id: strawberry.ID
