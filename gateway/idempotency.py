"""Idempotency keys: at most one effect per (principal, key), in the effect's own transaction.

Flow of one key: the mutation resolver calls ``context.idempotent`` (gateway/context.py),
which lands here; we insert the key row first, so a concurrent retry waits on the
row lock until we commit, then reads our stored response instead of acting again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg
from pydantic import TypeAdapter

from services.kernel.errors import DomainError, ErrorCode

Result = TypeVar("Result")

_CLAIM_KEY = """
    INSERT INTO gateway.idempotency_keys (principal, key, operation, request_hash)
    VALUES ($1, $2, $3, $4) ON CONFLICT (principal, key) DO NOTHING RETURNING true
"""
_STORED = "SELECT request_hash, response FROM gateway.idempotency_keys WHERE principal = $1 AND key = $2"
_STORE_RESPONSE = "UPDATE gateway.idempotency_keys SET response = $3 WHERE principal = $1 AND key = $2"

_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(result_type: type[Result]) -> TypeAdapter[Result]:
    if result_type not in _adapters:
        _adapters[result_type] = TypeAdapter(result_type)
    return _adapters[result_type]


def request_hash(operation: str, request: Mapping[str, Any]) -> bytes:
    canonical = json.dumps({"operation": operation, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).digest()


async def run_idempotent(
    pool: asyncpg.Pool,
    *,
    principal: str,
    operation: str,
    key: str,
    request: Mapping[str, Any],
    effect: Callable[[asyncpg.Connection], Awaitable[Result]],
    result_type: type[Result],
) -> Result:
    digest = request_hash(operation, request)
    adapter = _adapter(result_type)
    async with pool.acquire() as conn, conn.transaction():
        claimed = await conn.fetchval(_CLAIM_KEY, principal, key, operation, digest)
        if not claimed:
            row = await conn.fetchrow(_STORED, principal, key)
            if row is None or row["request_hash"] != digest or row["response"] is None:
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "this idempotencyKey was already used for a different request",
                    field="idempotencyKey",
                )
            return adapter.validate_json(row["response"])
        result = await effect(conn)
        await conn.execute(_STORE_RESPONSE, principal, key, adapter.dump_json(result).decode())
        return result
