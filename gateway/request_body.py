"""The one strict reader of GraphQL request bodies (ADR 016).

Every POST body, every GET query string and every item of a batch goes through
here before anything runs, on the compiled fast path and in the view alike. A body
that is not a well-formed GraphQL-over-HTTP request is refused with a
:class:`BadRequest` that names what is wrong, never a Python exception's text:

- JSON is read by ``orjson``: strict UTF-8 (no lone surrogates), no ``NaN``, nesting
  at most 1,024 deep, and a number too large for a double is refused instead of
  being turned into a 5,000-digit ``int`` (which Python then cannot print).
- A request is an object; a batch is a non-empty array of objects. ``query`` and
  ``operationName`` are strings (or null), ``variables`` and ``extensions`` objects
  (or null).
- No object names a key twice (``refuse_duplicate_keys``): readers disagree on which wins.
- No string anywhere in ``variables`` or ``extensions`` holds a NUL character:
  PostgreSQL cannot store one in text, and nothing in this API has a use for it.
- A subscription comes over WebSocket (or a streaming transport, if one is enabled),
  not as a plain request: it was executed as a query and crashed in its resolver.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol

#: The code of a request the server could not read as GraphQL over HTTP.
BAD_REQUEST = "BAD_REQUEST"
#: The code of a readable request whose input values are refused (NUL characters).
BAD_USER_INPUT = "BAD_USER_INPUT"
NUL = "\x00"
#: A graphql-transport-ws operation id's length in UTF-8 (clients send UUIDs, 36).
MAX_OPERATION_ID_BYTES = 64
_FIELDS = {"query": str, "operationName": str, "variables": dict, "extensions": dict}
_KIND = {str: "a string", dict: "an object"}


class BadRequest(Exception):
    """A request refused before it runs: the status, a message for the client and a code."""

    def __init__(self, message: str, *, code: str = BAD_REQUEST, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status

    def as_response_body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}


def read_json(raw: bytes | str, *, what: str = "the request's JSON") -> Any:
    """``raw`` decoded as strict JSON, or :class:`BadRequest` saying where it stops being JSON."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Unable to parse {what}: {exc.msg} (line {exc.lineno} column {exc.colno})") from None
    refuse_duplicate_keys(raw, data, what=what)
    return data


def refuse_duplicate_keys(raw: bytes | str, data: object, *, what: str = "the request's JSON") -> None:
    """:class:`BadRequest` if an object in ``raw`` names a key twice (``data`` is ``raw`` decoded).

    JSON readers disagree on ``{"amount": "1", "amount": "1000"}`` (first or last wins),
    so a proxy or a log that reads one value while we act on the other must not be
    possible: such a body is refused. orjson cannot report duplicates, so the check
    counts: every key in the text is a string closing right before a colon, so the
    text has at least as many ``"`` + colon as the decoded objects have keys, and no
    more when no key repeats (and no string holds ``\":``). Only a body whose counts
    differ is read a second time, by ``json`` with a hook that sees every pair.
    """
    encoded = raw if isinstance(raw, bytes) else raw.encode()
    # The usual body (no space before a colon) is settled by a byte count, not a regex.
    if encoded.count(b'":') == _key_count(data) and _SPACED_KEY_END.search(encoded) is None:
        return
    text = raw.decode() if isinstance(raw, bytes) else raw
    try:
        json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as duplicate:
        raise BadRequest(
            f"{what[0].upper()}{what[1:]} names the key {_shown(duplicate.key)} twice in one object: "
            "send each key once"
        ) from None
    except ValueError:  # orjson read it: json's own limits (huge numbers) are not the client's problem
        return


_SPACED_KEY_END = re.compile(rb'"[ \t\r\n]+:')


def _shown(key: str) -> str:
    """The key as the answer quotes it: the client's own text, so short and printable."""
    return json.dumps(key[:40] + ("..." if len(key) > 40 else ""))  # ASCII: \u escapes for the rest


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _key_count(value: object) -> int:
    """How many keys the objects in ``value`` hold, all depths (iterative: depth is the reader's 1,024)."""
    count, stack = 0, [value]
    while stack:
        current = stack.pop()
        if type(current) is dict:
            count += len(current)
            current = current.values()
        elif type(current) is not list:
            continue
        for item in current:
            kind = type(item)
            if kind is dict or kind is list:
                stack.append(item)
    return count


def request_data(
    data: object, *, protocol: GraphQLRequestProtocol = "http"
) -> GraphQLRequestData | list[GraphQLRequestData]:
    """One request, or a batch of them, from a decoded body (or query string)."""
    if isinstance(data, list):
        if not data:
            raise BadRequest("A batch must hold at least one operation")
        return [_one(item, protocol=protocol, where=f"Batch item {index}") for index, item in enumerate(data)]
    return _one(data, protocol=protocol, where="The request")


