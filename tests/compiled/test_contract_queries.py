"""The contract's cross-service reads, as every kind of caller: both apps answer byte for byte alike.

Given the data set (tests/compiled/dataset.py), each case sends one contract document
with one set of variables as one viewer to both apps. Where the compiled path is meant
to answer (operators' pages and views, a merchant's own view, a consumer's own home),
the compiled app must also say it did, so that a comparison of the standard path with
itself cannot pass for a test of the compiled one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.compiled.dataset import VIEWERS, DataSet
from tests.compiled.differential import Pair
from tests.support import CONSUMER_HOME, MERCHANT_VIEW, MERCHANTS_PAGE

#: MerchantView's ``$id`` by case.
MERCHANT_IDS: dict[str, Callable[[DataSet], str]] = {
    "own merchant": lambda d: d.merchant.id,
    "another merchant": lambda d: d.other_merchant.id,
    "unknown id": lambda d: "mer_99999999999",
    "malformed id": lambda d: "merchant-1",
    "a consumer's id": lambda d: d.consumer.id,
}


async def _first_page_end(pair: Pair, data_set: DataSet) -> str:
    body = await pair.compare({"query": MERCHANTS_PAGE, "variables": {}}, data_set.tokens["operator"],
                              kind="MerchantsPage (finding the middle page)")
    cursor: str = body.json()["data"]["merchants"]["pageInfo"]["endCursor"]
    return cursor


#: MerchantsPage's ``$after`` by case (the middle page starts where the first ends).
PAGES = ("first page", "middle page", "last page", "bad cursor")

#: (document, case, viewer) answered by the compiled path; the rest may take either path.
MUST_COMPILE = {
    *(("MerchantsPage", page, "operator") for page in ("first page", "middle page", "last page")),
    *(("MerchantView", case, "operator") for case in ("own merchant", "another merchant")),
    ("MerchantView", "own merchant", "merchant itself"),
    ("ConsumerHome", "-", "consumer itself"),
    # A partner granted every scope (ADR 020): its view of either merchant, and its pages.
    *(("MerchantView", case, "partner with full consent") for case in ("own merchant", "another merchant")),
    *(("MerchantsPage", page, "partner with full consent") for page in ("first page", "last page")),
}


def _check_path(document: str, case: str, viewer: str, read_path: str | None) -> None:
    if (document, case, viewer) in MUST_COMPILE:
        assert read_path == "compiled", f"{document} ({case}) as {viewer} took the {read_path} path"


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_consumer_home(pair: Pair, data_set: DataSet, viewer: str) -> None:
    outcome = await pair.compare({"query": CONSUMER_HOME, "operationName": "ConsumerHome"},
                                 data_set.tokens[viewer], kind=f"ConsumerHome as {viewer}")
    _check_path("ConsumerHome", "-", viewer, outcome.read_path)
    if viewer == "consumer itself":  # the case is what it claims: a full home with data
        home = outcome.json()["data"]["me"]
        assert home["id"] == data_set.consumer.id
        assert home["payments"]["pageInfo"]["hasNextPage"] is True
        assert home["fundHolding"]["pendingUnits"] != "0.00"


@pytest.mark.parametrize("case", MERCHANT_IDS)
@pytest.mark.parametrize("viewer", VIEWERS)
async def test_merchant_view(pair: Pair, data_set: DataSet, viewer: str, case: str) -> None:
    variables = {"id": MERCHANT_IDS[case](data_set)}
    outcome = await pair.compare({"query": MERCHANT_VIEW, "variables": variables}, data_set.tokens[viewer],
                                 kind=f"MerchantView as {viewer}")
    _check_path("MerchantView", case, viewer, outcome.read_path)
    if (case, viewer) == ("own merchant", "merchant itself"):
        view = outcome.json()["data"]["merchant"]
        statuses = {edge["node"]["status"] for edge in view["receivedPayments"]["edges"]}
        assert statuses == {"HELD", "RELEASED", "REFUNDED", "PARTIALLY_REFUNDED"}
        assert view["receivedPayments"]["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("viewer", VIEWERS)
async def test_merchants_page(pair: Pair, data_set: DataSet, viewer: str, page: str) -> None:
    after: dict[str, Any] = {
        "first page": {},
        "middle page": {"after": await _first_page_end(pair, data_set)} if page == "middle page" else {},
        "last page": {"after": data_set.last_page_cursor},
        "bad cursor": {"after": "bm90LWEtY3Vyc29y"},
    }[page]
    outcome = await pair.compare({"query": MERCHANTS_PAGE, "variables": after}, data_set.tokens[viewer],
                                 kind=f"MerchantsPage as {viewer}")
    _check_path("MerchantsPage", page, viewer, outcome.read_path)
    if viewer == "operator" and page in ("middle page", "last page"):  # the cases are what they claim
        assert outcome.json()["data"]["merchants"]["pageInfo"]["hasNextPage"] is (page == "middle page")


MERCHANT_PROFILE = """query MerchantProfile($id: ID!) { merchant(id: $id) { financialProfile { refundRate disputeRate
  averageTicket { amount } repeatBuyerShare escrowHeld { amount } medianDaysToRelease ratings { count averageStars }
  monthlySales(months: 12) { month payments sales { amount } refunds { amount } netSales { amount } } } } }"""
CONSUMER_PROFILE = """query ConsumerProfile($id: ID!) { consumer(id: $id) { financialProfile { netWorth { amount }
  creditUtilization idleCashInFund cashFlow(days: 30) { inflow { amount } outflow { amount } }
  quarter: cashFlow(days: 90) { byKind { kind inflow { amount } outflow { amount } } }
  monthlyPayments(months: 12) { month payments amount { amount } } } } }"""


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_the_portraits(pair: Pair, data_set: DataSet, viewer: str) -> None:
    """The portrait compiles for the party itself and operators, with its arguments, and
    answers byte for byte as the standard path for every viewer."""
    merchant = await pair.compare({"query": MERCHANT_PROFILE, "variables": {"id": data_set.merchant.id}},
                                  data_set.tokens[viewer], kind=f"MerchantProfile as {viewer}")
    consumer = await pair.compare({"query": CONSUMER_PROFILE, "variables": {"id": data_set.consumer.id}},
                                  data_set.tokens[viewer], kind=f"ConsumerProfile as {viewer}")
    if viewer in ("operator", "merchant itself"):
        assert merchant.read_path == "compiled"
        assert sum(m["payments"] for m in merchant.json()["data"]["merchant"]["financialProfile"]["monthlySales"]) > 0
    if viewer in ("operator", "consumer itself"):
        assert consumer.read_path == "compiled"
        assert sum(m["payments"] for m in consumer.json()["data"]["consumer"]["financialProfile"]["monthlyPayments"]) > 0
