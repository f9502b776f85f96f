"""Money as integer minor units (fen) plus a currency; never a float.

Amounts arrive at the API as ``Decimal`` strings. ``parse_amount`` is the one place
that turns such a number into fen, and it refuses rather than rounds: more than two
decimals, zero, negative or over ``MAX_AMOUNT_FEN`` all raise ``INVALID_AMOUNT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.kernel.errors import DomainError, ErrorCode

CNY = "CNY"
FEN_PER_YUAN = 100
#: The largest amount one operation may move: 1,000,000,000.00 CNY.
MAX_AMOUNT_FEN = 1_000_000_000 * FEN_PER_YUAN


@dataclass(frozen=True, slots=True)
class Money:
    fen: int
    currency: str = CNY

    @classmethod
    def zero(cls, currency: str = CNY) -> Money:
        return cls(0, currency)

    @property
    def amount(self) -> Decimal:
        """The amount in yuan, exactly, with two decimals."""
        return (Decimal(self.fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.fen + other.fen, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.fen - other.fen, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.fen, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def parse_amount(value: Decimal, *, field: str = "amount", currency: str = CNY) -> Money:
    """A positive amount of at most two decimals and at most ``MAX_AMOUNT_FEN``, as Money."""
    if not value.is_finite():
        raise DomainError(ErrorCode.INVALID_AMOUNT, "amount must be a finite number", field=field)
    if value <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"amount must be positive, got {value}", field=field)
    if value * FEN_PER_YUAN > MAX_AMOUNT_FEN:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            f"amount must be at most {Money(MAX_AMOUNT_FEN).amount}",
            field=field,
        )
    fen = value * FEN_PER_YUAN
    exponent = value.as_tuple().exponent
    # "1.000" is exact, but it is written with three decimals: refused like "1.001".
    if fen != fen.to_integral_value() or (isinstance(exponent, int) and exponent < -2):
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            f"amount {value} has more than 2 decimals; send at most 2 (amounts are never rounded)",
            field=field,
        )
    return Money(int(fen), currency)
