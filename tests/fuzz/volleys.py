"""Sending generated requests in concurrent volleys, judging every answer, and watching the ledger.

A volley is a few dozen requests sent at once. Every answer is judged
(``judge.verdict``: no 5xx, no unmasked or internal text). When every request of a
volley was refused (a 4xx, a request error, a query, or mutations that all answered
with ``userErrors`` or null), the ledger must be exactly as it was before the volley:
a refused request moves no money.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from tests.fuzz.judge import is_refusal, verdict

ROLES = ("anonymous", "consumer", "merchant", "partner", "operator")


@dataclass(frozen=True)
class Roles:
    tokens: dict[str, str | None]
    #: Real ids of the fuzz's parties and payment: generated values sometimes hit them.
    ids: list[str]


@dataclass(frozen=True)
class Request:
    role: str
    #: A raw POST body, or None for a GET with ``params``.
    body: bytes | None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: May it move money if it succeeds (a mutation, or a body we cannot tell)?
    mutation: bool = True

    def describe(self) -> str:
        shown = repr(self.body[:400]) if self.body is not None else f"GET {str(self.params)[:400]}"
        return f"{self.role}: {shown}"


class Tally:
    """Requests per role and HTTP status, over the whole session (printed in the summary)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, int]] = Counter()

    def count(self, role: str, status: int) -> None:
        self.counts[(role, status)] += 1

    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        if not self.counts:
            return []
        lines = []
        for role in ROLES:
            statuses = sorted((status, n) for (r, status), n in self.counts.items() if r == role)
            total = sum(n for _, n in statuses)
            lines.append(f"{role:>9}: {total:>6} requests  " + "  ".join(f"{s}: {n}" for s, n in statuses))
        lines.append(f"{'all':>9}: {self.total():>6} requests")
        return lines


TALLY = Tally()


async def ledger_snapshot(pool: asyncpg.Pool) -> tuple[Any, ...]:
    """The ledger's size and its money in motion, and the wallets: what a refused request leaves alone."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM payments.postings) AS postings,"
            " (SELECT coalesce(sum(abs(amount)), 0) FROM payments.postings) AS moved,"
            " (SELECT coalesce(sum(balance), 0) FROM payments.accounts WHERE kind = 'WALLET') AS wallets,"
            " (SELECT count(*) FROM payments.payments) AS payments"
        )
    return tuple(row)


async def _send(http: httpx.AsyncClient, roles: Roles, request: Request) -> httpx.Response:
    token = roles.tokens[request.role]
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **request.headers}
    if request.body is None:
        return await http.get("/graphql", params=request.params, headers=headers)
    headers.setdefault("Content-Type", "application/json")
    return await http.post("/graphql", content=request.body, headers=headers)


async def volley(http: httpx.AsyncClient, roles: Roles, ledger: asyncpg.Pool, requests: list[Request]) -> None:
    before = await ledger_snapshot(ledger)
    responses = await asyncio.gather(*(_send(http, roles, request) for request in requests))
    failures = []
    for request, response in zip(requests, responses, strict=True):
        TALLY.count(request.role, response.status_code)
        problem = verdict(response)
        if problem is not None:
            failures.append(f"{request.describe()}\n  -> {problem}")
    assert not failures, "\n".join(failures)
    if all(is_refusal(response, mutation=request.mutation) for request, response in zip(requests, responses, strict=True)):
        after = await ledger_snapshot(ledger)
        assert after == before, "refused requests changed the ledger:\n" + "\n".join(r.describe() for r in requests)
