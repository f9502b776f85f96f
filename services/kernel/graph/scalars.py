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
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import dateutil.parser
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


#: Where each scalar's format is specified (``@specifiedBy``), so client tools map them to
#: strings, not ``unknown`` (ADR 024). Decimal is the plain-notation subset of the General
#: Decimal Arithmetic numeric string (ASCII digits, an optional sign and point, no exponent);
#: Date and DateTime are RFC 3339's full-date and date-time (always with an offset).
DECIMAL_SPEC = "https://speleotrove.com/decimal/daconvs.html#refnumsyn"
DATE_SPEC = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
DATETIME_SPEC = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"

DECIMAL_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number as a string, e.g. "100.00": plain notation, no exponent. Never a float.',
    specified_by_url=DECIMAL_SPEC,
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
)


#: Business dates and instants the API reads: a year outside these made time-zone
#: arithmetic overflow (``date value out of range``) inside a resolver.
MIN_YEAR, MAX_YEAR = 1900, 9998
_When = TypeVar("_When", date, datetime)


def _parse_date(value: Any) -> date:
    example = 'Date must be an ISO 8601 date such as "2026-11-20"'
    if not isinstance(value, str) or not value.isascii():
        raise ValueError(f"{example}, got {_shown(value)}")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{example}, got {_shown(value)}") from None
    return _in_range(parsed, "Date", value)


def _parse_datetime(value: Any) -> datetime:
    example = 'DateTime must be an ISO 8601 instant with a UTC offset such as "2026-11-20T10:00:00+08:00"'
    if not isinstance(value, str) or not value.isascii():
        raise ValueError(f"{example}, got {_shown(value)}")
    try:
        parsed: datetime = dateutil.parser.isoparse(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{example}, got {_shown(value)}") from None
    if parsed.utcoffset() is None:
        # A naive instant means a different moment in every time zone: refused, not guessed.
        raise ValueError(f"{example}, got {_shown(value)} without an offset")
    return _in_range(parsed, "DateTime", value)


def _in_range(parsed: _When, kind: str, value: str) -> _When:
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"{kind} must fall in the years {MIN_YEAR}-{MAX_YEAR}, got {_shown(value)}")
    return parsed


def _isoformat(value: date) -> str:
    return value.isoformat()


# The same names as Strawberry's, stricter readers, and the format they follow.
DATE_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Date", description='A calendar date, RFC 3339 full-date: "2026-11-20".', serialize=_isoformat,
    parse_value=_parse_date, specified_by_url=DATE_SPEC,
)
DATETIME_SCALAR: ScalarDefinition = strawberry.scalar(
    name="DateTime", description='An instant with its UTC offset, RFC 3339 date-time: "2026-11-20T02:00:00+00:00".',
    serialize=_isoformat, parse_value=_parse_datetime, specified_by_url=DATETIME_SPEC,
)
