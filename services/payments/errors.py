"""Error codes of the payments service (the shared codes, named for this domain)."""

from __future__ import annotations

from services.kernel.errors import DomainError, ErrorCode


def insufficient_funds(field: str = "amount") -> DomainError:
    return DomainError(ErrorCode.INSUFFICIENT_FUNDS, "the wallet balance is too low for this amount", field=field)


def payment_not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no such payment", field="paymentId")


def party_not_found(field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no such party", field=field)


def invalid_state(message: str, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message, field=field)


__all__ = ["DomainError", "ErrorCode", "insufficient_funds", "invalid_state", "party_not_found", "payment_not_found"]
