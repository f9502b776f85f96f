"""The facts a PostGraphile answer shares with fingraph's, so the bench can hold them equal.

PostGraphile answers the mapped documents of ``bench/postgraphile.py``: raw bigint ids,
money as integer fen strings, raw rows where fingraph derives (``OMITTED`` says what). A
rate means nothing if the peer read other rows, or none: before measuring, the sample
answers of each PostGraphile are reduced to the facts both answer (ids, names, kinds,
payments with status and amount, the wallet, escrow, the credit line's limit and
principal, the fund, a holding's units where no order is pending, hasNextPage) and
compared with the same reduction of ``ours-standard``'s sample answers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.kernel.ids import decode_id


def _pk(value: str) -> int:
    """``mer_41`` (ours) or ``"41"`` (PostGraphile's raw bigint) as 41."""
    decoded = decode_id(value)
    return decoded[1] if decoded is not None else int(value)


def _fen(value: Any) -> int | None:
    """``{"amount": "128.00"}`` (ours, yuan) or ``"12800"`` (PostGraphile, fen) as 12800."""
    if value is None:
        return None
    if isinstance(value, dict):
        return int(Decimal(value["amount"]) * 100)
    return int(value)


def _line(line: dict[str, Any] | None) -> tuple[int | None, int | None] | None:
    if line is None:
        return None
    return (_fen(line.get("limit") or line.get("limitFen")), _fen(line["outstandingPrincipal"]))


def _units(holding: dict[str, Any] | None) -> str | None:
    """A holding's units, where both sides can agree on them: ours settles orders due today,
    PostGraphile gives the raw row and its pending orders; so with pending orders, no figure."""
    if holding is None or holding.get("ordersByFundIdAndPartyId", {}).get("nodes"):
        return None
    return str(holding["units"])


def _holding(party: dict[str, Any]) -> dict[str, Any] | None:
    """The party's holding of the fund; an empty one (no units, none pending, no income) as none:
    fingraph answers a party without a holding row with zeros, PostGraphile with no row."""
    if "fundHolding" in party:
        holding = party["fundHolding"]
    else:
        nodes = party["holdingsByPartyId"]["nodes"]
        holding = nodes[0] if nodes else None
    if holding is None:
        return None
    figures = [holding["units"], holding.get("pendingUnits", "0"), holding.get("totalIncome") or "0"]
    amounts = [Decimal(f["amount"] if isinstance(f, dict) else f) for f in figures]
    pending = holding.get("ordersByFundIdAndPartyId", {}).get("nodes")
    return None if not any(amounts) and not pending else holding


def _payments(connection: dict[str, Any], other_party: str) -> list[tuple[Any, ...]]:
    found = []
    for edge in connection["edges"]:
        node = edge["node"]
        party: Any = None
        if other_party == "buyer":
            party = _pk(node["buyer"]["id"]) if "buyer" in node else _pk(node["buyerId"])
        elif other_party == "merchant":
            merchant = node.get("merchant") or node["partyByMerchantId"]
            party = (_pk(merchant["id"]), merchant["name"])
        found.append((_pk(node["id"]), node["status"], _fen(node["amount"]), party))
    return found


def _party(party: dict[str, Any] | None, *, payments: str, other_party: str) -> dict[str, Any] | None:
    if party is None:
        return None
    holding = _holding(party)
    wallet = party.get("wallet")
    if wallet is None and "accountsByPartyId" in party:
        nodes = party["accountsByPartyId"]["nodes"]
        wallet = nodes[0] if nodes else None
    received = party.get("receivedPayments") or party.get("payments") or party.get(payments)
    facts: dict[str, Any] = {
        "id": _pk(party["id"]), "name": party["name"],
        "payments": _payments(received, other_party) if received is not None else None,
        "line": _line(party.get("creditLine", party.get("lineByPartyId"))),
        "units": _units(holding),
    }
    if wallet is not None:
        facts["wallet"] = _fen(wallet.get("balance"))
    if "escrowHeld" in party:
        facts["escrow"] = _fen(party["escrowHeld"])
    if received is not None and "pageInfo" in received:
        facts["more_payments"] = received["pageInfo"]["hasNextPage"]
    if holding is not None and ("fund" in holding or "fundByFundId" in holding):
        fund = holding.get("fund") or holding["fundByFundId"]
        income = holding["totalIncome"]  # ours Money, PostGraphile the numeric column: both yuan
        facts["fund"] = (fund["code"], fund["name"], Decimal(income["amount"] if isinstance(income, dict) else income))
    return facts


def shared_facts(read: str, body: Any) -> Any:
    """The facts of one answer (``read`` names the contract query) that both servers answer."""
    if not isinstance(body, dict) or body.get("errors") or not body.get("data"):
        return {"not an answer": body}
    top = next(iter(body["data"].values()))
    if read == "MerchantsPage":
        if top is None:
            return None
        return {"merchants": [_party(edge["node"], payments="paymentsByMerchantId", other_party="")
                              for edge in top["edges"]],
                "more": top["pageInfo"]["hasNextPage"]}
    if read == "ConsumerHome":
        return _party(top, payments="paymentsByBuyerId", other_party="merchant")
    return _party(top, payments="paymentsByMerchantId", other_party="buyer")


def peer_differences(reference: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    """Where a PostGraphile's sample answers differ from ``ours-standard``'s, in their shared facts."""
    found = []
    for read, expected in reference.items():
        got = peer.get(read, [])
        if len(got) != len(expected):
            found.append(f"{read}: {len(got)} answers instead of {len(expected)}")
        for number, (want, have) in enumerate(zip(expected, got, strict=False)):
            ours, theirs = shared_facts(read, want["body"]), shared_facts(read, have["body"])
            if have["status"] != 200 or ours != theirs:
                found.append(f"{read} #{number}: {_first_difference(ours, theirs, '')}")
    return found


def _first_difference(ours: Any, theirs: Any, path: str) -> str:
    """Where two reductions part: the path and both values, short enough to read."""
    if isinstance(ours, dict) and isinstance(theirs, dict) and ours.keys() == theirs.keys():
        for key in ours:
            if ours[key] != theirs[key]:
                return _first_difference(ours[key], theirs[key], f"{path}.{key}")
    if isinstance(ours, list | tuple) and isinstance(theirs, list | tuple) and len(ours) == len(theirs):
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            if mine != other:
                return _first_difference(mine, other, f"{path}[{index}]")
    return f"{path or 'answer'}: ours {str(ours)[:300]}, postgraphile {str(theirs)[:300]}"
