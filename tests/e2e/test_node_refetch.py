"""``node(id:)`` refetches every object a client caches, under that object's read rule
(services/kernel/access.py: owned objects as their party's private field, a fund public,
a partner's card for operators, merchants and itself), and money payloads name their owner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gateway.auth import issue_token
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, Server
from tests.support import Api, new_key

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
GRANT = ('mutation($p: ID!, $s: [String!]!) { grantPartnerAccess(input: {partnerId: $p, scopes: $s}) '
         "{ userErrors { code } } }")
LOG = "{ partnerAccessLog(first: 50) { edges { node { scope fields } } } }"


async def _node(api: Api, id_: str, token: str) -> Any:
    return (await api.gql(NODE, token, id=id_))["node"]


async def _partner(api: Api, server: Server, scopes: str) -> tuple[str, str]:
    data = await api.gql('mutation { createPartner(input: {name: "ERP"}) { partner { id } } }', api.operator)
    partner_id: str = data["createPartner"]["partner"]["id"]
    principal = Principal(Role.PARTNER, partner_id=int(partner_id.split("_")[1]), scopes=frozenset(scopes.split(",")))
    return partner_id, issue_token(principal, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1))


async def test_owned_objects_are_refetched_by_their_owner_operators_and_scoped_partners_only(
    api: Api, server: Server
) -> None:
    merchant, stranger, consumer = await api.merchant(), await api.merchant("Stranger"), await api.consumer()
    await api.gql('mutation($p: ID!) { openCreditLine(input: {partyId: $p, limit: "500.00", dailyRate: "0.0005"}) '
                  "{ userErrors { code } } }", api.operator, p=merchant.id)
    await api.gql('mutation($k: String!) { drawCredit(input: {amount: "20.00", idempotencyKey: $k}) '
                  "{ userErrors { code } } }", merchant.token, k=new_key())
    mine = (await api.gql("""{ me { ... on Merchant { wallet { id } fundHolding { id }
        creditLine { id drawdowns(first: 1) { edges { node { id } } } } } } }""", merchant.token))["me"]
    owned = {
        "Wallet": (mine["wallet"]["id"], "payments:read"), "FundHolding": (mine["fundHolding"]["id"], "funds:read"),
        "CreditLine": (mine["creditLine"]["id"], "credit:read"),
        "Drawdown": (mine["creditLine"]["drawdowns"]["edges"][0]["node"]["id"], "credit:read"),
    }
    assert owned["Wallet"][0] == f"wal_{merchant.pk}"
    for type_name, (id_, scope) in owned.items():
        partner_id, partner = await _partner(api, server, scope)
        other_scope = "funds:read" if scope != "funds:read" else "credit:read"
        _, unscoped = await _partner(api, server, other_scope)
        await api.gql(GRANT, merchant.token, p=partner_id, s=[scope])
        # then the owner, an operator and a partner granted the scope refetch it
        for token in (merchant.token, api.operator, partner):
            assert await _node(api, id_, token) == {"__typename": type_name, "id": id_}, (type_name, token)
        # and another merchant, a consumer, a partner without grant or scope get null
        for token in (stranger.token, consumer.token, unscoped):
            assert await _node(api, id_, token) is None, type_name
    # and each partner read through node is in the merchant's access log
    log = (await api.gql(LOG, merchant.token))["partnerAccessLog"]["edges"]
    assert {"scope": "payments:read", "fields": ["Wallet"]} in [edge["node"] for edge in log]


async def test_a_fund_is_public_and_a_partner_card_is_for_operators_merchants_and_itself(
    api: Api, server: Server
) -> None:
    consumer, merchant = await api.consumer(), await api.merchant()
    fund = (await api.gql('{ fund(code: "YEB") { id } }'))["fund"]["id"]
    assert await _node(api, fund, consumer.token) == {"__typename": "Fund", "id": fund}
    partner_id, partner = await _partner(api, server, "payments:read")
    _, other_partner = await _partner(api, server, "payments:read")
    for token in (api.operator, merchant.token, partner):
        assert await _node(api, partner_id, token) == {"__typename": "Partner", "id": partner_id}
    for token in (consumer.token, other_partner):
        assert await _node(api, partner_id, token) is None
    assert await _node(api, "fhd_1", consumer.token) is None  # a holding is keyed by fund and party


async def test_money_payloads_return_the_owner_whose_screens_change(api: Api) -> None:
    buyer, merchant = await api.consumer(balance="100.00"), await api.merchant()
    topped = await api.gql("""mutation($k: String!) { topUp(input: {amount: "5.00", idempotencyKey: $k}) {
        consumer { id wallet { id balance { amount } } } merchant { id } } }""", buyer.token, k=new_key())
    assert topped["topUp"] == {"consumer": {"id": buyer.id, "wallet": {"id": f"wal_{buyer.pk}",
                                                                    "balance": {"amount": "105.00"}}},
                               "merchant": None}
    paid = await api.gql("""mutation($m: ID!, $k: String!) { createPayment(input: {merchantId: $m, amount: "30.00",
        idempotencyKey: $k}) { consumer { id wallet { balance { amount } } payments(first: 1) { edges { node { id } } } }
        merchant { id name } payment { id } } }""", buyer.token, m=merchant.id, k=new_key())
    payload = paid["createPayment"]
    assert payload["consumer"]["wallet"]["balance"]["amount"] == "75.00"
    assert payload["consumer"]["payments"]["edges"][0]["node"]["id"] == payload["payment"]["id"]
    assert payload["merchant"] == {"id": merchant.id, "name": "Hangzhou Tea Co."}
    merchant_side = await api.gql("""mutation($k: String!) { topUp(input: {amount: "1.00", idempotencyKey: $k}) {
        consumer { id } merchant { id escrowHeld { amount } } } }""", merchant.token, k=new_key())
    assert merchant_side["topUp"] == {"consumer": None, "merchant": {"id": merchant.id, "escrowHeld": {"amount": "30.00"}}}
