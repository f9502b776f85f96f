"""Payments: parties, wallets, the double-entry ledger and escrow payments.

This is the public surface other services may use; they never touch its tables.
Credit and funds move money with ``post_entry``/``move`` inside their own transaction,
and read payment history through ``payment_history``.
"""

from __future__ import annotations

from services.payments.funding import FundingProvider, register_funding_source
from services.payments.ledger import move, post_entry, system, wallet
from services.payments.models import (
    FundingSource,
    Leg,
    Party,
    PartyKind,
    Payment,
    PaymentStatus,
    SystemAccount,
    Wallet,
    wallet_code,
)
from services.payments.parties import named_party, party_of_kind, party_ref
from services.payments.repository import (
    PaymentHistory,
    oldest_parties,
    parties_by_ids,
    payment_history_by_party_ids,
    payment_history_sql,
    payments_by_ids,
    wallets_by_party_ids,
)
from services.payments.service import create_party, top_up

__all__ = [
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
    "create_party",
    "move",
    "named_party",
    "oldest_parties",
    "parties_by_ids",
    "party_of_kind",
    "party_ref",
    "payment_history_by_party_ids",
    "payment_history_sql",
    "payments_by_ids",
    "post_entry",
    "register_funding_source",
    "system",
    "top_up",
    "wallet",
    "wallet_code",
    "wallets_by_party_ids",
]
