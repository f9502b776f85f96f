"""Error constructors of the credit service (codes from the shared ``ErrorCode``)."""

from __future__ import annotations

from services.kernel.errors import DomainError, ErrorCode


def no_credit_line(field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "no credit line: ask an operator to open one", field=field)


def limit_exceeded(available: str) -> DomainError:
    return DomainError(ErrorCode.CREDIT_LIMIT_EXCEEDED, f"at most {available} is available", field="amount")


def invalid_state(message: str, *, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message, field=field)


def invalid_input(message: str, *, field: str | None = None) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field=field)
