"""Object types every service returns: Money and the userErrors of mutations."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from services.kernel.errors import DomainError


@strawberry.type(name="Money", description="An exact amount of money with its currency.")
class MoneyType:
    amount: Decimal = strawberry.field(description='Two decimals, as a string: "100.00".')
    currency: str


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    code: str
    field: str | None
    message: str


def user_error(error: DomainError) -> UserError:
    return UserError(code=error.code.value, field=error.field, message=error.message)


@strawberry.interface(description="An object with a stable, opaque, typed ID that node(id:) refetches.")
class Node:
    id: strawberry.ID
