"""Idempotency keys: at most one effect per (principal, key), and one answer.

Flow of one key: the mutation resolver calls ``context.idempotent`` (gateway/context.py),
which lands here; we take the key's lock first (``gateway.claim_key``), so a concurrent
retry waits until we commit, then reads our stored answer instead of acting again;
the key's row is written once, with the answer (``gateway.keep_response``).

``run_idempotent_call`` does the same for an effect that is one SQL function call
(``SqlCall``): one statement claims the key, calls the function and stores its answer,
so the whole payment is one round trip (gateway/migrations/003_idempotent_call.sql,
docs/adr/012).

The answer a key keeps (``gateway.idempotency_keys.response``, jsonb) is one of

* the effect's result, as the result type's JSON (pydantic's ``TypeAdapter``);
* a Python effect's refusal: ``{"refusal": {"code": "INSUFFICIENT_FUNDS", "message": ..., "field": ...}}``;
* a function's refusal, as the function answered it: ``{"refusal": "insufficient_funds"}``
  (``SqlCall.decode`` names its DomainError, services/kernel/sql_call.py).

A refusal is replayed as the same ``DomainError`` (ADR 003: a refusal is a definitive
answer, as a card network's decline is); keys stored before refusals were kept hold
only results. It is kept in the effect's transaction while the key's lock is held, so
concurrent retries replay it: a Python effect runs after a savepoint and a refusal
rolls back to it; a function answers its refusal from its own subtransaction.
Refusals of the request itself (``NOT_KEPT``) roll back everything, the key included.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg
import orjson

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.sql_call import SqlCall, json_adapter, refusals

Result = TypeVar("Result")

_CLAIM_KEY = "SELECT claimed, stored_request_hash, stored_response FROM gateway.claim_key($1, $2)"
_KEEP_RESPONSE = "SELECT gateway.keep_response($1, $2, $3, $4, $5::jsonb)"
#: Refusals a key does not keep (ADR 003): they depend on the request alone (malformed
#: input: the same request is always refused alike, and a corrected one may reuse the
#: key), on who asks (authorisation), or on the key itself. Every other refusal of an
#: effect is an answer about the ledger's state at that moment, and is kept.
NOT_KEPT = frozenset({ErrorCode.INVALID_INPUT, ErrorCode.FORBIDDEN, ErrorCode.IDEMPOTENCY_KEY_REUSED})

#: How every stored refusal starts (jsonb prints ``{"key": value}``): a result never
#: has a lone ``refusal`` member.
_REFUSAL_PREFIX = '{"refusal": '


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
        # No RELEASE on success: COMMIT ends the savepoint with the transaction.
        await conn.execute("SAVEPOINT effect")
        try:
            result = await effect(conn)
        except DomainError as error:
            if error.code in NOT_KEPT:
                raise
            await conn.execute("ROLLBACK TO SAVEPOINT effect")
            await conn.execute(_KEEP_RESPONSE, principal, key, operation, digest, _refusal_answer(error))
            refusal = error
        else:
            await conn.execute(_KEEP_RESPONSE, principal, key, operation, digest, adapter.dump_json(result).decode())
            return result
    raise refusal  # once the refusal is committed with its key


async def run_idempotent_call(
    pool: asyncpg.Pool, *, principal: str, operation: str, key: str, request: Mapping[str, Any],
    call: SqlCall[Result],
) -> Result:
    """``run_idempotent`` for an effect that is one function call: claim, effect and answer in one statement."""
    digest = request_hash(operation, request)
    with refusals(call.errors):  # a refusal the function raises: the statement failed, nothing is kept
        statement = keyed_call_statement(call.function)
        row = await pool.fetchrow(statement, principal, key, operation, digest, call.request_json())
    if not row["claimed"]:
        return call.decode(_replayable(row["response"], row["stored_request_hash"], digest))
    return call.decode(row["response"])  # a refusal the function answered is kept, and raised here


def _refusal_answer(refusal: DomainError) -> str:
    answer = {"refusal": {"code": refusal.code.value, "message": refusal.message, "field": refusal.field}}
    return orjson.dumps(answer).decode()


def _replayable(response: str | None, stored_hash: bytes | None, digest: bytes) -> str:
    """The stored answer of a key used before, if it was used for this very request; a refusal is raised."""
    if response is None or stored_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotencyKey was already used for a different request",
            field="idempotencyKey",
        )
    if response.startswith(_REFUSAL_PREFIX):
        stored = orjson.loads(response)
        refusal = stored["refusal"] if len(stored) == 1 else None
        if isinstance(refusal, dict):  # a function's refusal (a reason) is SqlCall.decode's to raise
            raise DomainError(ErrorCode(refusal["code"]), refusal["message"], field=refusal["field"])
    return response
