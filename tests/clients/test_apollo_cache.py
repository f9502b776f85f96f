"""Apollo Client's InMemoryCache over fingraph (issue 16, items 1 and 2): the contract's
operations with no cache warning, and after each money mutation the cached screens show the
new balances and lists without a refetch, because the payload returns the changed owner."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from schema.export import SCHEMA_DIR
from tests.clients.contract import CONTRACT_GRAPHQL
from tests.clients.peers import CLIENTS_DIR, require_npm_clients, run_json
from tests.conftest import START, Server
from tests.support import Api, new_key

REFRESH = CLIENTS_DIR / "refresh.graphql"
TYPE_POLICIES = CLIENTS_DIR / "type-policies.json"


@pytest.fixture(autouse=True)
def _clients() -> None:
    require_npm_clients()


def _step(kind: str, operation: str, token: str | None, **variables: Any) -> dict[str, Any]:
    return {"kind": kind, "operation": operation, "token": token, "variables": variables}


async def _apollo(
    server: Server, steps: list[dict[str, Any]], *, possible_types: Path = SCHEMA_DIR / "possible-types.json",
    type_policies: Path = TYPE_POLICIES,
) -> dict[str, Any]:
    result: dict[str, Any] = await run_json(
        "node", CLIENTS_DIR / "apollo_cache.mjs", f"{server.url}/graphql", possible_types, type_policies,
        CONTRACT_GRAPHQL, REFRESH, stdin=steps,
    )
    return result


async def test_the_contract_operations_run_in_apollo_without_a_cache_warning(api: Api, server: Server) -> None:
    buyer, merchant = await api.consumer(balance="500.00"), await api.merchant()
    partner = (await api.gql('mutation { createPartner(input: {name: "ERP"}) { partner { id } } }', api.operator))
    confirmed, refunded = (await api.pay(buyer, merchant, "20.00"))["payment"]["id"], None
    refunded = (await api.pay(buyer, merchant, "15.00"))["payment"]["id"]
    await _open_line(api, merchant)
    yesterday = (START - timedelta(days=1)).date().isoformat()
    o, c, m = api.operator, buyer.token, merchant.token
    steps = [
        _step("mutate", "CreateConsumer", o), _step("mutate", "CreateMerchant", o), _step("mutate", "CreatePartner", o),
        _step("mutate", "PublishFundYield", o, d=yesterday), _step("mutate", "OpenCreditLine", o, p=buyer.id),
        _step("mutate", "AccrueCreditInterest", o, d=yesterday),
        _step("mutate", "ReleaseDuePayments", o, t=START.isoformat()), _step("query", "TrialBalance", o),
        _step("mutate", "TopUp", c, a="100.00", k=new_key()), _step("mutate", "Withdraw", c, a="10.00", k=new_key()),
        _step("mutate", "CreatePayment", c, m=merchant.id, a="12.00", s="WALLET", k=new_key()),
        _step("mutate", "ConfirmReceipt", c, p=confirmed, k=new_key()),
        _step("mutate", "RateMerchant", c, p=confirmed, s=5),
        _step("mutate", "SubscribeFund", c, a="50.00", k=new_key()),
        _step("mutate", "RedeemFund", c, a="1.00", k=new_key()),
        _step("mutate", "DrawCredit", c, a="100.00", k=new_key()),
        _step("mutate", "RepayCredit", c, a="30.00", k=new_key()),
        _step("query", "ConsumerHome", c),
        _step("mutate", "RefundPayment", m, p=refunded, a="5.00", k=new_key()),
        _step("mutate", "GrantPartnerAccess", m, p=partner["createPartner"]["partner"]["id"]),
        _step("mutate", "RevokePartnerAccess", m, p=partner["createPartner"]["partner"]["id"]),
        _step("query", "MerchantView", m, id=merchant.id),
        # an operator's one cache holds the same merchant as MerchantView and MerchantsPage select it
        _step("query", "MerchantView", o, id=merchant.id), _step("query", "MerchantsPage", o),
        _step("query", "ScheduledJobs", o), _step("query", "EarningsComparison", None),
    ]
    # when a client runs every contract operation this schema answers through one cache per user
    ran = await _apollo(server, steps)
    # then each answered, and the cache wrote every result without a warning
    assert ran["warnings"] == []
    assert {r["operation"] for r in ran["results"]} == {s["operation"] for s in steps}
    assert all(r["data"] is not None for r in ran["results"])
    home = next(r for r in ran["results"] if r["operation"] == "ConsumerHome")["data"]["me"]
    assert home["__typename"] == "Consumer" and home["creditLine"]["outstandingPrincipal"]["amount"] == "70.00"


async def _open_line(api: Api, party: Any) -> None:
    await api.gql('mutation($p: ID!) { openCreditLine(input: {partyId: $p, limit: "5000.00", dailyRate: "0.0005"}) '
                  "{ userErrors { code } } }", api.operator, p=party.id)


async def test_without_the_type_policies_overlapping_screens_lose_cache_data(
    api: Api, server: Server, tmp_path: Path
) -> None:
    """The control: an operator's MerchantView and MerchantsPage select different fields of a
    merchant's credit line (no id); without the policies Apollo warns it drops cached data."""
    merchant = await api.merchant()
    await _open_line(api, merchant)
    empty = tmp_path / "none.json"
    empty.write_text("{}")
    steps = [_step("query", "MerchantView", api.operator, id=merchant.id), _step("query", "MerchantsPage", api.operator)]
    ran = await _apollo(server, steps, type_policies=empty)
    assert any("Cache data may be lost" in w["message"] and "Merchant.creditLine" in w["message"]
               for w in ran["warnings"]), ran["warnings"]
    assert (await _apollo(server, steps))["warnings"] == []


