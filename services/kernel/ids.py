"""Opaque, typed, stable IDs: ``mer_42`` is Merchant 42, ``pay_7`` is Payment 7.

The prefix names the type so that ``node(id:)`` can refetch any entity and a Payment
id passed where a Merchant id is expected is refused rather than misread.
"""

from __future__ import annotations

PREFIXES: dict[str, str] = {
    "Consumer": "con",
    "Merchant": "mer",
    "Payment": "pay",
    "Partner": "ptn",
    "CreditLine": "crl",
    "Drawdown": "drw",
    "Fund": "fnd",
    "Dispute": "dsp",
}
_TYPES = {prefix: type_name for type_name, prefix in PREFIXES.items()}


def encode_id(type_name: str, pk: int) -> str:
    return f"{PREFIXES[type_name]}_{pk}"


def decode_id(value: str, *expected: str) -> tuple[str, int] | None:
    """``(type_name, pk)`` for a well-formed id of one of the ``expected`` types, else None."""
    prefix, sep, digits = value.partition("_")
    type_name = _TYPES.get(prefix)
    if not sep or type_name is None or not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    if expected and type_name not in expected:
        return None
    return type_name, int(digits)