def _one(item: object, *, protocol: GraphQLRequestProtocol, where: str) -> GraphQLRequestData:
    if not isinstance(item, dict):
        raise BadRequest(f"{where} must be a JSON object with a `query`, got {_json_kind(item)}")
    for name, kind in _FIELDS.items():
        value = item.get(name)
        if value is not None and not isinstance(value, kind):
            raise BadRequest(f"{where}: `{name}` must be {_KIND[kind]} or null, got {_json_kind(value)}")
    variables, extensions = item.get("variables"), item.get("extensions")
    if variables is not None:
        refuse_nul(variables)
    if extensions is not None and nul_path(extensions) is not None:
        # Extensions reach SQL too (a persisted query's hash): no NUL there either.
        raise BadRequest(f"{where}: `extensions` contain a NUL character (U+0000)")
    if protocol == "http" and _is_subscription(item.get("query"), item.get("operationName")):
        raise BadRequest(
            "Subscriptions are served over WebSocket (graphql-transport-ws) at this URL, not as an HTTP request"
        )
    return GraphQLRequestData(
        query=item.get("query"),
        variables=variables,
        operation_name=item.get("operationName"),
        extensions=item.get("extensions"),
        protocol=protocol,
    )


def _is_subscription(query: object, operation_name: object) -> bool:
    """Is this a subscription (which a plain request/response cannot carry)? Parsed only if it may be."""
    if not isinstance(query, str) or "subscription" not in query:
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False  # the view answers the syntax error itself
    operation = get_operation_ast(document, operation_name if isinstance(operation_name, str) else None)
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


def message_problem(message: object) -> str | None:
    """What makes a graphql-transport-ws message malformed (a short close reason), or None.

    The socket handler indexes messages as the protocol's shapes: a list, a null
    payload or a numeric ``query`` was a crash of the handler instead of a 4400 close.
    """
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be an object with a string `type`"
    if message["type"] == "subscribe":
        if not isinstance(message.get("id"), str) or not message["id"]:
            return "subscribe needs a non-empty string `id`"
        if len(message["id"].encode()) > MAX_OPERATION_ID_BYTES:
            # Strawberry quotes the id in a close reason (4409), which a frame caps at 123 bytes.
            return f"subscribe: `id` is at most {MAX_OPERATION_ID_BYTES} bytes"
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return "subscribe needs a `payload` object"
        # A persisted query (APQ) may name its document by hash alone, as over HTTP.
        query, extensions = payload.get("query"), payload.get("extensions")
        if not isinstance(query, str) and not (query is None and isinstance(extensions, dict)):
            return "subscribe needs a string `query` (or a persisted query's hash in `extensions`)"
        for name, kind in _FIELDS.items():
            value = payload.get(name)
            if value is not None and not isinstance(value, kind):
                return f"subscribe: `{name}` must be {_KIND[kind]} or null"
    elif message["type"] == "complete" and not isinstance(message.get("id"), str):
        return "complete needs a string `id`"
    return None


def refuse_nul(variables: Mapping[str, Any]) -> None:
    """:class:`BadRequest` (``BAD_USER_INPUT``) naming the first variable that holds a NUL character."""
    path = nul_path(variables)
    if path is not None:
        raise BadRequest(nul_message(path), code=BAD_USER_INPUT)


def nul_message(path: str) -> str:
    """The refusal of a variable holding a NUL character, the same on every transport."""
    return f"Variable '${path}' contains a NUL character (U+0000), which no input accepts"


def nul_path(variables: Mapping[str, Any]) -> str | None:
    """Where the first NUL character in ``variables`` is (``a.b[2]``), or None."""
    for path, value in _strings(variables, ""):
        if NUL in value:
            return path
    return None


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    # Iterative, not recursive: the depth of a value is bounded by the JSON reader, but a
    # value may also come from a WebSocket message, read by another library.
    stack: list[tuple[str, object]] = [(path, value)]
    while stack:
        where, current = stack.pop()
        if isinstance(current, str):
            yield where, current
        elif isinstance(current, Mapping):
            for key, item in current.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and NUL in key:
                    yield name, key
                stack.append((name, item))
        elif isinstance(current, list | tuple):
            stack.extend((f"{where}[{index}]", item) for index, item in enumerate(current))


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


__all__ = [
    "BAD_REQUEST",
    "BAD_USER_INPUT",
    "MAX_OPERATION_ID_BYTES",
    "BadRequest",
    "message_problem",
    "nul_message",
    "nul_path",
    "read_json",
    "refuse_duplicate_keys",
    "refuse_nul",
    "request_data",
]
