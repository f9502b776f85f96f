"""The funds service's expected failures, as the shared error codes."""

from __future__ import annotations

from services.kernel.errors import DomainError, ErrorCode


def fund_not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no such fund", field="fundCode")


def insufficient_units(field: str = "amount") -> DomainError:
    return DomainError(ErrorCode.INSUFFICIENT_FUNDS, "not enough confirmed fund units", field=field)


def instant_limit_exceeded(left: str) -> DomainError:
    return DomainError(
        ErrorCode.INSTANT_REDEMPTION_LIMIT_EXCEEDED,
        f"instant redemption is limited to 10000.00 per fund per day; {left} left today (use STANDARD)",
        field="amount",
    )


def invalid_state(message: str, *, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message, field=field)


def invalid_input(message: str, *, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field=field)
