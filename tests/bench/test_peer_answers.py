"""The bench holds a PostGraphile's answers to ours' facts before it measures it (bench/peer_answers.py).

Pure functions over answer bodies shaped as the two servers answer MerchantView: fingraph's
Money objects and typed ids, PostGraphile's fen strings and raw bigints.
"""

from __future__ import annotations

import copy
from typing import Any

from bench.peer_answers import peer_differences, shared_facts

OURS: dict[str, Any] = {"data": {"merchant": {
    "id": "mer_2", "name": "Hangzhou Tea Co.", "wallet": {"balance": {"amount": "14377.44"}},
    "escrowHeld": {"amount": "238.00"},
    "receivedPayments": {"edges": [{"node": {"id": "pay_44", "status": "HELD", "amount": {"amount": "9.90"},
                                             "buyer": {"id": "con_5"}}}],
                         "pageInfo": {"hasNextPage": False, "endCursor": "x"}},
    "creditProfile": {"score": 600},
    "creditLine": {"limit": {"amount": "5000.00"}, "available": {"amount": "4000.00"},
                   "outstandingPrincipal": {"amount": "1000.00"}},
    "fundHolding": {"units": "0.00", "yesterdayIncome": {"amount": "0.00"}},
}}}

PEER: dict[str, Any] = {"data": {"partyById": {
    "id": "2", "name": "Hangzhou Tea Co.", "kind": "MERCHANT", "accountsByPartyId": {"nodes": [{"balance": "1437744"}]},
    "escrowHeld": "23800",
    "paymentsByMerchantId": {"edges": [{"node": {"id": "44", "status": "HELD", "amount": "990", "buyerId": "5"}}],
                             "pageInfo": {"hasNextPage": False, "endCursor": "y"}},
    "certified": True, "realNameVerified": True, "createdAt": "2026-01-01T00:00:00+00:00",
    "creditFacts": {"payments": "1"},
    "lineByPartyId": {"limitFen": "500000", "outstandingPrincipal": "100000"},
    "holdingsByPartyId": {"nodes": []},
}}}


def _samples(body: dict[str, Any]) -> dict[str, Any]:
    return {"MerchantView": [{"status": 200, "body": body}]}


def test_the_same_facts_in_both_shapes_are_equal() -> None:
    # a party without a holding row: ours answers zeros, PostGraphile no row
    assert shared_facts("MerchantView", OURS) == shared_facts("MerchantView", PEER)
    assert peer_differences(_samples(OURS), _samples(PEER)) == []


def test_another_amount_or_payment_is_a_difference() -> None:
    peer = copy.deepcopy(PEER)
    peer["data"]["partyById"]["paymentsByMerchantId"]["edges"][0]["node"]["amount"] = "999"

    found = peer_differences(_samples(OURS), _samples(peer))

    assert len(found) == 1 and found[0].startswith("MerchantView #0: .payments[0]"), found


def test_a_peer_without_the_relation_is_a_difference() -> None:
    # as PostGraphile 5 answers when its index behaviours hide paymentsByMerchantId
    refused = {"errors": [{"message": 'Cannot query field "paymentsByMerchantId" on type "Party".'}]}

    found = peer_differences(_samples(OURS), {"MerchantView": [{"status": 400, "body": refused}]})

    assert len(found) == 1 and "Cannot query field" in found[0], found


def test_escrow_and_the_credit_line_count() -> None:
    for change in ({"escrowHeld": "23801"}, {"lineByPartyId": {"limitFen": "500000", "outstandingPrincipal": "1"}}):
        peer = copy.deepcopy(PEER)
        peer["data"]["partyById"].update(change)
        assert peer_differences(_samples(OURS), _samples(peer)), change
