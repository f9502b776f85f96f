"""A partner's reads on both paths: the same bytes and the same rows in the merchants' access logs.

Given the data set's partners (tests/compiled/dataset.py: one granted every scope by two
merchants, one with partial scopes, one without consent), each case sends one request
as a partner to both apps; the answers must be byte-identical (``Pair.compare``), and then
the standard app and the compiled app (warm: the compiled path answers) each answer it
once more with the same request id, and the access-log rows each wrote must be the same
rows in the same order (id and time aside). Where the compiled path is meant to answer,
it must also say it did, and the rows must not be empty: a comparison of two empty logs
cannot pass for one of the log. A revocation holds on the compiled path from the next
request on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from gateway.auth import issue_token
from services.kernel.principal import Principal, Role
from tests.compiled.dataset import ALL_SCOPES, DataSet
from tests.compiled.differential import Pair, logged
from tests.conftest import SECRET, Server
from tests.e2e.test_partners import CREATE_PARTNER, GRANT, REVOKE
from tests.support import MERCHANT_VIEW, MERCHANTS_PAGE, Api

_FULL, _PARTIAL, _NONE = "partner with full consent", "partner with partial scopes", "partner without consent"

_FRAGMENTS = """query Fragments($id: ID!) { merchant(id: $id) { ...Money a: wallet { balance { amount } }
  ... on Merchant { creditProfile { score } } b: name } }
