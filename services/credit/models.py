"""The credit domain as frozen values: ratings, profiles, lines, drawdowns, repayments, accruals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from services.kernel.money import Money

#: Overdue principal is charged this multiple of the line's daily rate (instead of the plain rate).
PENALTY_MULTIPLIER = Decimal("1.5")
DEFAULT_TERM_DAYS = 30
BASE_SCORE = 350
MAX_SCORE = 950
#: The best score each kind of party can really reach (docs/credit-score.md): a consumer can
#: be real-name verified but not certified (-60) and is never rated (RATINGS stays at the
#: neutral 50, -50); a merchant can be certified but not real-name verified (-40).
SCORE_CEILING = {"CONSUMER": 840, "MERCHANT": 910}


class LineStatus(str, Enum):
    ACTIVE = "ACTIVE"
    FROZEN = "FROZEN"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    points: int
    detail: str


@dataclass(frozen=True, slots=True)
class CreditProfile:
    party_id: int
    score: int
    band: str
    factors: tuple[Factor, ...]


@dataclass(frozen=True, slots=True)
class CreditLine:
    id: int
    party_id: int
    limit: Money
    daily_rate: Decimal
    term_days: int
    status: LineStatus
    outstanding_principal: Money
    accrued_interest: Money
    accrued_penalty: Money
    opened_at: datetime

    @property
    def available(self) -> Money:
        return self.limit - self.outstanding_principal

    @property
    def apr(self) -> Decimal:
        """Simple annual rate: daily rate x 365."""
        return self.daily_rate * 365


@dataclass(frozen=True, slots=True)
class Drawdown:
    id: int
    line_id: int
    amount: Money
    outstanding: Money
    drawn_at: datetime
    due_date: date
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Repayment:
    id: int
    line_id: int
    amount: Money
    penalty_paid: Money
    interest_paid: Money
    principal_paid: Money


@dataclass(frozen=True, slots=True)
class Accrual:
    date: date
    lines: int
    total_interest: Money
    total_penalty: Money
    residue: Decimal
    already_accrued: bool


@dataclass(frozen=True, slots=True)
class Rating:
    payment_id: int
    merchant_id: int
    stars: int
    comment: str
