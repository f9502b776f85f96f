"""The access log's one grouping rule (``group_reads``), without a database.

Both read paths log by it: the standard path over the reads its resolvers noted, the
compiled path when it plans the statement (ADR 020, 028).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.partners import PUBLIC_SCOPE, group_reads

pytestmark = pytest.mark.unit


def test_one_row_per_merchant_and_scope_in_the_order_first_read() -> None:
    notes = [
        (7, PUBLIC_SCOPE, "Merchant"), (9, PUBLIC_SCOPE, "Merchant"),
        (7, "payments:read", "Merchant.wallet"), (7, "credit:read", "Merchant.creditLine"),
        (7, "payments:read", "Merchant.escrowHeld"), (7, "payments:read", "Merchant.wallet"),
        (9, "payments:read", "Merchant.wallet"), (7, PUBLIC_SCOPE, "Merchant"),
    ]
    assert group_reads(notes) == [
        (7, PUBLIC_SCOPE, ["Merchant"]),
        (9, PUBLIC_SCOPE, ["Merchant"]),
        (7, "payments:read", ["Merchant.wallet", "Merchant.escrowHeld"]),
        (7, "credit:read", ["Merchant.creditLine"]),
        (9, "payments:read", ["Merchant.wallet"]),
    ]


def test_nothing_read_logs_nothing() -> None:
    assert group_reads([]) == []


_NOTE = st.tuples(st.integers(1, 4), st.sampled_from([PUBLIC_SCOPE, "payments:read", "credit:read"]),
                  st.sampled_from(["Merchant", "Merchant.wallet", "Merchant.creditLine", "Merchant.fundHolding"]))


@given(st.lists(_NOTE, max_size=40))
def test_every_read_is_logged_once_and_rows_follow_first_reads(notes: list[tuple[int, str, str]]) -> None:
    rows = group_reads(notes)
    assert sorted({(m, s, f) for m, s, fields in rows for f in fields}) == sorted(set(notes))
    assert all(len(fields) == len(set(fields)) for _, _, fields in rows)
    firsts = [next(i for i, (m, s, _) in enumerate(notes) if (m, s) == (merchant, scope)) for merchant, scope, _ in rows]
    assert firsts == sorted(firsts)
