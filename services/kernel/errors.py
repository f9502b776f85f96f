"""Domain error codes shared by every service; mutations report them as ``userErrors``."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    INSTANT_REDEMPTION_LIMIT_EXCEEDED = "INSTANT_REDEMPTION_LIMIT_EXCEEDED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    INVALID_INPUT = "INVALID_INPUT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    FORBIDDEN = "FORBIDDEN"


class DomainError(Exception):
    """An expected failure of a business operation: nothing was changed."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
