"""Who may read and do what: tokens, private fields, operator-only and role-bound mutations."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from gateway.auth import issue_token
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, Server
from tests.support import (
    CONSUMER_HOME,
    CREATE_CONSUMER,
    CREATE_MERCHANT,
    CREATE_PAYMENT,
    MERCHANT_VIEW,
    REFUND_PAYMENT,
    RELEASE_DUE,
    TRIAL_BALANCE,
    Api,
    new_key,
)

CONSUMER_PRIVATE = """query($id: ID!) { consumer(id: $id) { id name
  wallet { balance { amount } } payments(first: 5) { edges { node { id } } } } }"""
PAYMENT = "query($id: ID!) { payment(id: $id) { id status } }"


def _codes(body: dict[str, object]) -> dict[str, str]:
    """extensions.code by the path of each error."""
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return {".".join(map(str, e.get("path") or [])): e["extensions"]["code"] for e in errors}


@pytest.mark.parametrize(
    "query",
    ["{ me { __typename } }", TRIAL_BALANCE, "{ merchants(first: 1) { edges { node { id } } } }"],
    ids=["me", "trialBalance", "merchants"],
)
async def test_no_token_is_unauthenticated_on_private_fields(api: Api, query: str) -> None:
    response = await api.post(query)
    assert response.status_code == 200
    assert set(_codes(response.json()).values()) == {"UNAUTHENTICATED"}


async def test_no_token_is_unauthenticated_for_entities_and_mutations(api: Api) -> None:
    merchant = await api.merchant()
    body = (await api.post(MERCHANT_VIEW, None, id=merchant.id)).json()
    assert _codes(body) == {"merchant": "UNAUTHENTICATED"}
    body = (await api.post(CREATE_PAYMENT, None, m=merchant.id, a="1.00", s="WALLET", k=new_key())).json()
    assert _codes(body) == {"createPayment": "UNAUTHENTICATED"}


def _bad_tokens(server: Server) -> dict[str, str]:
    now = server.clock.now()
    principal = Principal(Role.OPERATOR)
    return {
        "garbage": "not-a-jwt",
        "wrong secret": issue_token(principal, secret="another-secret-" + "y" * 40, now=now),
        "expired": issue_token(principal, secret=SECRET, now=now - timedelta(days=2), ttl=timedelta(days=1)),
        "no role": jwt.encode({"iss": "fingraph", "sub": "x", "iat": 0, "exp": 2**40}, SECRET, algorithm="HS256"),
        "unsigned": jwt.encode({"iss": "fingraph", "sub": "operator:-", "role": "operator", "iat": 0, "exp": 2**40},
                               None, algorithm="none"),
        "consumer without party": jwt.encode(
            {"iss": "fingraph", "sub": "c", "role": "consumer", "iat": 0, "exp": 2**40}, SECRET, algorithm="HS256"
        ),
    }


@pytest.mark.parametrize(
    "kind", ["garbage", "wrong secret", "expired", "no role", "unsigned", "consumer without party"]
)
async def test_a_bad_token_is_a_401_with_unauthenticated(api: Api, server: Server, kind: str) -> None:
    token = _bad_tokens(server)[kind]
    response = await api.post(TRIAL_BALANCE, token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_malformed_authorization_header_is_a_401(api: Api) -> None:
    response = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_consumer_cannot_read_another_consumers_wallet_or_payments(api: Api) -> None:
    owner = await api.consumer("Owner", balance="50.00")
    merchant = await api.merchant()
    payment = (await api.pay(owner, merchant, "10.00"))["payment"]
    other = await api.consumer("Nosy")

    body = (await api.post(CONSUMER_PRIVATE, other.token, id=owner.id)).json()

    # A stranger does not reach the consumer at all: not even its name (ADR 015).
    assert _codes(body) == {"consumer": "FORBIDDEN"}
    assert body["data"]["consumer"] is None
    assert (await api.gql(PAYMENT, other.token, id=payment["id"]))["payment"] is None
    # The owner, the payment's merchant and operators do see them.
    mine = await api.gql(CONSUMER_PRIVATE, owner.token, id=owner.id)
    assert mine["consumer"]["wallet"]["balance"]["amount"] == "40.00"
    assert (await api.gql(PAYMENT, merchant.token, id=payment["id"]))["payment"]["status"] == "HELD"
    assert (await api.gql(CONSUMER_PRIVATE, api.operator, id=owner.id))["consumer"]["payments"]["edges"]


async def test_a_merchant_cannot_read_another_merchants_money_but_can_read_its_name(api: Api) -> None:
    shop = await api.merchant("Shop A")
    rival = await api.merchant("Shop B")

    body = (await api.post(MERCHANT_VIEW, rival.token, id=shop.id)).json()

    assert _codes(body) == {
        "merchant.wallet": "FORBIDDEN", "merchant.escrowHeld": "FORBIDDEN", "merchant.receivedPayments": "FORBIDDEN",
        "merchant.creditLine": "FORBIDDEN", "merchant.fundHolding": "FORBIDDEN",
    }
    merchant = body["data"]["merchant"]
    assert merchant.pop("creditProfile")["score"] >= 350  # a merchant's credit index is public
    assert merchant == {
        "id": shop.id, "name": "Shop A", "wallet": None, "escrowHeld": None, "receivedPayments": None,
        "creditLine": None, "fundHolding": None,
    }


async def test_a_consumer_cannot_read_a_merchants_money_either(api: Api) -> None:
    shop = await api.merchant()
    buyer = await api.consumer()
    body = (await api.post(MERCHANT_VIEW, buyer.token, id=shop.id)).json()
    assert set(_codes(body).values()) == {"FORBIDDEN"}
    assert body["data"]["merchant"]["name"] == "Hangzhou Tea Co."


@pytest.mark.parametrize("role", ["consumer", "merchant"])
@pytest.mark.parametrize("operation", ["createConsumer", "createMerchant", "releaseDuePayments", "trialBalance"])
async def test_operator_only_operations_are_forbidden_to_parties(
    api: Api, server: Server, role: str, operation: str
) -> None:
    party = await (api.consumer() if role == "consumer" else api.merchant())
    document, variables = {
        "createConsumer": (CREATE_CONSUMER, {"n": "Sneaky"}),
        "createMerchant": (CREATE_MERCHANT, {"n": "Sneaky"}),
        "releaseDuePayments": (RELEASE_DUE, {"t": server.clock.now().isoformat()}),
        "trialBalance": (TRIAL_BALANCE, {}),
    }[operation]
    response = await api.post(document, party.token, **variables)
    assert response.status_code == 200
    body = response.json()
    assert _codes(body) == {operation: "FORBIDDEN"}
    assert body["data"] is None


async def test_a_consumer_cannot_refund(api: Api) -> None:
    buyer = await api.consumer(balance="10.00")
    merchant = await api.merchant()
    payment = (await api.pay(buyer, merchant, "10.00"))["payment"]
    body = (await api.post(REFUND_PAYMENT, buyer.token, p=payment["id"], a="10.00", k=new_key())).json()
    assert _codes(body) == {"refundPayment": "FORBIDDEN"}
    assert await api.balance(buyer) == "0.00"


async def test_a_merchant_cannot_pay(api: Api) -> None:
    shop, other = await api.merchant(), await api.merchant("Other")
    body = (await api.post(CREATE_PAYMENT, shop.token, m=other.id, a="1.00", s="WALLET", k=new_key())).json()
    assert _codes(body) == {"createPayment": "FORBIDDEN"}


async def test_me_is_the_tokens_party(api: Api) -> None:
    buyer = await api.consumer("Me Myself")
    data = await api.gql(CONSUMER_HOME, buyer.token)
    assert data["me"]["id"] == buyer.id and data["me"]["name"] == "Me Myself"
    assert (await api.gql("{ me { __typename } }", api.operator))["me"] is None
