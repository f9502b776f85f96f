"""SQL pieces of the payments slice for the compiled read path (services/kernel/graph/compiled.py).

The fields of ``types.py`` declare their specs with these; each mirrors the resolver
beside it, and the differential tests hold the two to identical answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.kernel.graph.compiled import Leaf, Nested, Page, Row, Scope, iso_datetime, money
from services.payments.models import PartyKind
from services.payments.repository import HELD_STATUSES_SQL as HELD_SQL

#: Above every id: "no cursor" as a bound the (party, id DESC) indexes can range-scan.
_AFTER_ALL = "9223372036854775807"


def one_party(kind: PartyKind, party_id: str, alias: str) -> str:
    """FROM clause of the party ``party_id`` (SQL) if it is of ``kind`` (``merchant(id:)``)."""
    return f"payments.parties {alias} WHERE {alias}.id = {party_id} AND {alias}.kind = '{kind.value}'"


def parties_at(kind: PartyKind, party_ids: str, alias: str) -> str:
    """FROM clause of the parties ``party_ids`` (SQL ``bigint[]``) in order: ``{alias}_at.n`` is each
    one's position, and ``{alias}`` the row if it exists and is of ``kind`` (else NULLs)."""
    return (f"unnest({party_ids}) WITH ORDINALITY AS {alias}_at(id, n)"
            f" LEFT JOIN payments.parties {alias} ON {alias}.id = {alias}_at.id AND {alias}.kind = '{kind.value}'")


def party_kind(party_id: str) -> str:
    """The party's kind (CONSUMER or MERCHANT), a scalar subquery: ``me`` picks its union member by it."""
    return f"(SELECT kind FROM payments.parties WHERE id = {party_id})"


def one_payment(payment_id: str, alias: str) -> str:
    """FROM clause of the payment ``payment_id`` (SQL); callers add their read rule with AND."""
    return f"payments.payments {alias} WHERE {alias}.id = {payment_id}"


def parties_rows(kind: PartyKind, limit: str, before: str, *, only: Callable[[str], str] | None = None) -> str:
    """Parties of ``kind``, newest first, as ``repository.parties_page`` pages them (``only``:
    among those where this predicate of the party's id holds)."""
    among = "" if only is None else f" AND {only('p.id')}"
    return (
        f"SELECT * FROM payments.parties p WHERE kind = '{kind.value}' AND id < coalesce({before}, {_AFTER_ALL})"
        f"{among} ORDER BY id DESC LIMIT {limit}"
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


def party(kind: PartyKind, column: str) -> Nested:
    """``Payment.merchant``/``buyer``: the party whose id is the payment's ``column``."""

    def source(row: Row, _args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
        alias = scope.aliases()
        # The buyer of a payment remembers the payment's merchant for the counterparty rule.
        via = {_VIA_MERCHANT: row["merchant_id"]} if kind is PartyKind.CONSUMER else {}
        return f"payments.parties {alias} WHERE {alias}.id = {row[column]}", Row(alias, via)

    return Nested(source)


def _wallet(row: Row, _args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
    alias = scope.aliases()
    return f"payments.accounts {alias} WHERE {alias}.party_id = {row['id']} AND {alias}.kind = 'WALLET'", Row(alias)


#: A party's wallet row.
WALLET = Nested(_wallet)


def payments_of(column: str) -> Page:
    """A party's payments (``buyer_id`` or ``merchant_id`` is its id), newest first."""

    def rows(row: Row, _scope: Scope, limit: str, before: str) -> str:
        return (
            f"SELECT * FROM payments.payments WHERE {column} = {row['id']}"
            f" AND id < coalesce({before}, {_AFTER_ALL}) ORDER BY id DESC LIMIT {limit}"
        )

    return Page(rows)


#: ``Merchant.escrowHeld``: what escrow holds for the merchant, as ``EscrowHeldByMerchantIdLoader`` sums it.
ESCROW_HELD = money(
    f"(SELECT coalesce(sum(h.amount - h.refunded), 0) FROM payments.payments h"
    f" WHERE h.merchant_id = {{id}} AND h.status IN ({HELD_SQL}))"
)
#: ``Payment.heldAmount``: ``models.Payment.held``.
HELD_AMOUNT = money(f"CASE WHEN {{status}} IN ({HELD_SQL}) THEN {{amount}} - {{refunded}} ELSE 0 END", "{currency}")

#: ``Payment.confirmBy``: the column the goods flow writes (``models.Payment.confirm_by``),
#: NULL unless held: the same guard as ``HELD_AMOUNT``, which the column's CHECK also says.
CONFIRM_BY = Leaf(
    lambda row: iso_datetime(f"CASE WHEN {row['status']} IN ({HELD_SQL}) THEN {row['confirm_by']} END")
)
