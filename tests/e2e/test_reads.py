"""Reads: cursor pagination, node(id:) refetches, and SQL round trips that do not grow with the page."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway import metrics
from gateway.graphql_view import READ_PATH_HEADER
from tests.conftest import Server
from tests.support import TOP_UP, TRANSFER, Api, Party, footprint, new_key

CONSUMER_PAYMENTS = """query($id: ID!, $first: Int!, $after: String) { consumer(id: $id) {
  payments(first: $first, after: $after) { edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
RECEIVED_PAYMENTS = """query($id: ID!, $first: Int!, $after: String) { merchant(id: $id) {
  receivedPayments(first: $first, after: $after) { edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
MERCHANTS = """query($first: Int!, $after: String) { merchants(first: $first, after: $after) {
  edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
MERCHANTS_PAGE = """query MerchantsPage($first: Int!, $after: String) { merchants(first: $first, after: $after) {
  edges { node { id name wallet { balance { amount } } escrowHeld { amount }
    receivedPayments(first: 10) { edges { node { id status amount { amount } buyer { id name } } } } } }
  pageInfo { hasNextPage endCursor } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Merchant { name } ... on Consumer { name } ... on Payment { status amount { amount } } } }"""


def _connection(data: dict[str, Any]) -> dict[str, Any]:
    """The one connection in a response, wherever it sits."""
    value: Any = data
    while "edges" not in value:
        value = next(iter(value.values()))
    result: dict[str, Any] = value
    return result


async def _walk(api: Api, document: str, token: str, first: int, **variables: Any) -> list[dict[str, Any]]:
    """Every page from the start, following endCursor."""
    pages, after = [], None
    while True:
        page = _connection(await api.gql(document, token, first=first, after=after, **variables))
        pages.append(page)
        info = page["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if page["edges"]:
            assert info["startCursor"] == page["edges"][0]["cursor"]
            assert info["endCursor"] == page["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            return pages
        after = info["endCursor"]


async def _shop_with_payments(api: Api, count: int) -> tuple[Party, Party, list[str]]:
    buyer = await api.consumer(balance="1000.00")
    merchant = await api.merchant()
    ids = [(await api.pay(buyer, merchant, "1.00"))["payment"]["id"] for _ in range(count)]
    return buyer, merchant, ids


@pytest.mark.parametrize("field", ["payments", "receivedPayments"])
async def test_payment_pages_do_not_overlap_and_end_right(api: Api, field: str) -> None:
    buyer, merchant, ids = await _shop_with_payments(api, 5)
    document, owner = (CONSUMER_PAYMENTS, buyer) if field == "payments" else (RECEIVED_PAYMENTS, merchant)

    pages = await _walk(api, document, owner.token, 2, id=owner.id)

    assert [len(page["edges"]) for page in pages] == [2, 2, 1]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    seen = [edge["node"]["id"] for page in pages for edge in page["edges"]]
    assert seen == list(reversed(ids))  # newest first, each exactly once


async def test_an_exactly_full_last_page_says_there_is_no_next_page(api: Api) -> None:
    buyer, _merchant, ids = await _shop_with_payments(api, 4)
    pages = await _walk(api, CONSUMER_PAYMENTS, buyer.token, 2, id=buyer.id)
    assert [len(page["edges"]) for page in pages] == [2, 2]
    assert pages[-1]["pageInfo"]["hasNextPage"] is False
    empty = _connection(await api.gql(CONSUMER_PAYMENTS, buyer.token, id=buyer.id, first=2,
                                      after=pages[-1]["pageInfo"]["endCursor"]))
    assert empty["edges"] == [] and empty["pageInfo"]["endCursor"] is None
    assert len(ids) == 4


async def test_merchant_pages_do_not_overlap(api: Api) -> None:
    mine = [(await api.merchant(f"Paged shop {i}")).id for i in range(7)]
    pages = await _walk(api, MERCHANTS, api.operator, 3)
    seen = [edge["node"]["id"] for page in pages for edge in page["edges"]]
    assert len(seen) == len(set(seen))
    assert seen[:7] == list(reversed(mine))
    assert all(len(page["edges"]) == 3 for page in pages[:-1])


@pytest.mark.parametrize("first", [101, 0, -1])
@pytest.mark.parametrize("field", ["payments", "receivedPayments", "merchants"])
async def test_page_sizes_outside_one_to_100_are_bad_user_input(api: Api, field: str, first: int) -> None:
    buyer, merchant, _ids = await _shop_with_payments(api, 1)
    document, token, variables = {
        "payments": (CONSUMER_PAYMENTS, buyer.token, {"id": buyer.id}),
        "receivedPayments": (RECEIVED_PAYMENTS, merchant.token, {"id": merchant.id}),
        "merchants": (MERCHANTS, api.operator, {}),
    }[field]
    response = await api.post(document, token, first=first, **variables)
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first must be between 1 and 100" in error["message"]


async def test_a_page_of_100_is_allowed(api: Api) -> None:
    page = _connection(await api.gql(MERCHANTS, api.operator, first=100))
    assert 0 < len(page["edges"]) <= 100


@pytest.mark.parametrize(
    "cursor", ["nope", base64.urlsafe_b64encode(b"x:1").decode(), base64.urlsafe_b64encode(b"c:-1").decode(), ""]
)
async def test_a_bad_cursor_is_bad_user_input(api: Api, cursor: str) -> None:
    buyer, merchant, _ids = await _shop_with_payments(api, 1)
    for document, token, variables in [
        (CONSUMER_PAYMENTS, buyer.token, {"id": buyer.id}),
        (RECEIVED_PAYMENTS, merchant.token, {"id": merchant.id}),
        (MERCHANTS, api.operator, {}),
    ]:
        body = (await api.post(document, token, first=2, after=cursor, **variables)).json()
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "cursor" in error["message"].lower()


async def test_node_refetches_merchants_consumers_and_payments(api: Api) -> None:
    buyer, merchant, [payment_id] = await _shop_with_payments(api, 1)
    nodes = {
        entity_id: (await api.gql(NODE, buyer.token, id=entity_id))["node"]
        for entity_id in (merchant.id, buyer.id, payment_id)
    }
    assert nodes[merchant.id] == {"__typename": "Merchant", "id": merchant.id, "name": "Hangzhou Tea Co."}
    assert nodes[buyer.id] == {"__typename": "Consumer", "id": buyer.id, "name": "Li Lei"}
    assert nodes[payment_id] == {
        "__typename": "Payment", "id": payment_id, "status": "HELD", "amount": {"amount": "1.00"}
    }


async def test_member_since_is_when_the_merchant_joined_on_both_paths(
    api: Api, standard_api: Api, server: Server
) -> None:
    now = server.clock.now()
    joined = now - timedelta(days=400, microseconds=-123_456)  # fractional seconds: the SQL must print them
    server.clock.set(joined)
    try:
        merchant = await api.merchant("Old Tea House")
    finally:
        server.clock.set(now)
    buyer = await api.consumer()
    query = "query($id: ID!) { merchant(id: $id) { memberSince } }"
    await api.post(query, api.operator, id=merchant.id)  # validated once on the standard path, then compiled
    compiled = await api.post(query, api.operator, id=merchant.id)
    assert compiled.headers[READ_PATH_HEADER] == "compiled"
    member_since = compiled.json()["data"]["merchant"]["memberSince"]
    assert datetime.fromisoformat(member_since) == joined
    for reader, token in ((api, buyer.token), (standard_api, standard_api.operator)):
        assert (await reader.gql(query, token, id=merchant.id))["merchant"] == {"memberSince": member_since}


async def test_node_does_not_leak_other_peoples_payments_or_unknown_ids(api: Api) -> None:
    _buyer, _merchant, [payment_id] = await _shop_with_payments(api, 1)
    stranger = await api.consumer("Stranger")
    assert (await api.gql(NODE, stranger.token, id=payment_id))["node"] is None
    for unknown in ("pay_999999999", "mer_999999999", "xyz_1", "mer_abc", "Merchant:1"):
        assert (await api.gql(NODE, stranger.token, id=unknown))["node"] is None


async def _statements_for(api: Api, first: int) -> tuple[int, dict[str, Any], str]:
    before = metrics.SQL_STATEMENTS._value.get()
    response = await api.post(MERCHANTS_PAGE, api.operator, first=first)
    body = response.json()
    assert not body.get("errors"), body
    return int(metrics.SQL_STATEMENTS._value.get() - before), body["data"], response.headers["fingraph-read-path"]


async def test_merchants_page_round_trips_do_not_grow_with_merchants_or_payments(
    api: Api, standard_api: Api
) -> None:
    # 20 merchants x 10 payments (from 10 buyers, so they are not all one wallet's queue).
    merchants = list(await asyncio.gather(*(api.merchant(f"Busy shop {i}") for i in range(20))))
    buyers = list(await asyncio.gather(*(api.consumer(f"Shopper {i}") for i in range(10))))
    await asyncio.gather(*(api.gql(TOP_UP, b.token, a="100.00", k=new_key()) for b in buyers))
    await asyncio.gather(*(api.pay(b, m, "1.00") for b in buyers for m in merchants))
    # The compiled path takes a document the standard path has validated once; warm both.
    for client in (api, standard_api, api, standard_api):
        await client.gql(MERCHANTS_PAGE, client.operator, first=20)
    big = {path: await _statements_for(client, 20) for path, client in (("compiled", api), ("standard", standard_api))}

    # Newer still: 2 merchants x 1 payment, the whole of a first page of 2.
    small_merchants = [await api.merchant("Quiet shop"), await api.merchant("Quiet shop")]
    for shop in small_merchants:
        await api.pay(buyers[0], shop, "1.00")
    small = {path: await _statements_for(client, 2) for path, client in (("compiled", api), ("standard", standard_api))}

    for path in ("compiled", "standard"):
        (big_count, big_data, big_path), (small_count, small_data, small_path) = big[path], small[path]
        assert big_path == small_path == path
        big_edges = big_data["merchants"]["edges"]
        assert [e["node"]["id"] for e in big_edges] == [m.id for m in sorted(merchants, key=lambda m: -m.pk)]
        assert all(len(e["node"]["receivedPayments"]["edges"]) == 10 for e in big_edges)
        small_edges = small_data["merchants"]["edges"]
        assert [e["node"]["id"] for e in small_edges] == [m.id for m in reversed(small_merchants)]
        assert all(len(e["node"]["receivedPayments"]["edges"]) == 1 for e in small_edges)
        assert big_count == small_count, (path, big_count, small_count)
    # Standard: the page, one batched query per loader (wallets, escrow, payments, buyers),
    # and asyncpg's reset statement each time a connection goes back to the pool.
    assert big["standard"][0] <= 12
    # Compiled: the one statement (and the reset).
    assert big["compiled"][0] <= 2, big["compiled"][0]


async def test_a_typed_id_of_the_wrong_kind_reaches_no_wallet(api: Api, db: Any) -> None:
    sender = await api.consumer(balance="10.00")
    merchant = await api.merchant()
    before = await footprint(db, sender.pk, merchant.pk)

    data = await api.gql(TRANSFER, sender.token, to=f"con_{merchant.pk}", a="1.00", k=new_key())

    [error] = data["transfer"]["userErrors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", "toPartyId")
    assert await footprint(db, sender.pk, merchant.pk) == before
    right = await api.gql(TRANSFER, sender.token, to=merchant.id, a="1.00", k=new_key())
    assert right["transfer"]["userErrors"] == []


async def test_ids_with_non_ascii_digits_are_just_unknown(api: Api) -> None:
    buyer = await api.consumer()
    body = (await api.post(NODE, buyer.token, id="mer_\u00b2")).json()
    assert body == {"data": {"node": None}}


async def test_a_cursor_past_every_id_is_a_bad_cursor_not_a_crash(api: Api) -> None:
    for position in ("99999999999999999999", "\u0661\u0662"):  # beyond bigint; Arabic-Indic digits
        after = base64.urlsafe_b64encode(f"c:{position}".encode()).decode()
        response = await api.post(MERCHANTS_PAGE, api.operator, first=1, after=after)
        body = response.json()
        assert response.status_code == 200 and body["data"] is None, body
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
