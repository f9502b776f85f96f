"""Hostile values for the fuzz: scalar literals for hypothesis-graphql, variables, and raw bodies.

Everything a client could send that the API must refuse cleanly: NUL characters,
digits of other scripts, huge strings and numbers, exponents, wrong types, malformed
JSON and shapes. Valid values are mixed in so that generated mutations also succeed
(and move money) some of the time.
"""

from __future__ import annotations

import json
import string
from typing import Any

from graphql import (
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from hypothesis import strategies as st

#: Strings that have broken, or could break, a reader of input.
NASTY_STRINGS = [
    "\x00", "a\x00b", "\x00" * 3, "\uff11\uff10\uff10", "\u0661\u0662\u0663", "१२", "\U0001d7cf\U0001d7ce\U0001d7ce", "1e5", "1E-2", " 1.00", "1.00 ",
    "+1", "--1", "\u22121", "NaN", "Infinity", "-0", "0x10", "1_000", "1,00", "", " ", "\u200b", "\ufeff",
    "\U0001f600", "\ud7ff", "' OR 1=1 --", "%s%n", "{{7*7}}", "\\", "\n\r\t", "mer_1", "con_1", "pay_1",
    "mer_0", "mer_-1", "mer_" + "9" * 30, "Merchant:1", "TWVyY2hhbnQ6MQ==", "x" * 300, "9" * 500,
]
#: Too big to print in a failure report: sent as variables only.
HUGE_STRINGS = ["x" * 70_000, "9" * 5000, "\x00" * 5000]
_AMOUNTS = ["1.00", "0.01", "10", "5000.00", "1000000000.00", "1000000000.01", "0", "-1", "1.001"]
_DATES = ["2026-11-19", "2026-11-20", "2026-11-21", "1900-01-01", "0001-01-01", "9999-12-31", "2026-02-30",
          "20261119", "\uff12\uff10\uff12\uff16-11-19"]
_DATETIMES = ["2026-11-20T10:00:00+08:00", "2026-11-19T00:00:00Z", "2026-11-20T10:00:00", "0001-01-01T00:00:00+14:00",
              "9999-12-31T23:59:59-12:00", "2026-13-01T00:00:00Z", "2026-11-20T25:00:00Z"]

nasty_text = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=20))
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False,
    allow_infinity=False), nasty_text,
)
#: Any JSON value, a little nested: the wrong type for most variables.
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _string(values: list[str]) -> st.SearchStrategy[ValueNode]:
    return st.one_of(st.sampled_from(values), nasty_text).map(lambda v: StringValueNode(value=v))


_number_literals = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: IntValueNode(value=str(n))),
    st.sampled_from(["9" * 45, "9" * 5000, "1" * 41]).map(lambda v: IntValueNode(value=v)),
    st.sampled_from(["1.5", "1e400", "1.0e-400", "0.1"]).map(lambda v: FloatValueNode(value=v)),
)


def _field(name: str, value: ValueNode) -> ObjectFieldNode:
    return ObjectFieldNode(name=NameNode(value=name), value=value)


def _representations(ids: list[str]) -> st.SearchStrategy[ValueNode]:
    type_names = st.sampled_from(["Merchant", "Consumer", "Payment", "Nope", "", "Query"])
    good = st.tuples(type_names, st.sampled_from(ids) | nasty_text).map(
        lambda t: ObjectValueNode(fields=(_field("__typename", StringValueNode(value=t[0])),
                                          _field("id", StringValueNode(value=t[1]))))
    )
    keyless = type_names.map(lambda t: ObjectValueNode(fields=(_field("__typename", StringValueNode(value=t)),)))
    return st.one_of(good, keyless, _number_literals, _string(["mer_1"]), st.just(ListValueNode(values=())))


def custom_scalars(ids: list[str]) -> dict[str, st.SearchStrategy[ValueNode]]:
    """Literals for the schema's own scalars (hypothesis-graphql cannot guess valid ones)."""
    return {
        "Decimal": st.one_of(_string(_AMOUNTS), _number_literals),
        "Date": st.one_of(_string(_DATES), _number_literals),
        "DateTime": st.one_of(_string(_DATETIMES), _number_literals),
        "_Any": _representations(ids),
    }


def variable_values(kind: str, ids: list[str]) -> st.SearchStrategy[Any]:
    """A value for a variable of GraphQL type ``kind``: often well typed, often not."""
    typed: dict[str, st.SearchStrategy[Any]] = {
        "Decimal": st.sampled_from(_AMOUNTS),
        "ID": st.sampled_from(ids),
        "String": st.sampled_from(["YEB", "order-1", "not as described", "Li Lei"]),
        "Int": st.integers(min_value=-5, max_value=200),
        "FundingSource": st.sampled_from(["WALLET", "FUND", "CREDIT"]),
        "Date": st.sampled_from(_DATES),
        "DateTime": st.sampled_from(_DATETIMES),
    }
    return st.one_of(typed[kind], nasty_text, json_values, st.sampled_from(HUGE_STRINGS))


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


#: Raw bodies: broken JSON, JSON of the wrong shape, and right shapes with wrong types.
raw_bodies = st.one_of(
    st.binary(max_size=60),
    st.text(string.printable, max_size=60).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([
        _deep(100_000), _deep(1_025), b'{"query": "{ __typename }", "variables": {"a": ' + b"9" * 5000 + b"}}",
        b'{"query": "{ __typename }", "x": "\xff\xfe"}', b'{"query": "\xed\xa0\x80"}', b"[]", b"[[]]", b"{}",
        b'{"query": "{ __typename }", "variables": NaN}', b'{"query": "{ __typename }"', b"\xef\xbb\xbf{}",
        b'{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "' + b"\\u0000" * 64 + b'"}}}',
        b'{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "' + b"z" * 64 + b'"}}}',
        b'{"query": "subscription { paymentEvents { kind } }"}',
    ]),
    st.fixed_dictionaries(
        {},
        optional={"query": json_values | st.just("{ __typename }"), "variables": json_values,
                  "operationName": json_values, "extensions": json_values},
    ).map(lambda v: json.dumps(v).encode()),
    st.lists(
        st.fixed_dictionaries({"query": st.just("{ __typename }")}, optional={"variables": json_values,
                              "extensions": json_values}) | json_values, min_size=1, max_size=12,
    ).map(lambda v: json.dumps(v).encode()),
)
