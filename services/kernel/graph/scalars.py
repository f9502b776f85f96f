"""The ``Decimal`` scalar: exact numbers travel as strings, never as floats.

Strawberry's default Decimal scalar accepts anything ``decimal.Decimal`` accepts
("1e9999", "NaN", floats). Ours accepts plain decimal notation only, so a malformed
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

_PLAIN_DECIMAL = re.compile(r"-?\d{1,20}(\.\d{1,20})?")


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f'Decimal must be a string such as "100.00", got {value!r}')
    text = str(value)
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(f'Decimal must be a plain decimal string such as "100.00", got {text!r}')
    return Decimal(text)


def _serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


DECIMAL_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number as a string, e.g. "100.00". Never a float.',
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
)
