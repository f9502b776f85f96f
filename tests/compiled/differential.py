"""Send one request to both apps and hold them to the same answer, byte for byte.

The two apps share one database and one clock; they differ only in
``Settings.compiled_reads``. Everything else a response could vary in is pinned by the
harness: the ``X-Request-ID`` (masked internal errors quote it) is the same for both,
and nothing writes between the requests of one comparison. One thing the standard path
does not fix itself is the order of ``errors`` (see ``same_but_error_order``): bodies
that differ only in it count as the same, and the summary says how often that happened.

The compiled app sees each request twice: the compiled path answers only documents the
standard path has validated once in that process (``CompiledReads.validated``), so the
first sight of a document is always standard there, and the second is the one whose
``Fingraph-Read-Path`` header says which executor answered. Both must match.

A partner's request also writes the merchants' access log: ``logged`` sends it once more
to one app and returns the rows that request wrote, for a test to compare between apps.
"""

from __future__ import annotations

import difflib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

#: The header the gateway sets on every /graphql response (ADR 010).
READ_PATH = "Fingraph-Read-Path"

_request_ids = itertools.count(1)

#: One partner access-log row without its id and time: (partner, merchant, scope, fields, request id).
LogRow = tuple[int, int, str, tuple[str, ...], str]


@dataclass(frozen=True)
class Outcome:
    """What the compiled app said about a request both apps answered alike."""

    status: int
    #: ``compiled``, ``standard``, or None when the header is missing.
    read_path: str | None
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ReadPathTally:
    """How often the compiled app answered ``compiled``, per kind of request (for the summary)."""

    counts: dict[str, Counter[str | None]] = field(default_factory=dict)

    def record(self, kind: str, read_path: str | None) -> None:
        self.counts.setdefault(kind, Counter())[read_path] += 1

    def lines(self) -> list[str]:
        lines = []
        for kind, counter in sorted(self.counts.items()):
            total = sum(counter.values())
            compiled = counter["compiled"]
            missing = f", header missing {counter[None]}" if counter[None] else ""
            lines.append(f"{kind}: {compiled}/{total} compiled ({100 * compiled / total:.0f}%){missing}")
        return lines


#: Filled by every comparison of the session; printed by ``conftest.pytest_terminal_summary``.
TALLY = ReadPathTally()


@dataclass(frozen=True)
class Pair:
    """HTTP clients of the app with the compiled path and of the app without it."""

    compiled: httpx.AsyncClient
    standard: httpx.AsyncClient

    async def compare(
        self, body: dict[str, Any], token: str | None, *, kind: str, method: str = "POST",
        headers: dict[str, str] | None = None,
    ) -> Outcome:
        """Send ``body`` as ``token`` to both apps; fail unless status, content type and body are identical.

        ``method`` GET sends the body as query parameters (``variables`` as JSON), as
        GraphQL over HTTP says; ``headers`` are sent as given (``Accept``, say).
        """
        sent = {**(headers or {}), "X-Request-ID": f"differential-{next(_request_ids)}"}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if method == "GET":
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
            options: dict[str, Any] = {"params": params}
        else:
            options = {"json": body}
        first_sight = await self.compiled.request(method, "/graphql", headers=sent, **options)
        expected = await self.standard.request(method, "/graphql", headers=sent, **options)
        warm = await self.compiled.request(method, "/graphql", headers=sent, **options)
        for name, actual in (("first sight", first_sight), ("warm", warm)):
            mismatch = _mismatch(expected, actual)
            if mismatch:
                raise AssertionError(
                    f"compiled app ({name}, read path {actual.headers.get(READ_PATH)}) differs from the standard app\n"
                    f"{method} {json.dumps(body)}\nheaders: {_shown(sent)}\n{mismatch}"
                )
        read_path = warm.headers.get(READ_PATH)
        TALLY.record(kind, read_path)
        if expected.content != warm.content or expected.content != first_sight.content:
            TALLY.record("errors in another order (standard path's own nondeterminism)", read_path)
        return Outcome(status=warm.status_code, read_path=read_path, body=warm.content)


def _shown(headers: dict[str, str]) -> dict[str, str]:
    """Headers for a failure message: the token's payload is long and says nothing the test name does not."""
    return {k: "Bearer ..." if k == "Authorization" else v for k, v in headers.items()}


def _mismatch(expected: httpx.Response, actual: httpx.Response) -> str:
    """'' when both responses agree, else a readable account of how they differ."""
    problems = []
    if expected.status_code != actual.status_code:
        problems.append(f"status: standard {expected.status_code}, compiled {actual.status_code}")
    if expected.headers.get("content-type") != actual.headers.get("content-type"):
        problems.append(
            f"content-type: standard {expected.headers.get('content-type')}, compiled {actual.headers.get('content-type')}"
        )
    if expected.content != actual.content and not same_but_error_order(expected.content, actual.content):
        problems.append("body (- standard, + compiled):\n" + body_diff(expected.content, actual.content))
    return "\n".join(problems)


def same_but_error_order(expected: bytes, actual: bytes) -> bool:
    """The same JSON but for the order of the ``errors`` list, which the standard path does not fix.

    graphql-core appends an error when its resolver fails, and resolvers of different
    fields wait on different loaders: the standard app disagrees with itself on the
    order from one run to the next. ``data``, every error and every key order must
    still be the same.
    """
    try:
        return _canonical(json.loads(expected)) == _canonical(json.loads(actual))
    except ValueError:
        return False


def _canonical(response: Any) -> str:
    if isinstance(response, list):  # a batch
        return json.dumps([_canonical(item) for item in response])
    if isinstance(response, dict) and isinstance(response.get("errors"), list):
        errors = sorted(json.dumps(error) for error in response["errors"])
        return json.dumps({**response, "errors": errors})
    return json.dumps(response)


def body_diff(expected: bytes, actual: bytes) -> str:
    """A unified diff of two bodies, pretty-printed when both are JSON (key order kept)."""
    lines = [_pretty(expected), _pretty(actual)]
    if lines[0] == lines[1]:
        # Same JSON, different bytes: whitespace, escaping or number spelling.
        lines = [expected.decode(errors="replace"), actual.decode(errors="replace")]
    diff = difflib.unified_diff(
        lines[0].splitlines(), lines[1].splitlines(), "standard", "compiled", lineterm="", n=4
    )
    return "\n".join(diff)


def _pretty(body: bytes) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body.decode(errors="replace")


async def logged(database_url: str, client: httpx.AsyncClient, body: dict[str, Any], token: str,
                  request_id: str) -> tuple[list[LogRow], str | None]:
    """The partner access-log rows one POST of ``body`` wrote, in the order written, and the
    path that answered it (the same ``request_id`` on both apps makes the rows comparable)."""
    conn = await asyncpg.connect(database_url)
    try:
        last = await conn.fetchval("SELECT coalesce(max(id), 0) FROM partners.access_log")
        response = await client.post("/graphql", json=body,
                                     headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id})
        rows = await conn.fetch(
            "SELECT partner_id, merchant_id, scope, fields, request_id FROM partners.access_log WHERE id > $1"
            " ORDER BY id", last,
        )
    finally:
        await conn.close()
    return ([(r["partner_id"], r["merchant_id"], r["scope"], tuple(r["fields"]), r["request_id"]) for r in rows],
            response.headers.get(READ_PATH))
