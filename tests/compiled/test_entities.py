"""Federation's ``_entities`` batches, as every kind of caller: both apps answer byte for byte alike.

A router resolves entities by sending their representations; the compiled path builds
the whole batch in its one statement (ADR 010). Each case is a batch of representations
asked with one selection per entity type (the Merchant one is MerchantView's); where the
compiled path is meant to answer, the compiled app must say it did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.compiled.dataset import VIEWERS, DataSet
from tests.compiled.differential import Pair
from tests.support import MERCHANT_VIEW, MERCHANTS_PAGE

#: MerchantView's selection of a merchant, as a router would ask for it on ``Merchant``.
MERCHANT_SELECTION = MERCHANT_VIEW[MERCHANT_VIEW.index("merchant(id: $id) {") + len("merchant(id: $id) {"):-4]
ENTITIES = (
    "query Entities($r: [_Any!]!) { _entities(representations: $r) { __typename"
    " ... on Merchant {" + MERCHANT_SELECTION + "}"
    " ... on Consumer { id name wallet { balance { amount } } }"
    " ... on Payment { id status amount { amount } buyer { id name } merchant { id name } } } }"
)

Representations = list[Any]


def _rep(type_name: str, id_: str) -> dict[str, str]:
    return {"__typename": type_name, "id": id_}


def _payment_id(data_set: DataSet) -> str:
    """The first payment of the data set: the consumer paid the merchant."""
    return next(i for i in data_set.ids if i.startswith("pay_"))


#: The batch by case.
CASES: dict[str, Callable[[DataSet], Representations]] = {
    "merchant": lambda d: [_rep("Merchant", d.merchant.id)],
    "consumer": lambda d: [_rep("Consumer", d.consumer.id)],
    "payment": lambda d: [_rep("Payment", _payment_id(d))],
    "mixed": lambda d: [_rep("Merchant", d.other_merchant.id), _rep("Payment", _payment_id(d)),
                        _rep("Consumer", d.consumer.id), _rep("Merchant", d.merchant.id)],
    "unknown ids": lambda d: [_rep("Merchant", "mer_99999999999"), _rep("Consumer", "con_99999999999"),
                              _rep("Payment", "pay_99999999999"), _rep("Merchant", "nope")],
    "ids of the wrong kind": lambda d: [
        _rep("Merchant", d.consumer.id), _rep("Consumer", d.merchant.id), _rep("Payment", d.merchant.id),
        # The prefix names the asked type, the row is of the other kind.
        _rep("Merchant", f"mer_{d.consumer.pk}"), _rep("Consumer", f"con_{d.merchant.pk}"),
    ],
    # Merchants only (a router's usual batch: one subquery over the ids), some naming nothing.
    "merchants, some unknown": lambda d: [
        _rep("Merchant", d.merchant.id), _rep("Merchant", "mer_99999999999"), _rep("Merchant", d.consumer.id),
        _rep("Merchant", f"mer_{d.consumer.pk}"), _rep("Merchant", d.other_merchant.id), _rep("Merchant", d.merchant.id),
    ],
    # A partner's router asking for the merchants that granted it access (one of them twice).
    "consenting merchants": lambda d: [_rep("Merchant", d.merchant.id), _rep("Merchant", d.other_merchant.id),
                                       _rep("Merchant", d.merchant.id)],
    "forbidden": lambda d: [_rep("Merchant", d.merchant.id), _rep("Consumer", d.other_consumer.id)],
    "malformed": lambda d: [_rep("Merchant", d.merchant.id), {"__typename": "Nope", "id": "x"},
                            {"__typename": "Merchant"}, 5],
    "empty batch": lambda d: [],
}

#: (case, viewer) the compiled path answers; the rest may take either path.
MUST_COMPILE = {
    *((case, "operator") for case in ("merchant", "consumer", "payment", "mixed", "unknown ids", "merchants, some unknown",
                                      "ids of the wrong kind", "forbidden", "empty batch")),
    ("merchant", "merchant itself"), ("consumer", "consumer itself"), ("payment", "consumer itself"),
    ("payment", "merchant itself"),
    # A partner granted every scope by both merchants (ADR 020); its payment reads stay standard.
    ("merchant", "partner with full consent"), ("consenting merchants", "partner with full consent"),
    ("consenting merchants", "operator"),
}


#: On the standard path a partner's batch whose one item is FORBIDDEN while another is still
#: loading is sometimes a 500 (graphql-core cancels the sibling's loader wait): the standard
#: path disagrees with itself there, so partners get one-item batches, and the batch of the
#: merchants that granted them access to the partner with full consent (no item FORBIDDEN).
_ONE_ITEM = ("merchant", "consumer", "payment", "empty batch")
_CALLS = [(viewer, case) for viewer in VIEWERS for case in CASES
          if not viewer.startswith("partner") or case in _ONE_ITEM
          or (viewer, case) == ("partner with full consent", "consenting merchants")]


@pytest.mark.parametrize(("viewer", "case"), _CALLS)
async def test_entities(pair: Pair, data_set: DataSet, viewer: str, case: str) -> None:
    body = {"query": ENTITIES, "variables": {"r": CASES[case](data_set)}}
    outcome = await pair.compare(body, data_set.tokens[viewer], kind=f"_entities as {viewer}")
    if (case, viewer) in MUST_COMPILE:
        assert outcome.read_path == "compiled", f"_entities ({case}) as {viewer} took the {outcome.read_path} path"
    if viewer == "operator":  # the cases are what they claim
        entities = outcome.json()["data"]["_entities"]
        if case in ("unknown ids", "ids of the wrong kind"):
            assert entities == [None] * len(CASES[case](data_set))
        if case == "merchants, some unknown":
            assert [e and e["id"] for e in entities] == [data_set.merchant.id, None, None, None,
                                                         data_set.other_merchant.id, data_set.merchant.id]
        if case == "mixed":
            assert [e["__typename"] for e in entities] == ["Merchant", "Payment", "Consumer", "Merchant"]
            assert entities[1]["buyer"]["id"] == data_set.consumer.id
    if (case, viewer) == ("forbidden", "consumer itself"):
        assert outcome.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_twenty_merchants_with_the_merchant_view(pair: Pair, data_set: DataSet) -> None:
    """A router's batch of a page of merchants, MerchantView's selection each, as an operator."""
    merchants = await _twenty_merchants(pair, data_set)
    outcome = await pair.compare({"query": ENTITIES, "variables": {"r": merchants}}, data_set.tokens["operator"],
                                 kind="_entities of 20 merchants as operator")
    assert outcome.read_path == "compiled"
    entities = outcome.json()["data"]["_entities"]
    assert [e["id"] for e in entities] == [r["id"] for r in merchants]
    assert all("wallet" in e and "receivedPayments" in e for e in entities)


async def test_more_entities_than_a_function_takes_arguments(pair: Pair, data_set: DataSet) -> None:
    """120 representations: past the 100 arguments of ``json_build_array``, still in order."""
    batch = await _twenty_merchants(pair, data_set) * 6
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Merchant { id name } } }"
    outcome = await pair.compare({"query": query, "variables": {"r": batch}}, data_set.tokens["operator"],
                                 kind="_entities of 120 merchants as operator")
    assert outcome.read_path == "compiled"
    assert [e["id"] for e in outcome.json()["data"]["_entities"]] == [r["id"] for r in batch]


async def _twenty_merchants(pair: Pair, data_set: DataSet) -> Representations:
    page = await pair.compare({"query": MERCHANTS_PAGE, "variables": {}}, data_set.tokens["operator"],
                              kind="MerchantsPage (the merchants to ask for)")
    merchants = [_rep("Merchant", edge["node"]["id"]) for edge in page.json()["data"]["merchants"]["edges"]]
    assert len(merchants) == 20
    return merchants
