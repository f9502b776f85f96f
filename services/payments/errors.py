"""Error codes of the payments service (the shared codes, named for this domain)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from services.kernel.errors import DomainError, ErrorCode


def insufficient_funds(field: str = "amount") -> DomainError:
    return DomainError(ErrorCode.INSUFFICIENT_FUNDS, "the wallet balance is too low for this amount", field=field)


def payment_not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no such payment", field="paymentId")


def dispute_not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no such dispute", field="disputeId")


def party_not_found(field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no such party", field=field)


def no_such_merchant() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no such merchant", field="merchantId")


def order_ref_too_long() -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, "orderRef must be at most 255 characters", field="orderRef")


def no_wallet() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "the buyer has no wallet in this currency", field="amount")


def invalid_state(message: str, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message, field=field)


#: What the refusals of the payments functions (FG001 reasons, migrations/004) mean.
REFUSALS: Mapping[str, Callable[[], DomainError]] = {
    "no_such_merchant": no_such_merchant,
    "order_ref_too_long": order_ref_too_long,
    "insufficient_funds": insufficient_funds,
    "no_wallet": no_wallet,
}

__all__ = [
    "REFUSALS", "DomainError", "ErrorCode", "dispute_not_found", "insufficient_funds", "invalid_state",
    "no_such_merchant", "no_wallet", "order_ref_too_long", "party_not_found", "payment_not_found",
]
