"""Idempotency keys: at most one effect per (principal, key), in the effect's own transaction.

Flow of one key: the mutation resolver calls ``context.idempotent`` (gateway/context.py),
which lands here; we take the key's lock first (``gateway.claim_key``), so a concurrent
retry waits until we commit, then reads our stored response instead of acting again;
the key's row is written once, with the response (``gateway.keep_response``).

``run_idempotent_call`` does the same for an effect that is one SQL function call
(``SqlCall``): one statement claims the key, calls the function and stores its answer,
so the whole payment is one round trip (gateway/migrations/003_idempotent_call.sql,
docs/adr/012).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.sql_call import SqlCall, json_adapter, refusals

Result = TypeVar("Result")

_CLAIM_KEY = "SELECT claimed, stored_request_hash, stored_response FROM gateway.claim_key($1, $2)"
_KEEP_RESPONSE = "SELECT gateway.keep_response($1, $2, $3, $4, $5::jsonb)"


@functools.lru_cache(maxsize=64)
def keyed_call_statement(function: str) -> str:
    """Claim, effect and stored answer in one statement (gateway/migrations/003_idempotent_call.sql).

    ``function`` is a ``SqlCall``'s, checked there to be a plain schema.function name.
    """
    return f"""
        SELECT c.claimed, c.stored_request_hash,
               CASE WHEN c.claimed THEN gateway.keep_response($1, $2, $3, $4, {function}($5::jsonb))
                    ELSE c.stored_response END AS response
          FROM gateway.claim_key($1, $2) c
    """  # noqa: S608 (SqlCall checked the identifier; it comes from code, never input)


#: ``json.dumps(..., sort_keys=True, default=str)``, made once (the hash of keys stored
#: earlier must not change).
_CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


def request_hash(operation: str, request: Mapping[str, Any]) -> bytes:
    canonical = _CANONICAL.encode({"operation": operation, "request": request})
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
    adapter = json_adapter(result_type)
    async with pool.acquire() as conn, conn.transaction():
        claim = await conn.fetchrow(_CLAIM_KEY, principal, key)
        if not claim["claimed"]:
            return adapter.validate_json(_replayable(claim["stored_response"], claim["stored_request_hash"], digest))
        result = await effect(conn)
        await conn.execute(_KEEP_RESPONSE, principal, key, operation, digest, adapter.dump_json(result).decode())
        return result


async def run_idempotent_call(
    pool: asyncpg.Pool, *, principal: str, operation: str, key: str, request: Mapping[str, Any],
    call: SqlCall[Result],
) -> Result:
    """``run_idempotent`` for an effect that is one function call: claim, effect and answer in one statement."""
    digest = request_hash(operation, request)
    with refusals(call.errors):
        statement = keyed_call_statement(call.function)
        row = await pool.fetchrow(statement, principal, key, operation, digest, call.request_json())
    if not row["claimed"]:
        return call.decode(_replayable(row["response"], row["stored_request_hash"], digest))
    return call.decode(row["response"])


def _replayable(response: str | None, stored_hash: bytes | None, digest: bytes) -> str:
    """The stored response of a key used before, if it was used for this very request."""
    if response is None or stored_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotencyKey was already used for a different request",
            field="idempotencyKey",
        )
    return response
