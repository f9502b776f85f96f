"""Opaque, typed, stable IDs: ``mer_42`` is Merchant 42, ``pay_7`` is Payment 7.

The prefix names the type so that ``node(id:)`` can refetch any entity and a Payment
id passed where a Merchant id is expected is refused rather than misread. An object
keyed by more than one number joins them with ``_``: ``fhd_1_42`` is the holding of
fund 1 by party 42 (it exists, as zero units, before the party's first subscription).
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
    # One wallet per party: its id is the party's number.
    "Wallet": "wal",
    # (fund id, party id)
    "FundHolding": "fhd",
    "PaymentEvent": "pev",
}
#: How many numbers make each type's key (1 unless listed).
KEY_PARTS: dict[str, int] = {"FundHolding": 2}
_TYPES = {prefix: type_name for type_name, prefix in PREFIXES.items()}
_MAX_DIGITS = 18


def encode_id(type_name: str, *pk: int) -> str:
    if len(pk) != KEY_PARTS.get(type_name, 1):
        raise ValueError(f"{type_name} is keyed by {KEY_PARTS.get(type_name, 1)} numbers, got {pk}")
    return "_".join([PREFIXES[type_name], *(str(part) for part in pk)])


def id_type(value: str) -> str | None:
    """The type a well-formed id names (``node(id:)`` dispatches on it), else None."""
    decoded = decode_key(value)
    return decoded[0] if decoded is not None else None


def decode_key(value: str, *expected: str) -> tuple[str, tuple[int, ...]] | None:
    """``(type_name, key numbers)`` for a well-formed id of one of the ``expected`` types, else None."""
    prefix, sep, rest = value.partition("_")
    type_name = _TYPES.get(prefix)
    if not sep or type_name is None or (expected and type_name not in expected):
        return None
    parts = rest.split("_")
    if len(parts) != KEY_PARTS.get(type_name, 1):
        return None
    if not all(p.isascii() and p.isdigit() and len(p) <= _MAX_DIGITS for p in parts):
        return None
    return type_name, tuple(int(p) for p in parts)


def decode_id(value: str, *expected: str) -> tuple[str, int] | None:
    """``(type_name, pk)`` for a well-formed id of one of the ``expected`` single-key types, else None."""
    decoded = decode_key(value, *expected)
    if decoded is None or len(decoded[1]) != 1:
        return None
    return decoded[0], decoded[1][0]
