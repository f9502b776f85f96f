"""The shape every money-moving mutation shares: validate, run idempotently, report userErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.graph.context import Info
from services.kernel.graph.types import UserError, user_error
from services.kernel.sql_call import SqlCall

Result = TypeVar("Result")


def check_idempotency_key(key: str) -> None:
    if not 1 <= len(key) <= 255:
        raise DomainError(ErrorCode.INVALID_INPUT, "idempotencyKey must be 1 to 255 characters", field="idempotencyKey")


async def run_idempotent(
    info: Info,
    *,
    operation: str,
    key: str,
    request: Mapping[str, Any],
    effect: Callable[[asyncpg.Connection], Awaitable[Result]],
    result_type: type[Result],
) -> tuple[Result | None, list[UserError]]:
    """``(result, [])`` once the effect has committed, or ``(None, userErrors)`` and nothing changed."""
    try:
        check_idempotency_key(key)
        result = await info.context.idempotent(
            operation=operation, key=key, request=request, effect=effect, result_type=result_type
        )
    except DomainError as error:
        return None, [user_error(error)]
    return result, []


async def run_idempotent_call(
    info: Info, *, operation: str, key: str, request: Mapping[str, Any], call: SqlCall[Result]
) -> tuple[Result | None, list[UserError]]:
    """``run_idempotent`` for an effect that is one SQL function call (one round trip in all)."""
    try:
        check_idempotency_key(key)
        result = await info.context.idempotent_call(operation=operation, key=key, request=request, call=call)
    except DomainError as error:
        return None, [user_error(error)]
    return result, []


async def run_once(
    info: Info, effect: Callable[[asyncpg.Connection], Awaitable[Result]]
) -> tuple[Result | None, list[UserError]]:
    """A mutation without an idempotency key (no money moves): one transaction, userErrors on failure."""
    try:
        async with info.context.pool.acquire() as conn, conn.transaction():
            return await effect(conn), []
    except DomainError as error:
        return None, [user_error(error)]