fragment Money on Merchant { fundHolding { units } wallet { balance { currency } } creditLine { apr } }"""
_ENTITIES = ("query Entities($r: [_Any!]!) { _entities(representations: $r) { ... on Merchant { id name"
             " wallet { balance { amount } } creditLine { limit { amount } } fundHolding { units } } } }")
_NODE = "query Node($id: ID!) { node(id: $id) { id ... on Merchant { escrowHeld { amount } creditProfile { score } } } }"
_LISTED_ONLY = "query Listed { merchants(first: 5) { pageInfo { hasNextPage } } }"
#: A merchant read again below its own payments: logged by the standard path, not compiled.
_NESTED = ("query Nested($id: ID!) { merchant(id: $id) { receivedPayments(first: 2) { edges { node {"
           " merchant { wallet { balance { amount } } } } } } } }")


def _merchants(d: DataSet) -> list[dict[str, str]]:
    return [{"__typename": "Merchant", "id": i} for i in (d.merchant.id, d.other_merchant.id, "mer_x", d.merchant.id)]


#: Case -> (viewer, document, variables); a case in MUST_COMPILE must take the compiled path.
CASES: dict[str, tuple[str, str, Callable[[DataSet], dict[str, Any]]]] = {
    "MerchantView": (_FULL, MERCHANT_VIEW, lambda d: {"id": d.merchant.id}),
    "MerchantView, the other merchant": (_FULL, MERCHANT_VIEW, lambda d: {"id": d.other_merchant.id}),
    "MerchantsPage": (_FULL, MERCHANTS_PAGE, lambda d: {}),
    "fragments and aliases": (_FULL, _FRAGMENTS, lambda d: {"id": d.merchant.id}),
    "node": (_FULL, _NODE, lambda d: {"id": d.merchant.id}),
    "_entities of merchants": (_FULL, _ENTITIES, lambda d: {"r": _merchants(d)}),
    "a page without its merchants' fields": (_FULL, _LISTED_ONLY, lambda d: {}),
    "a merchant below its payments": (_FULL, _NESTED, lambda d: {"id": d.merchant.id}),
    "MerchantView, a scope the token lacks": (_PARTIAL, MERCHANT_VIEW, lambda d: {"id": d.merchant.id}),
    "MerchantsPage, partial scopes": (_PARTIAL, MERCHANTS_PAGE, lambda d: {}),
    "MerchantView without consent": (_NONE, MERCHANT_VIEW, lambda d: {"id": d.merchant.id}),
}
MUST_COMPILE = {"MerchantView", "MerchantView, the other merchant", "MerchantsPage", "fragments and aliases", "node",
                "_entities of merchants", "a page without its merchants' fields"}

_request_ids = itertools.count(1)


@pytest.mark.parametrize("case", CASES)
async def test_a_partner_reads_and_is_logged_alike(pair: Pair, data_set: DataSet, database_url: str,
                                                   case: str) -> None:
    viewer, document, variables = CASES[case]
    body = {"query": document, "variables": variables(data_set)}
    token = data_set.tokens[viewer]
    assert token is not None
    outcome = await pair.compare(body, token, kind=f"partner reads ({viewer})")
    if case in MUST_COMPILE:
        assert outcome.read_path == "compiled", f"{case} took the {outcome.read_path} path"

    request_id = f"partner-reads-{next(_request_ids)}"
    standard, _ = await logged(database_url, pair.standard, body, token, request_id)
    compiled, read_path = await logged(database_url, pair.compiled, body, token, request_id)
    assert read_path == outcome.read_path
    assert compiled == standard
    if case in MUST_COMPILE:
        assert compiled, "the compiled answer wrote no access-log rows"


async def test_merchant_view_logs_each_scope_once_per_merchant(pair: Pair, data_set: DataSet,
                                                                database_url: str) -> None:
    """What the log says of a MerchantView on the compiled path, row by row (the contract's read)."""
    token = data_set.tokens[_FULL]
    assert token is not None
    body = {"query": MERCHANT_VIEW, "variables": {"id": data_set.merchant.id}}
    await pair.compare(body, token, kind=f"partner reads ({_FULL})")
    rows, read_path = await logged(database_url, pair.compiled, body, token, "partner-reads-view")
    assert read_path == "compiled"
    merchant = data_set.merchant.pk
    assert [(m, scope, fields) for _, m, scope, fields, _ in rows] == [
        (merchant, "public", ("Merchant",)),
        (merchant, "payments:read", ("Merchant.wallet", "Merchant.escrowHeld", "Merchant.receivedPayments")),
        (merchant, "credit:read", ("Merchant.creditProfile", "Merchant.creditLine")),
        (merchant, "funds:read", ("Merchant.fundHolding",)),
    ]


async def test_a_revocation_holds_on_the_compiled_path_from_the_next_request(
    pair: Pair, data_set: DataSet, database_url: str, apps: tuple[Server, Server]
) -> None:
    """A partner the merchant just revoked is FORBIDDEN on its very next request, compiled app included."""
    operator = data_set.tokens["operator"]
    assert operator is not None
    api = Api(http=pair.standard, server_token=lambda _role, _party: operator)
    created = await api.gql(CREATE_PARTNER, api.operator, n="Partner (revoked)")
    partner_id: str = created["createPartner"]["partner"]["id"]
    await api.gql(GRANT, data_set.merchant.token, p=partner_id, s=ALL_SCOPES)
    principal = Principal(Role.PARTNER, partner_id=int(partner_id.split("_")[1]), scopes=frozenset(ALL_SCOPES))
    # As of the apps' clock (earlier tests may have moved it years past START).
    token = issue_token(principal, secret=SECRET, now=apps[1].clock.now(), ttl=timedelta(days=3650))
    body = {"query": MERCHANT_VIEW, "variables": {"id": data_set.merchant.id}}
    granted = await pair.compare(body, token, kind="partner reads (revoked)")
    assert granted.read_path == "compiled" and granted.json()["data"]["merchant"]["wallet"] is not None

    revoked = await api.gql(REVOKE, data_set.merchant.token, p=partner_id)
    assert revoked["revokePartnerAccess"]["userErrors"] == []

    rows, read_path = await logged(database_url, pair.compiled, body, token, "partner-reads-revoked")
    assert rows == [] and read_path == "standard"
    after = await pair.compare(body, token, kind="partner reads (revoked)")
    assert after.json()["data"] == {"merchant": None}
    assert after.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
