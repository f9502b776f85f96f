"""The payments domain: parties, wallets and escrow payments, as frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from services.kernel.money import Money

#: The channel subscribers listen on for payment events; payloads are JSON (``outbox.payment_events_after``).
PAYMENT_EVENTS_CHANNEL = "fingraph_payment_events"


class PaymentEventKind(str, Enum):
    CREATED = "CREATED"
    RELEASED = "RELEASED"
    REFUNDED = "REFUNDED"


class PartyKind(str, Enum):
    CONSUMER = "CONSUMER"
    MERCHANT = "MERCHANT"


class PaymentStatus(str, Enum):
    HELD = "HELD"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    RELEASED = "RELEASED"
    REFUNDED = "REFUNDED"


#: Statuses in which part of the payment still sits in escrow.
HELD_STATUSES = frozenset({PaymentStatus.HELD, PaymentStatus.PARTIALLY_REFUNDED})

#: HELD payments are confirmed automatically this long after they were made.
CONFIRMATION_WINDOW = timedelta(days=10)


def payment_status(*, amount: Money, refunded: Money, released: bool) -> PaymentStatus:
    """Where a payment stands once ``refunded`` of its ``amount`` went back to the buyer.

    Everything refunded is REFUNDED whenever it happened; otherwise a released payment
    stays RELEASED (a later refund came from the merchant's wallet), and a held one is
    PARTIALLY_REFUNDED once any part went back, the rest still in escrow.
    """
    if refunded == amount:
        return PaymentStatus.REFUNDED
    if released:
        return PaymentStatus.RELEASED
    return PaymentStatus.PARTIALLY_REFUNDED if refunded.fen else PaymentStatus.HELD


class FundingSource(str, Enum):
    WALLET = "WALLET"
    FUND = "FUND"
    CREDIT = "CREDIT"


class SystemAccount(str, Enum):
    """The platform's own ledger accounts (hot: balances derive from postings)."""

    ESCROW = "ESCROW"
    BANK_SETTLEMENT = "BANK_SETTLEMENT"
    FUND_CUSTODY = "FUND_CUSTODY"
    FUND_INCOME = "FUND_INCOME"
    LOAN_BOOK = "LOAN_BOOK"
    INTEREST_INCOME = "INTEREST_INCOME"
    FEE_INCOME = "FEE_INCOME"

    def code(self, currency: str = "CNY") -> str:
        return f"{self.value}:{currency}"


def wallet_code(party_id: int, currency: str = "CNY") -> str:
    return f"WALLET:{party_id}:{currency}"


@dataclass(frozen=True, slots=True)
class Party:
    id: int
    kind: PartyKind
    name: str
    real_name_verified: bool
    certified: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Wallet:
    party_id: int
    balance: Money


@dataclass(frozen=True, slots=True)
class Payment:
    id: int
    buyer_id: int
    merchant_id: int
    amount: Money
    refunded: Money
    fee: Money
    status: PaymentStatus
    funding_source: FundingSource
    order_ref: str
    created_at: datetime
    released_at: datetime | None

    @property
    def held(self) -> Money:
        """What is still in escrow for this payment."""
        if self.status in HELD_STATUSES:
            return self.amount - self.refunded
        return Money.zero(self.amount.currency)

    @property
    def confirm_by(self) -> datetime | None:
        """When escrow releases itself unless the buyer confirms or is refunded first;
        ``release_due_payments(as_of=...)`` releases the payment from this instant on."""
        if self.status in HELD_STATUSES:
            return self.created_at + CONFIRMATION_WINDOW
        return None


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """One line of the trial balance: an account group and its balance from postings."""

    code: str
    balance: Money


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting of a journal entry: ``amount`` (signed fen) to the account ``code``."""

    code: str
    fen: int
