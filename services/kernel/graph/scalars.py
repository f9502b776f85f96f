"""The ``Decimal`` scalar: exact numbers travel as strings, never as floats.

Strawberry's default Decimal scalar accepts anything ``decimal.Decimal`` accepts
("1e9999", "NaN", floats). Ours accepts only a string in plain decimal notation of
ASCII digits (ADR 006, 016): ``\\d`` and ``Decimal()`` also read full-width
("\\uff11\\uff10\\uff10") and Arabic-Indic digits, and a JSON number is not a string. A malformed
literal or variable is a GraphQL validation error that names the value, not a crash
and not a silent rounding. Range and scale rules (positive, two decimals) are the
domain's and come back as ``userErrors``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.scalar import ScalarDefinition

# [0-9], not \d: re's \d matches any Unicode digit. re.ASCII keeps it so if edited.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?", re.ASCII)


def _parse_decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f'Decimal must be a string such as "100.00", got {_shown(value)}')
    text = value
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(f'Decimal must be a plain decimal string such as "100.00", got {_shown(text)}')
    return Decimal(text)


def _shown(value: Any) -> str:
    """The refused value for the message, cut short: a 5,000-digit number is not echoed whole."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


DECIMAL_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number as a string, e.g. "100.00". Never a float.',
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
)
