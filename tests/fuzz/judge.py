"""What every answer of the gateway must be, however hostile the request: the fuzz's verdicts.

An answer is acceptable when it is not a 5xx, its body is JSON (a GraphQL answer or a
list of them), and no error message carries internal text: an INTERNAL_SERVER_ERROR
only as the masked "Internal server error (request id ...)", never a Python exception's
or a driver's own words.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson

MASKED = re.compile(r"^Internal server error \(request id [0-9a-f]{16,}\)$")
#: Words of Python, asyncpg and PostgreSQL that a client must never read.
INTERNAL_TEXT = re.compile(
    "|".join([
        r"Traceback \(most recent call last\)", r"File \"/", r"object of type '", r"object has no attribute",
        r"object is not (subscriptable|iterable|callable)", r"has no len\(\)", r"unexpected keyword argument",
        r"missing \d+ required positional argument", r"NoneType", r"KeyError", r"TypeError", r"AttributeError",
        r"ValueError", r"RecursionError", r"OverflowError", r"sys\.set_int_max_str_digits", r"Exceeds the limit",
        r"asyncpg", r"invalid byte sequence for encoding", r"violates (check|not-null|unique) constraint",
        r"syntax error at or near", r"relation \"", r"SQLSTATE", r"Invalid isoformat string",
        r"can't compare offset-naive", r"date value out of range", r"list indices must be", r"string indices must be",
    ])
)


def verdict(response: httpx.Response) -> str | None:
    """None if ``response`` is acceptable, else what is wrong with it (for the failure report)."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return f"HTTP {response.status_code} with a body that is not JSON: {response.text[:300]}"
    for answer in body if isinstance(body, list) else [body]:
        problem = answer_problem(answer)
        if problem is not None:
            return f"HTTP {response.status_code}: {problem}"
    return None


def answer_problem(answer: Any) -> str | None:
    """What is wrong with one GraphQL answer (``{"data": ..., "errors": [...]}``), or None."""
    if not isinstance(answer, dict) or not ({"data", "errors"} & answer.keys()):
        return f"not a GraphQL answer: {str(answer)[:300]}"
    for error in answer.get("errors") or []:
        message = str(error.get("message", ""))
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_SERVER_ERROR" and not MASKED.match(message):
            return f"an unmasked internal error: {message[:300]}"
        if INTERNAL_TEXT.search(message):
            return f"internal text in an error: {message[:300]}"
    return None


def is_refusal(response: httpx.Response, *, mutation: bool = True) -> bool:
    """The request may not have moved money: a query, a 4xx, a request error, or every mutation refused."""
    if response.status_code >= 400 or not mutation:
        return True
    body = orjson.loads(response.content)
    return all(_refused(answer) for answer in (body if isinstance(body, list) else [body]))


def _refused(answer: dict[str, Any]) -> bool:
    data = answer.get("data")
    if not isinstance(data, dict):
        return True
    # A root field answered with a payload and no userErrors may have moved money.
    return all(value is None or (isinstance(value, dict) and bool(value.get("userErrors"))) for value in data.values())
