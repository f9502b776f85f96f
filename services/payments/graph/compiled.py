"""The payments slice in SQL for the compiled read path (see services/kernel/graph/compiled.py).

Each entry mirrors the resolver of the same field in ``types.py``; the differential
tests hold the two to identical answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.kernel.graph.compiled import (
    FieldSpecs,
    Guard,
    Leaf,
    Nested,
    Page,
    Row,
    Scope,
    iso_datetime,
    money,
    typed_id,
)
from services.payments.models import HELD_STATUSES

_SCOPE = "payments:read"
_OWN = Guard.party_row(_SCOPE)
#: Above every id: "no cursor" as a bound the (party, id DESC) indexes can range-scan.
_AFTER_ALL = "9223372036854775807"
_HELD = ", ".join(f"'{status.value}'" for status in sorted(HELD_STATUSES))


def one_party(kind: str, party_id: str, alias: str) -> str:
    """FROM clause of the party ``party_id`` (SQL) if it is of ``kind`` (``merchant(id:)``)."""
    return f"payments.parties {alias} WHERE {alias}.id = {party_id} AND {alias}.kind = '{kind}'"


def party_kind(party_id: str) -> str:
    """The party's kind (CONSUMER or MERCHANT), a scalar subquery: ``me`` picks its union member by it."""
    return f"(SELECT kind FROM payments.parties WHERE id = {party_id})"


def one_payment(payment_id: str, alias: str) -> str:
    """FROM clause of the payment ``payment_id`` (SQL); callers add their read rule with AND."""
    return f"payments.payments {alias} WHERE {alias}.id = {payment_id}"


def parties_rows(kind: str, limit: str, before: str) -> str:
    """Parties of ``kind``, newest first, as ``repository.parties_page`` pages them."""
    return (
        f"SELECT * FROM payments.parties WHERE kind = '{kind}' AND id < coalesce({before}, {_AFTER_ALL})"
        f" ORDER BY id DESC LIMIT {limit}"
    )


def paid_by(row: Row, merchant_id: str) -> str:
    """SQL: the consumer of ``row`` has paid the merchant ``merchant_id`` (the read rule's
    counterparty fact). A buyer reached through a payment carries that payment's merchant,
    which settles it without a lookup."""
    exists = (f"EXISTS (SELECT 1 FROM payments.payments paid WHERE paid.buyer_id = {row['id']}"
              f" AND paid.merchant_id = {merchant_id})")
    via = row.columns.get(_VIA_MERCHANT)
    return exists if via is None else f"({via} = {merchant_id} OR {exists})"


_VIA_MERCHANT = "via_payment_merchant_id"
#: ``Consumer.name``/``realNameVerified`` (Exposure.PERSONAL): itself, its counterparties, operators.
_PERSONAL = Guard(lambda row: row["id"], _SCOPE, counterparty=paid_by)


def _party(kind: str, column: str) -> Nested:
    def source(row: Row, _args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
        alias = scope.aliases()
        # The buyer of a payment remembers the payment's merchant for the counterparty rule.
        via = {_VIA_MERCHANT: row["merchant_id"]} if kind == "CONSUMER" else {}
        return f"payments.parties {alias} WHERE {alias}.id = {row[column]}", Row(alias, via)

    return Nested(source)


def _wallet(row: Row, _args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
    alias = scope.aliases()
    return f"payments.accounts {alias} WHERE {alias}.party_id = {row['id']} AND {alias}.kind = 'WALLET'", Row(alias)


def _payments(column: str) -> Page:
    def rows(row: Row, _scope: Scope, limit: str, before: str) -> str:
        return (
            f"SELECT * FROM payments.payments WHERE {column} = {row['id']}"
            f" AND id < coalesce({before}, {_AFTER_ALL}) ORDER BY id DESC LIMIT {limit}"
        )

    return Page(rows, _OWN)


def _party_fields(type_name: str) -> FieldSpecs:
    return {
        (type_name, "id"): Leaf(lambda row: typed_id(type_name, row["id"])),
        (type_name, "name"): Leaf(lambda row: row["name"], _PERSONAL if type_name == "Consumer" else None),
        (type_name, "wallet"): Nested(_wallet, _OWN),
    }


FIELDS: FieldSpecs = {
    **_party_fields("Merchant"),
    **_party_fields("Consumer"),
    ("Merchant", "certified"): Leaf(lambda row: row["certified"]),
    ("Merchant", "escrowHeld"): money(
        f"(SELECT coalesce(sum(h.amount - h.refunded), 0) FROM payments.payments h"
        f" WHERE h.merchant_id = {{id}} AND h.status IN ({_HELD}))",
        guard=_OWN,
    ),
    ("Merchant", "receivedPayments"): _payments("merchant_id"),
    ("Consumer", "realNameVerified"): Leaf(lambda row: row["real_name_verified"], _PERSONAL),
    ("Consumer", "payments"): _payments("buyer_id"),
    ("Wallet", "balance"): money("{balance}", "{currency}"),
    ("Payment", "id"): Leaf(lambda row: typed_id("Payment", row["id"])),
    ("Payment", "status"): Leaf(lambda row: row["status"]),
    ("Payment", "amount"): money("{amount}", "{currency}"),
    ("Payment", "heldAmount"): money(
        f"CASE WHEN {{status}} IN ({_HELD}) THEN {{amount}} - {{refunded}} ELSE 0 END", "{currency}"
    ),
    ("Payment", "refundedAmount"): money("{refunded}", "{currency}"),
    ("Payment", "fee"): money("{fee}", "{currency}"),
    ("Payment", "fundingSource"): Leaf(lambda row: row["funding_source"]),
    ("Payment", "orderRef"): Leaf(lambda row: row["order_ref"]),
    ("Payment", "createdAt"): Leaf(lambda row: iso_datetime(row["created_at"])),
    ("Payment", "releasedAt"): Leaf(lambda row: iso_datetime(row["released_at"])),
    ("Payment", "merchant"): _party("MERCHANT", "merchant_id"),
    ("Payment", "buyer"): _party("CONSUMER", "buyer_id"),
}
