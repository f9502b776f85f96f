"""The measured reads, one class per contract query, each speaking to one kind of server.

A server kind (``Dialect``) is how the same read is asked: ``graphql`` (fingraph, either
executor: CONTRACT.md's document as written), ``floor`` (``bench/floor.py``: one endpoint
per query, the variables only) or ``postgraphile`` (``bench/postgraphile.py``'s mapped
document, the party chosen by a variable since PostGraphile has no token here).

- ``MerchantsPage`` (operator): each client walks the merchant list by cursor, and starts
  over at the end;
- ``ConsumerHome`` (``me``): each client signs in as different consumers in turn;
- ``MerchantView`` (operator): the clients rotate over the merchant ids.

Fingraph only (``FINGRAPH_READS``): MerchantView as a partner every merchant granted every
scope, and ``_entities`` of 20 merchants with MerchantView's selection, as a federation
router asks, rotating over the merchants 20 at a time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bench import postgraphile
from bench.scenarios import CONSUMER_HOME, ENTITIES, ENTITIES_BATCH, MERCHANT_VIEW, MERCHANTS_PAGE, graphql_problem
from services.kernel.ids import encode_id


class Dialect(Enum):
    GRAPHQL = "graphql"
    FLOOR = "floor"
    POSTGRAPHILE = "postgraphile"


@dataclass(frozen=True)
class ReadContext:
    """What every read needs: tokens, parties, and the constants PostGraphile takes as variables."""

    operator_token: str
    consumers: list[tuple[int, str]]  # (primary key, token)
    merchants: list[int]
    fund_id: int
    today: str
    #: A partner every merchant granted every scope.
    partner_token: str = ""


def _top(body: Any) -> Any:
    """The one root field's value (``merchants``, ``me``, ``allParties``, ``partyById``...)."""
    return next(iter(body["data"].values()))


class _Read:
    name = ""
    #: The document's operation name, when the scenario's name is not it.
    operation = ""
    floor_path = ""
    document = ""
    peer_document = ""

    def __init__(self, dialect: Dialect, context: ReadContext, concurrency: int) -> None:
        self.dialect = dialect
        self.context = context
        self.concurrency = concurrency
        self.path = self.floor_path if dialect is Dialect.FLOOR else "/graphql"
        self.operator = {"Authorization": f"Bearer {context.operator_token}"}

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        raise NotImplementedError

    def body(self, variables: dict[str, Any], peer_variables: dict[str, Any]) -> dict[str, Any]:
        if self.dialect is Dialect.FLOOR:
            return {"variables": variables}
        if self.dialect is Dialect.POSTGRAPHILE:
            return {"query": self.peer_document, "variables": peer_variables}
        return {"query": self.document, "operationName": self.operation or self.name, "variables": variables}

    def check(self, client: int, status: int, body: Any) -> str | None:
        problem = graphql_problem(status, body)
        if problem is None and _top(body) is None:
            problem = f"{self.name}: null answer"
        return problem


class MerchantsPageRead(_Read):
    name = "MerchantsPage"
    floor_path = "/merchants-page"
    document = MERCHANTS_PAGE
    peer_document = postgraphile.MERCHANTS_PAGE

    def __init__(self, dialect: Dialect, context: ReadContext, concurrency: int) -> None:
        super().__init__(dialect, context, concurrency)
        self.cursors: list[str | None] = [None] * concurrency

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        after = self.cursors[client]
        return self.body({"after": after}, {"after": after, "fund": self.context.fund_id}), self.operator

    def check(self, client: int, status: int, body: Any) -> str | None:
        problem = super().check(client, status, body)
        if problem:
            return problem
        page = _top(body)
        if not page["edges"]:
            return "an empty page of merchants"
        self.cursors[client] = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
        return None


class ConsumerHomeRead(_Read):
    name = "ConsumerHome"
    floor_path = "/consumer-home"
    document = CONSUMER_HOME
    peer_document = postgraphile.CONSUMER_HOME

    def __init__(self, dialect: Dialect, context: ReadContext, concurrency: int) -> None:
        super().__init__(dialect, context, concurrency)
        self.turns = [itertools.count() for _ in range(concurrency)]

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        consumers = self.context.consumers
        pk, token = consumers[(client + self.concurrency * next(self.turns[client])) % len(consumers)]
        peer = {"id": str(pk), "fund": self.context.fund_id, "today": self.context.today}
        headers = {} if self.dialect is Dialect.POSTGRAPHILE else {"Authorization": f"Bearer {token}"}
        return self.body({}, peer), headers


