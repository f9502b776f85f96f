"""Payments: parties, wallets, the double-entry ledger and escrow payments.

This is the public surface other services may use; they never touch its tables.
Credit and funds move money with ``post_entry``/``move`` inside their own transaction,
and read payment history through ``payment_history``; the gateway's commands (the demo
seeder, the event pump) reach the escrow operations and the outbox through ``schema``.
"""

from __future__ import annotations

from services.payments.funding import FundingProvider, register_funding_source
from services.payments.ledger import move, post_entry, system, wallet
from services.payments.models import (
    CONFIRMATION_WINDOW,
    PAYMENT_EVENTS_CHANNEL,
    FundingSource,
    Leg,
    Party,
    PartyKind,
    Payment,
    PaymentStatus,
    SystemAccount,
    Wallet,
    payment_status,
    wallet_code,
)
from services.payments.outbox import RETENTION as PAYMENT_EVENTS_RETENTION
from services.payments.outbox import payment_events_after, payment_events_cursor, purge_payment_events
from services.payments.parties import named_party, party_of_kind, party_ref
from services.payments.repository import (
    PaymentHistory,
    oldest_parties,
    parties_by_ids,
    parties_page,
    payment_history_by_party_ids,
    payment_history_sql,
    payments_by_ids,
    wallets_by_party_ids,
)
from services.payments.service import (
    confirm_receipt,
    create_party,
    create_payment,
    refund_payment,
    release_due_payments,
    top_up,
)

__all__ = [
    "CONFIRMATION_WINDOW",
    "PAYMENT_EVENTS_CHANNEL",
    "PAYMENT_EVENTS_RETENTION",
    "FundingProvider",
    "FundingSource",
    "Leg",
    "Party",
    "PartyKind",
    "Payment",
    "PaymentHistory",
    "PaymentStatus",
    "SystemAccount",
    "Wallet",
    "confirm_receipt",
    "create_party",
    "create_payment",
    "move",
    "named_party",
    "oldest_parties",
    "parties_by_ids",
    "parties_page",
    "party_of_kind",
    "party_ref",
    "payment_events_after",
    "payment_events_cursor",
    "payment_history_by_party_ids",
    "payment_history_sql",
    "payment_status",
    "payments_by_ids",
    "post_entry",
    "purge_payment_events",
    "refund_payment",
    "register_funding_source",
    "release_due_payments",
    "system",
    "top_up",
    "wallet",
    "wallet_code",
    "wallets_by_party_ids",
]