def _home(result: dict[str, Any]) -> dict[str, Any]:
    assert result["kind"] == "read" and result["requests"] == 0, result  # from the cache, no request
    me: dict[str, Any] = result["data"]["me"]
    return me


async def test_after_each_money_mutation_the_cached_screens_show_the_change(api: Api, server: Server) -> None:
    buyer, merchant = await api.consumer(balance="1000.00"), await api.merchant()
    await _open_line(api, buyer)
    held = (await api.pay(buyer, merchant, "40.00"))["payment"]["id"]
    c, m = buyer.token, merchant.token
    mutations = [
        _step("mutate", "TopUpAndRefresh", c, a="100.00", k=new_key()),
        _step("mutate", "CreatePaymentAndRefresh", c, m=merchant.id, a="30.00", s="WALLET", k=new_key()),
        _step("mutate", "ConfirmReceiptAndRefresh", c, p=held, k=new_key()),
        _step("mutate", "WithdrawAndRefresh", c, a="10.00", k=new_key()),
        _step("mutate", "SubscribeFundAndRefresh", c, a="50.00", k=new_key()),
        _step("mutate", "DrawCreditAndRefresh", c, a="200.00", k=new_key()),
        _step("mutate", "RepayCreditAndRefresh", c, a="20.00", k=new_key()),
    ]
    steps = [_step("query", "ConsumerHome", c), _step("query", "MerchantView", m, id=merchant.id)]
    for mutation in mutations:
        steps += [mutation, _step("read", "ConsumerHome", c)]
    steps += [_step("mutate", "RefundPaymentAndRefresh", m, p=held, a="5.00", k=new_key()),
              _step("read", "MerchantView", m, id=merchant.id),
              _step("query", "WhoAmI", c), _step("read", "WhoAmI", c)]
    ran = await _apollo(server, steps)
    assert ran["warnings"] == []
    results = ran["results"]
    start = results[0]["data"]["me"]
    reads = [_home(r) for r in results[3:17:2]]
    balances = [Decimal(home["wallet"]["balance"]["amount"]) for home in [start, *reads]]
    # then each cached ConsumerHome shows the balance the mutation left, without a refetch
    assert [b - a for a, b in itertools.pairwise(balances)] == [
        Decimal(x) for x in ("100.00", "-30.00", "0.00", "-10.00", "-50.00", "200.00", "-20.00")
    ]
    created = results[4]["data"]["createPayment"]["payment"]["id"]
    assert reads[1]["payments"]["edges"][0]["node"] == {
        "__typename": "Payment", "id": created, "status": "HELD", "amount": {"__typename": "Money", "amount": "30.00"},
        "merchant": {"__typename": "Merchant", "id": merchant.id, "name": merchant_name(results)},
    }
    statuses = {e["node"]["id"]: e["node"]["status"] for e in reads[2]["payments"]["edges"]}
    assert statuses[held] == "RELEASED"
    assert Decimal(reads[4]["fundHolding"]["pendingUnits"]) - Decimal(reads[3]["fundHolding"]["pendingUnits"]) == 50
    assert reads[5]["creditLine"]["outstandingPrincipal"]["amount"] == "200.00"
    assert reads[6]["creditLine"]["outstandingPrincipal"]["amount"] == "180.00"
    # and the merchant's cached view shows its refund and the wallet it came from
    before, after = results[1]["data"]["merchant"], results[17]["data"]["merchant"]
    assert results[17]["requests"] == 0
    refunded = {e["node"]["id"]: e["node"]["status"] for e in after["receivedPayments"]["edges"]}
    assert refunded[held] == "RELEASED"
    assert Decimal(after["wallet"]["balance"]["amount"]) == Decimal(before["wallet"]["balance"]["amount"]) + 35
    # and the interface fragments read back from the cache through the published possible types
    assert results[19]["requests"] == 0
    assert results[19]["data"]["me"] == {"__typename": "Consumer", "id": buyer.id, "name": "Li Lei"}


def merchant_name(results: list[dict[str, Any]]) -> str:
    name: str = results[1]["data"]["merchant"]["name"]
    return name


async def test_without_the_possible_types_apollo_loses_the_interface_fragments(
    api: Api, server: Server, tmp_path: Path
) -> None:
    """The published map is what makes ``... on Party``/``... on Node`` work: without it the
    same query loses its fields without a word (the control for the tests above)."""
    buyer = await api.consumer()
    empty = tmp_path / "none.json"
    empty.write_text("{}")
    steps = [_step("query", "WhoAmI", buyer.token), _step("read", "WhoAmI", buyer.token)]
    ran = await _apollo(server, steps, possible_types=empty)
    # then the answer's id and name are silently dropped, from the result and from the cache
    assert [r["data"] for r in ran["results"]] == [{"me": {"__typename": "Consumer"}}] * 2