class MerchantViewRead(_Read):
    name = "MerchantView"
    floor_path = "/merchant-view"
    document = MERCHANT_VIEW
    peer_document = postgraphile.MERCHANT_VIEW

    def __init__(self, dialect: Dialect, context: ReadContext, concurrency: int) -> None:
        super().__init__(dialect, context, concurrency)
        self.sequence = itertools.count()

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        pk = self.context.merchants[next(self.sequence) % len(self.context.merchants)]
        peer = {"id": str(pk), "fund": self.context.fund_id, "today": self.context.today}
        return self.body({"id": encode_id("Merchant", pk)}, peer), self.operator


class PartnerMerchantViewRead(MerchantViewRead):
    """MerchantView as a partner (its grants filter what it reads, its reads are logged)."""

    name = "MerchantView as partner"
    operation = "MerchantView"

    def __init__(self, dialect: Dialect, context: ReadContext, concurrency: int) -> None:
        super().__init__(dialect, context, concurrency)
        self.operator = {"Authorization": f"Bearer {context.partner_token}"}


class EntitiesRead(_Read):
    """A router's batch: ``_entities`` of ``ENTITIES_BATCH`` merchants, MerchantView's selection each."""

    name = f"_entities x{ENTITIES_BATCH} MerchantView"
    document = ENTITIES

    def __init__(self, dialect: Dialect, context: ReadContext, concurrency: int) -> None:
        super().__init__(dialect, context, concurrency)
        self.sequence = itertools.count()

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        merchants = self.context.merchants
        start = next(self.sequence) * ENTITIES_BATCH
        batch = [{"__typename": "Merchant", "id": encode_id("Merchant", merchants[(start + n) % len(merchants)])}
                 for n in range(ENTITIES_BATCH)]
        return {"query": self.document, "variables": {"r": batch}}, self.operator

    def check(self, client: int, status: int, body: Any) -> str | None:
        problem = graphql_problem(status, body)
        if problem is None and sum(e is not None for e in body["data"]["_entities"]) != ENTITIES_BATCH:
            problem = f"{self.name}: fewer than {ENTITIES_BATCH} merchants"
        return problem


class DriverCeiling:
    """POST ``/noop`` of the floor: the req/s the load driver reaches when the server does nothing."""

    name = "driver ceiling (sql-floor /noop)"
    path = "/noop"

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        return {}, {}

    def check(self, client: int, status: int, body: Any) -> str | None:
        return None if status == 200 and body == {"data": {"noop": True}} else f"HTTP {status}: {body!r}"[:300]


READS: tuple[type[_Read], ...] = (MerchantsPageRead, ConsumerHomeRead, MerchantViewRead)
#: Reads only fingraph serves (no floor or PostGraphile counterpart): measured on ``ours`` and ``ours-standard``.
FINGRAPH_READS: tuple[type[_Read], ...] = (PartnerMerchantViewRead, EntitiesRead)


async def sample_answers(base_url: str, dialect: Dialect, context: ReadContext, samples: int = 3) -> dict[str, Any]:
    """The parsed answers of a few requests of every read (3 pages, 3 consumers, 3 merchants), in order.

    Sent one at a time by one client, so two servers over the same data must answer
    the same list: ``ours-standard``'s is the reference the floor (and ``ours``) must equal.
    """
    import httpx

    answers: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        for read_class in READS:
            read = read_class(dialect, context, concurrency=1)
            found = []
            for _ in range(samples):
                body, headers = read.next_request(0)
                response = await http.post(read.path, json=body, headers=headers)
                parsed = response.json()
                found.append({"status": response.status_code, "body": parsed})
                read.check(0, response.status_code, parsed)  # follows the cursor of MerchantsPage
            answers[read.name] = found
    return answers


def differences(reference: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Where ``other``'s sample answers differ from ``reference``'s (empty: identical JSON)."""
    found = []
    for name, expected in reference.items():
        for number, (want, got) in enumerate(zip(expected, other.get(name, []), strict=False)):
            if want != got:
                found.append(f"{name} #{number}: expected {str(want)[:400]} got {str(got)[:400]}")
        if len(other.get(name, [])) != len(expected):
            found.append(f"{name}: {len(other.get(name, []))} answers instead of {len(expected)}")
    return found
