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
    SHIPPED = "SHIPPED"
    CONFIRM_WINDOW_EXTENDED = "CONFIRM_WINDOW_EXTENDED"
    DISPUTE_OPENED = "DISPUTE_OPENED"
    DISPUTE_ACCEPTED = "DISPUTE_ACCEPTED"
    DISPUTE_REJECTED = "DISPUTE_REJECTED"
    DISPUTE_RESOLVED = "DISPUTE_RESOLVED"


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

#: The default buyer's confirm window: a shipped payment is confirmed automatically this
#: long after shipment (``GoodsFlowTerms.confirm_window``, ``FINGRAPH_CONFIRM_WINDOW_DAYS``).
CONFIRMATION_WINDOW = timedelta(days=10)


@dataclass(frozen=True, slots=True)
class GoodsFlowTerms:
    """The platform's goods-flow terms (settings; docs/adr/025-goods-flow-in-escrow.md).

    Each applies when its step happens and is then written on the payment (its
    ``confirm_by``), so changing a setting never moves a deadline already promised.
    """

    #: The buyer's auto-confirm window, counted from shipment.
    confirm_window: timedelta = CONFIRMATION_WINDOW
    #: How much one ``extendConfirmWindow`` adds (once per payment).
    extension: timedelta = timedelta(days=3)
    #: A held payment not shipped this long after it was made may be cancelled by the buyer.
    ship_within: timedelta = timedelta(days=3)


class DisputeStatus(str, Enum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    RESOLVED = "RESOLVED"


#: Disputes that stop the buyer's timer: the merchant or the operator still has to act.
OPEN_DISPUTE_STATUSES = frozenset({DisputeStatus.OPEN, DisputeStatus.REJECTED})


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
    #: The shipment the merchant recorded (``markShipped``); carrier and tracking number
    #: are None for payments shipped before they were recorded (migration 007).
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    #: When escrow releases itself unless the buyer confirms or is refunded first
    #: (``release_due_payments(as_of=...)`` releases the payment from this instant on).
    #: Set at shipment, moved by an extension, None while unshipped, while a dispute stops
    #: the timer, and once escrow holds nothing.
    confirm_by: datetime | None = None
    #: The buyer has used their one extension of the confirm window.
    extended: bool = False

    @property
    def held(self) -> Money:
        """What is still in escrow for this payment."""
        if self.status in HELD_STATUSES:
            return self.amount - self.refunded
        return Money.zero(self.amount.currency)


@dataclass(frozen=True, slots=True)
class DisputeStep:
    """One step of a dispute's history: who did what, with what amount and note."""

    dispute_id: int
    action: str
    actor: str
    amount: Money | None
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Dispute:
    """A buyer's claim on a held payment: ``amount`` asked back for ``reason``."""

    id: int
    payment_id: int
    buyer_id: int
    merchant_id: int
    status: DisputeStatus
    amount: Money
    reason: str
    opened_at: datetime
    closed_at: datetime | None
    #: What was left of the confirm window when the dispute stopped it (None: not shipped).
    timer_left: timedelta | None


@dataclass(frozen=True, slots=True)
class DisputeOutcome:
    """What a dispute step answers (and an idempotency key keeps): the dispute and its payment."""

    dispute: Dispute
    payment: Payment


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
