"""Partners reach merchants only with consent, only within scopes; every read is logged."""

from __future__ import annotations

from datetime import timedelta

from gateway.auth import issue_token
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, Server
from tests.support import MERCHANT_VIEW, Api

CREATE_PARTNER = 'mutation($n: String!) { createPartner(input: {name: $n}) { partner { id name } userErrors { code message } } }'
GRANT = ('mutation($p: ID!, $s: [String!]!) { grantPartnerAccess(input: {partnerId: $p, scopes: $s}) '
         '{ userErrors { code message } } }')
GRANT_ALL = ('mutation($p: ID!) { grantPartnerAccess(input: {partnerId: $p, scopes: ["payments:read", "credit:read", '
             '"funds:read"]}) { userErrors { code message } } }')
REVOKE = "mutation($p: ID!) { revokePartnerAccess(input: {partnerId: $p}) { userErrors { code message } } }"
LOG = "{ partnerAccessLog(first: 50) { edges { node { partnerId scope fields requestId } } } }"
LIST = "{ merchants(first: 100) { edges { node { id name } } } }"


async def _partner(api: Api, server: Server, scopes: str) -> tuple[str, str]:
    data = await api.gql(CREATE_PARTNER, api.operator, n="ERP Cloud")
    partner_id = data["createPartner"]["partner"]["id"]
    principal = Principal(Role.PARTNER, partner_id=int(partner_id.split("_")[1]), scopes=frozenset(scopes.split(",")))
    token = issue_token(principal, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1))
    return partner_id, token


async def test_partner_sees_only_consenting_merchants_and_scoped_fields(api: Api, server: Server) -> None:
    partner_id, token = await _partner(api, server, "payments:read")
    consenting, silent = await api.merchant("Consenting Co."), await api.merchant("Silent Co.")
    buyer = await api.consumer(balance="50.00")
    await api.pay(buyer, consenting, "20.00")

    listed = await api.gql(LIST, token)
    assert listed["merchants"]["edges"] == []

    granted = await api.gql(GRANT, consenting.token, p=partner_id, s=["payments:read"])
    assert granted["grantPartnerAccess"]["userErrors"] == []
    listed = await api.gql(LIST, token)
    assert [edge["node"]["id"] for edge in listed["merchants"]["edges"]] == [consenting.id]

    body = (await api.post(MERCHANT_VIEW, token, id=consenting.id)).json()
    view = body["data"]["merchant"]
    assert view["escrowHeld"] == {"amount": "20.00"}
    assert view["receivedPayments"]["edges"][0]["node"]["amount"] == {"amount": "20.00"}

    forbidden = (await api.post(MERCHANT_VIEW, token, id=silent.id)).json()
    assert forbidden["data"]["merchant"] is None
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    log = await api.gql(LOG, consenting.token)
    scopes = {edge["node"]["scope"] for edge in log["partnerAccessLog"]["edges"]}
    assert {"public", "payments:read"} <= scopes
    assert all(edge["node"]["partnerId"] == partner_id for edge in log["partnerAccessLog"]["edges"])
    assert (await api.gql(LOG, silent.token))["partnerAccessLog"]["edges"] == []


async def test_fields_outside_the_token_scopes_are_forbidden_field_by_field(api: Api, server: Server) -> None:
    partner_id, token = await _partner(api, server, "credit:read")
    merchant = await api.merchant()
    await api.gql(GRANT_ALL, merchant.token, p=partner_id)
    body = (await api.post("query($id: ID!) { merchant(id: $id) { id name wallet { balance { amount } } } }",
                           token, id=merchant.id)).json()
    assert body["data"]["merchant"]["name"] == "Hangzhou Tea Co."
    assert body["data"]["merchant"]["wallet"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["merchant", "wallet"]


async def test_revocation_takes_effect_on_the_next_request(api: Api, server: Server) -> None:
    partner_id, token = await _partner(api, server, "payments:read")
    merchant = await api.merchant()
    await api.gql(GRANT, merchant.token, p=partner_id, s=["payments:read"])
    query = "query($id: ID!) { merchant(id: $id) { escrowHeld { amount } } }"
    assert (await api.gql(query, token, id=merchant.id))["merchant"]["escrowHeld"] == {"amount": "0.00"}
    revoked = await api.gql(REVOKE, merchant.token, p=partner_id)
    assert revoked["revokePartnerAccess"]["userErrors"] == []
    after = (await api.post(query, token, id=merchant.id)).json()
    assert after["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    again = await api.gql(REVOKE, merchant.token, p=partner_id)
    assert again["revokePartnerAccess"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_partners_cannot_read_consumers_or_me(api: Api, server: Server) -> None:
    _, token = await _partner(api, server, "payments:read")
    consumer = await api.consumer()
    body = (await api.post("query($id: ID!) { consumer(id: $id) { id } }", token, id=consumer.id)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.gql("{ me { __typename } }", token))["me"] is None


async def test_grant_validates_scopes_and_partner(api: Api, server: Server) -> None:
    partner_id, _ = await _partner(api, server, "payments:read")
    merchant = await api.merchant()
    bad_scope = await api.gql(GRANT, merchant.token, p=partner_id, s=["wallets:write"])
    assert bad_scope["grantPartnerAccess"]["userErrors"][0]["code"] == "INVALID_INPUT"
    no_partner = await api.gql(GRANT, merchant.token, p="ptn_999999", s=["payments:read"])
    assert no_partner["grantPartnerAccess"]["userErrors"][0]["code"] == "NOT_FOUND"
    consumer = await api.consumer()
    as_consumer = (await api.post(GRANT, consumer.token, p=partner_id, s=["payments:read"])).json()
    assert as_consumer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
