"""Effects PostgreSQL runs as one function call: ``function(request jsonb) -> jsonb``.

A service whose operation is worth one round trip (a WALLET payment: docs/adr/012)
writes it as a PL/pgSQL function and describes a call of it with ``SqlCall``: the
function, its JSON request, the type its JSON answer decodes to, and the DomainError
each refusal stands for. ``run`` sends it on a connection (inside or outside a
transaction); the gateway's idempotency keys wrap the same call in the same statement.

A refusal is ``RAISE EXCEPTION USING ERRCODE = 'FG001', MESSAGE = '<reason>'``: the
statement fails, so the function's writes are rolled back with it, and the reason
names a DomainError the Python side builds (its messages stay in one place). A function
an idempotency key wraps answers its refusals instead (``{"refusal": "<reason>"}``, its
writes rolled back by its own EXCEPTION block), so that the key's statement can keep
them (docs/adr/003-idempotency.md); ``decode`` raises the same DomainError for either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import asyncpg
import orjson
from pydantic import TypeAdapter

from services.kernel.errors import DomainError

Result = TypeVar("Result")
Decoded = TypeVar("Decoded", covariant=True)

#: The SQLSTATE of a domain rule's refusal inside a function (class FG: fingraph).
REFUSAL_SQLSTATE = "FG001"

#: How a refusal answered as a value starts (jsonb prints ``{"refusal": "<reason>"}``).
_REFUSAL_ANSWER = '{"refusal": '

_FUNCTION_NAME = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")

_adapters: dict[Any, TypeAdapter[Any]] = {}


def json_adapter(result_type: type[Result]) -> TypeAdapter[Result]:
    """The one pydantic adapter per type that stored responses are written and read with."""
    adapter = _adapters.get(result_type)
    if adapter is None:
        adapter = _adapters[result_type] = TypeAdapter(result_type)
    return adapter


@contextmanager
def refusals(errors: Mapping[str, Callable[[], DomainError]]) -> Iterator[None]:
    """Turn a function's FG001 refusal into the DomainError its reason names."""
    try:
        yield
    except asyncpg.PostgresError as error:
        if getattr(error, "sqlstate", None) != REFUSAL_SQLSTATE:
            raise
        raise _refusal(errors, getattr(error, "message", "")) from None


def _refusal(errors: Mapping[str, Callable[[], DomainError]], reason: str) -> DomainError:
    if reason not in errors:
        raise RuntimeError(f"unknown refusal {reason!r} from PostgreSQL")
    return errors[reason]()


@dataclass(frozen=True, slots=True)
class SqlCall(Generic[Decoded]):
    """One call of ``function(request jsonb) -> jsonb`` and how to read its answer."""

    #: Schema-qualified, e.g. ``payments.pay_from_wallet``; a constant of the service, never input.
    function: str
    request: Mapping[str, Any]
    result_type: type[Decoded]
    #: Refusal reason -> the DomainError it means.
    errors: Mapping[str, Callable[[], DomainError]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The name is spliced into statements' text (a value cannot name a function), so
        # only a plain schema.function identifier is accepted.
        if not _FUNCTION_NAME.fullmatch(self.function):
            raise ValueError(f"not a schema-qualified function name: {self.function!r}")

    def statement(self) -> str:
        """The call as a statement of its own: ``SELECT function($1::jsonb)``."""
        return f"SELECT {self.function}($1::jsonb)"

    def request_json(self) -> str:
        return orjson.dumps(self.request).decode()

    def decode(self, response: str) -> Decoded:
        """The answer as ``result_type``; a refusal answer raises the DomainError its reason names."""
        if response.startswith(_REFUSAL_ANSWER):
            answer = orjson.loads(response)
            if len(answer) == 1 and isinstance(answer["refusal"], str):
                raise _refusal(self.errors, answer["refusal"])
        return json_adapter(self.result_type).validate_json(response)


async def run(conn: asyncpg.Connection, call: SqlCall[Result]) -> Result:
    """Send ``call`` on ``conn`` (within the caller's transaction, if there is one); one round trip."""
    with refusals(call.errors):
        response = await conn.fetchval(call.statement(), call.request_json())
    return call.decode(response)
