"""Every path to a Consumer, a Merchant or a Payment x every kind of principal -> allowed, or the right code.

Rows are (name, subject, document, expected); columns are principals. The rule is one
(services/kernel/access.py, ADR 015), so every path to an object must answer alike:
root fields, nested fields, `node`, `_entities` (federation is not a side door), and
both executors (the compiled read path and the standard one).

Relations in the world: `consumer` has paid `merchant` (each is the other's
counterparty); `other_consumer` and `other_merchant` are strangers to both; the
partners' grants come from `merchant`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from graphql import GraphQLObjectType

from gateway.auth import issue_token
from gateway.graphql_view import READ_PATH_HEADER
from schema import build_schema
from services.kernel.access import EXPOSURES
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, Server
from tests.support import Api, Party

OK = "ok"
UNAUTH, FORBID = "UNAUTHENTICATED", "FORBIDDEN"
PRINCIPALS = (
    "anonymous", "consumer", "other_consumer", "merchant", "other_merchant",
    "partner_payments", "partner_credit", "partner_funds", "partner_profile", "partner_without_consent", "operator",
)


@dataclass
class World:
    tokens: dict[str, str | None]
    consumer: Party
    merchant: Party
    payment_id: str


@pytest.fixture(scope="module")
async def world(server: Server, http: Any) -> World:
    api = Api(http=http, server_token=server.token)
    consumer, other_consumer = await api.consumer(balance="100.00"), await api.consumer("Han Meimei")
    merchant, other_merchant = await api.merchant(), await api.merchant("Other Shop")
    payment = (await api.pay(consumer, merchant, "10.00"))["payment"]
    tokens: dict[str, str | None] = {
        "anonymous": None, "consumer": consumer.token, "other_consumer": other_consumer.token,
        "merchant": merchant.token, "other_merchant": other_merchant.token, "operator": api.operator,
    }
    for label, scope, consent in [
        ("partner_payments", "payments:read", True), ("partner_credit", "credit:read", True),
        ("partner_funds", "funds:read", True), ("partner_profile", "profile:read", True),
        ("partner_without_consent", "payments:read", False),
    ]:
        data = await api.gql('mutation { createPartner(input: {name: "P"}) { partner { id } } }', api.operator)
        partner_id = data["createPartner"]["partner"]["id"]
        if consent:
            await api.gql(
                "mutation($p: ID!, $s: [String!]!) { grantPartnerAccess(input: {partnerId: $p, scopes: $s}) "
                "{ userErrors { code } } }", merchant.token, p=partner_id, s=[scope],
            )
        principal = Principal(Role.PARTNER, partner_id=int(partner_id.split("_")[1]), scopes=frozenset({scope}))
        tokens[label] = issue_token(principal, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1))
    return World(tokens=tokens, consumer=consumer, merchant=merchant, payment_id=payment["id"])


def expect(**overrides: str) -> dict[str, str]:
    """FORBIDDEN for everyone signed in, UNAUTHENTICATED for anonymous, unless overridden."""
    table = {p: FORBID for p in PRINCIPALS}
    table["anonymous"] = UNAUTH
    table.update(overrides)
    return table


MERCHANT_PUBLIC = expect(
    consumer=OK, other_consumer=OK, merchant=OK, other_merchant=OK, operator=OK,
    partner_payments=OK, partner_credit=OK, partner_funds=OK, partner_profile=OK,
)
MERCHANT_PAYMENTS = expect(merchant=OK, operator=OK, partner_payments=OK)
MERCHANT_CREDIT = expect(merchant=OK, operator=OK, partner_credit=OK)
MERCHANT_FUNDS = expect(merchant=OK, operator=OK, partner_funds=OK)
MERCHANT_PROFILE = expect(merchant=OK, operator=OK, partner_profile=OK)
#: A merchant's credit index is public to signed-in users (buyers pick sellers by it);
#: a partner needs the merchant's consent and credit:read.
MERCHANT_SCORE = expect(
    consumer=OK, other_consumer=OK, merchant=OK, other_merchant=OK, operator=OK, partner_credit=OK,
)
#: A consumer is reached (and its personal fields read) by itself, its counterparty and operators.
CONSUMER_PERSONAL = expect(consumer=OK, merchant=OK, operator=OK)
CONSUMER_PRIVATE = expect(consumer=OK, operator=OK)
ENTITY = '_entities(representations: [{__typename: "%s", id: $id}]) { ... on %s { %s } }'
#: Through a payment: who may not read the payment gets null, whatever is selected below it.
NO_PAYMENT = {"other_consumer": "NULL", "other_merchant": "NULL", "partner_credit": "NULL", "partner_funds": "NULL",
              "partner_profile": "NULL", "partner_without_consent": "NULL"}
PAYMENT_READERS = expect(consumer=OK, merchant=OK, operator=OK, partner_payments=OK, **NO_PAYMENT)
#: The buyer's personal fields through a payment: never to a partner, whatever its scopes.
BUYER_PERSONAL = expect(consumer=OK, merchant=OK, operator=OK, **NO_PAYMENT)
BUYER_PRIVATE = expect(consumer=OK, operator=OK, **NO_PAYMENT)
MERCHANT_OF_PAYMENT_PRIVATE = expect(merchant=OK, operator=OK, partner_payments=OK, **NO_PAYMENT)
RECEIVED_BUYER_ID = MERCHANT_PAYMENTS
RECEIVED_BUYER_NAME = expect(merchant=OK, operator=OK)


def _through(path: str, selection: str) -> str:
    """``selection`` on the object that ``path`` reaches (``%s`` marks where)."""
    return "query($id: ID!) { " + path % selection + " }"


#: Every way to a Consumer: (row name, subject of $id, path with %s for the consumer's selection).
CONSUMER_PATHS = [
    ("consumer", "consumer", "consumer(id: $id) { %s }"),
    ("node Consumer", "consumer", "node(id: $id) { ... on Consumer { %s } }"),
    ("_entities Consumer", "consumer", ENTITY % ("Consumer", "Consumer", "%s")),
    ("payment.buyer", "payment", "payment(id: $id) { buyer { %s } }"),
    ("node Payment.buyer", "payment", "node(id: $id) { ... on Payment { buyer { %s } } }"),
    ("_entities Payment.buyer", "payment", ENTITY % ("Payment", "Payment", "buyer { %s }")),
]
#: Every way to a Merchant but the list (``merchants`` rows are below).
MERCHANT_PATHS = [
    ("merchant", "merchant", "merchant(id: $id) { %s }"),
    ("node Merchant", "merchant", "node(id: $id) { ... on Merchant { %s } }"),
    ("_entities Merchant", "merchant", ENTITY % ("Merchant", "Merchant", "%s")),
    ("payment.merchant", "payment", "payment(id: $id) { merchant { %s } }"),
    ("node Payment.merchant", "payment", "node(id: $id) { ... on Payment { merchant { %s } } }"),
    ("_entities Payment.merchant", "payment", ENTITY % ("Payment", "Payment", "merchant { %s }")),
]


def _path_rows() -> list[tuple[str, str, str, dict[str, str]]]:
    rows = []
    for name, subject, path in CONSUMER_PATHS:
        via_payment = subject == "payment"
        for selection, expected in [
            ("id", PAYMENT_READERS if via_payment else CONSUMER_PERSONAL),
            ("name", BUYER_PERSONAL if via_payment else CONSUMER_PERSONAL),
            ("realNameVerified", BUYER_PERSONAL if via_payment else CONSUMER_PERSONAL),
            ("wallet { balance { amount } }", BUYER_PRIVATE if via_payment else CONSUMER_PRIVATE),
        ]:
            rows.append((f"{name} {{ {selection.split()[0]} }}", subject, _through(path, selection), expected))
    for name, subject, path in MERCHANT_PATHS:
        via_payment = subject == "payment"
        for selection, expected in [
            ("id", PAYMENT_READERS if via_payment else MERCHANT_PUBLIC),
            ("name certified", PAYMENT_READERS if via_payment else MERCHANT_PUBLIC),
            ("wallet { balance { amount } }", MERCHANT_OF_PAYMENT_PRIVATE if via_payment else MERCHANT_PAYMENTS),
        ]:
            rows.append((f"{name} {{ {selection.split()[0]} }}", subject, _through(path, selection), expected))
    return rows

ROWS: list[tuple[str, str, str, dict[str, str]]] = [
    ("merchant.name", "merchant", "query($id: ID!) { merchant(id: $id) { name } }", MERCHANT_PUBLIC),
    ("merchant.memberSince", "merchant", "query($id: ID!) { merchant(id: $id) { memberSince } }", MERCHANT_PUBLIC),
    ("merchant.wallet", "merchant", "query($id: ID!) { merchant(id: $id) { wallet { balance { amount } } } }", MERCHANT_PAYMENTS),
    ("merchant.escrowHeld", "merchant", "query($id: ID!) { merchant(id: $id) { escrowHeld { amount } } }", MERCHANT_PAYMENTS),
    ("merchant.receivedPayments", "merchant",
     "query($id: ID!) { merchant(id: $id) { receivedPayments(first: 1) { edges { node { id } } } } }", MERCHANT_PAYMENTS),
    ("_entities Merchant.name", "merchant", "query($id: ID!) { " + ENTITY % ("Merchant", "Merchant", "name") + " }", MERCHANT_PUBLIC),
    ("_entities Merchant.wallet", "merchant",
     "query($id: ID!) { " + ENTITY % ("Merchant", "Merchant", "wallet { balance { amount } }") + " }", MERCHANT_PAYMENTS),
    ("merchant.creditProfile", "merchant", "query($id: ID!) { merchant(id: $id) { creditProfile { score } } }", MERCHANT_SCORE),
    ("merchant.creditLine", "merchant", "query($id: ID!) { merchant(id: $id) { creditLine { limit { amount } } } }", MERCHANT_CREDIT),
    ("merchant.fundHolding", "merchant", "query($id: ID!) { merchant(id: $id) { fundHolding { units } } }", MERCHANT_FUNDS),
    ("_entities Merchant.creditLine", "merchant",
     "query($id: ID!) { " + ENTITY % ("Merchant", "Merchant", "creditLine { limit { amount } }") + " }", MERCHANT_CREDIT),
    ("_entities Merchant.fundHolding", "merchant",
     "query($id: ID!) { " + ENTITY % ("Merchant", "Merchant", "fundHolding { units }") + " }", MERCHANT_FUNDS),
    ("merchant.financialProfile", "merchant",
     "query($id: ID!) { merchant(id: $id) { financialProfile { refundRate averageTicket { amount } } } }",
     MERCHANT_PROFILE),
    ("_entities Merchant.financialProfile", "merchant",
     "query($id: ID!) { " + ENTITY % ("Merchant", "Merchant", "financialProfile { refundRate }") + " }",
     MERCHANT_PROFILE),
    ("consumer.financialProfile", "consumer",
     "query($id: ID!) { consumer(id: $id) { financialProfile { netWorth { amount } } } }", CONSUMER_PRIVATE),
    ("_entities Consumer.financialProfile", "consumer",
     "query($id: ID!) { " + ENTITY % ("Consumer", "Consumer", "financialProfile { netWorth { amount } }") + " }",
     CONSUMER_PRIVATE),
    ("consumer.creditProfile", "consumer", "query($id: ID!) { consumer(id: $id) { creditProfile { score } } }", CONSUMER_PRIVATE),
    ("consumer.creditLine", "consumer", "query($id: ID!) { consumer(id: $id) { creditLine { limit { amount } } } }", CONSUMER_PRIVATE),
    ("consumer.fundHolding", "consumer", "query($id: ID!) { consumer(id: $id) { fundHolding { units } } }", CONSUMER_PRIVATE),
    ("fund (public)", "-", '{ fund(code: "YEB") { code sevenDayAnnualizedYield } }', {p: OK for p in PRINCIPALS}),
    ("earningsComparison (public)", "-",
     '{ earningsComparison(amount: "1.00", fundAnnualYieldPercent: "1", bankRatePercent: "1") { ratio } }',
     {p: OK for p in PRINCIPALS}),
    ("creditAccrual", "-", '{ creditAccrual(date: "2026-11-01") { date } }', expect(operator="NULL")),
    *_path_rows(),
    # Lists and nested connections that reach a consumer or a merchant.
    ("merchant.receivedPayments.buyer { id }", "merchant",
     "query($id: ID!) { merchant(id: $id) { receivedPayments(first: 5) { edges { node { buyer { id } } } } } }",
     RECEIVED_BUYER_ID),
    ("merchant.receivedPayments.buyer { name }", "merchant",
     "query($id: ID!) { merchant(id: $id) { receivedPayments(first: 5) { edges { node { buyer { name } } } } } }",
     RECEIVED_BUYER_NAME),
    ("merchant.receivedPayments.buyer { realNameVerified }", "merchant",
     "query($id: ID!) { merchant(id: $id) { receivedPayments(first: 5) { edges { node { buyer { realNameVerified } } } } } }",
     RECEIVED_BUYER_NAME),
    ("consumer.payments.merchant { name }", "consumer",
     "query($id: ID!) { consumer(id: $id) { payments(first: 5) { edges { node { merchant { name } } } } } }",
     CONSUMER_PRIVATE),
    ("consumer.payments.buyer { name }", "consumer",
     "query($id: ID!) { consumer(id: $id) { payments(first: 5) { edges { node { buyer { name } } } } } }",
     CONSUMER_PRIVATE),
    ("merchants { name }", "-", "{ merchants(first: 1) { edges { node { name certified } } } }", {
        **MERCHANT_PUBLIC, "partner_without_consent": OK}),
    ("me Consumer { name }", "-", "{ me { ... on Consumer { id name realNameVerified } } }",
     expect(consumer=OK, other_consumer=OK, merchant=OK, other_merchant=OK, operator="NULL",
            partner_payments="NULL", partner_credit="NULL", partner_funds="NULL", partner_profile="NULL",
            partner_without_consent="NULL")),
    ("consumer.wallet", "consumer", "query($id: ID!) { consumer(id: $id) { wallet { balance { amount } } } }", CONSUMER_PRIVATE),
    ("consumer.payments", "consumer",
     "query($id: ID!) { consumer(id: $id) { payments(first: 1) { edges { node { id } } } } }", CONSUMER_PRIVATE),
    ("_entities Consumer.wallet", "consumer",
     "query($id: ID!) { " + ENTITY % ("Consumer", "Consumer", "wallet { balance { amount } }") + " }", CONSUMER_PRIVATE),
    ("payment", "payment", "query($id: ID!) { payment(id: $id) { id } }",
     expect(consumer=OK, merchant=OK, operator=OK, partner_payments=OK, other_consumer="NULL", other_merchant="NULL",
            partner_credit="NULL", partner_funds="NULL", partner_profile="NULL", partner_without_consent="NULL")),
    ("trialBalance", "-", "{ trialBalance { total { amount } } }", expect(operator=OK)),
    ("partnerAccessLog", "-", "{ partnerAccessLog(first: 1) { edges { node { scope } } } }", expect(merchant=OK, other_merchant=OK)),
    ("merchants", "-", "{ merchants(first: 1) { edges { node { id } } } }", {
        **MERCHANT_PUBLIC, "partner_without_consent": OK}),
]


def _outcome(body: dict[str, Any]) -> str:
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code", "ERROR"))
    data = body["data"]
    value = next(iter(data.values()))
    if value is None or value == [None]:
        return "NULL"
    return OK


@pytest.fixture(params=["compiled", "standard"])
def executor(request: pytest.FixtureRequest) -> Api:
    """Each row on the app with the compiled read path and on the one without it (ADR 010)."""
    return request.getfixturevalue("api" if request.param == "compiled" else "standard_api")  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "subject", "document", "expected"), ROWS, ids=[row[0] for row in ROWS])
async def test_authorization_matrix(
    executor: Api, world: World, name: str, subject: str, document: str, expected: dict[str, str]
) -> None:
    variables = {"merchant": {"id": world.merchant.id}, "consumer": {"id": world.consumer.id},
                 "payment": {"id": world.payment_id}}.get(subject, {})
    outcomes = {}
    for principal in PRINCIPALS:
        body = (await executor.post(document, world.tokens[principal], **variables)).json()
        outcomes[principal] = _outcome(body)
    assert outcomes == expected


COUNTERPARTY_READS = [
    ("merchant", "merchant", "query($id: ID!) { merchant(id: $id) { receivedPayments(first: 5) "
     "{ edges { node { buyer { id name realNameVerified } } } } } }"),
    ("merchant", "consumer", "query($id: ID!) { consumer(id: $id) { id name realNameVerified } }"),
    ("merchant", "payment", "query($id: ID!) { payment(id: $id) { buyer { name } merchant { name } } }"),
    ("consumer", "consumer", "query($id: ID!) { consumer(id: $id) { name payments(first: 5) "
     "{ edges { node { buyer { name } merchant { name } } } } } }"),
    ("operator", "consumer", "query($id: ID!) { node(id: $id) { ... on Consumer { name } } }"),
]


@pytest.mark.parametrize(("principal", "subject", "document"), COUNTERPARTY_READS)
async def test_the_compiled_path_answers_allowed_personal_reads_itself(
    api: Api, world: World, principal: str, subject: str, document: str
) -> None:
    """The rule is in the statement (an EXISTS for a counterparty), not a fallback on every read."""
    ids = {"merchant": world.merchant.id, "consumer": world.consumer.id, "payment": world.payment_id}
    first = await api.post(document, world.tokens[principal], id=ids[subject])  # validated once, then compiled
    response = await api.post(document, world.tokens[principal], id=ids[subject])
    assert not response.json().get("errors"), response.json()
    assert response.json() == first.json()
    assert response.headers[READ_PATH_HEADER] == "compiled"


async def test_a_stranger_s_personal_read_is_refused_by_the_standard_path(api: Api, world: World) -> None:
    document = "query($id: ID!) { consumer(id: $id) { name } }"
    await api.post(document, world.tokens["merchant"], id=world.consumer.id)  # validated once, then compiled
    response = await api.post(document, world.tokens["other_merchant"], id=world.consumer.id)
    assert response.json()["errors"][0]["extensions"]["code"] == FORBID
    assert response.headers[READ_PATH_HEADER] == "standard"


@pytest.mark.parametrize("type_name", ["Consumer", "Merchant"])
def test_every_field_of_a_party_has_an_exposure_and_a_matrix_row(type_name: str) -> None:
    """Walks the schema: a new field of Consumer or Merchant needs a decision in the rule and a row here."""
    type_ = build_schema()._schema.get_type(type_name)
    assert isinstance(type_, GraphQLObjectType)
    assert set(type_.fields) == set(EXPOSURES[type_name])
    documents = " ".join(document for _, _, document, _ in ROWS)
    unrowed = [field for field in type_.fields if not re.search(rf"\b{field}\b", documents)]
    assert unrowed == []
