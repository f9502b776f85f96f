"""Payment fields derived from its status and times, in every status: both paths alike, compiled.

The data set leaves payments HELD (shipped or not), RELEASED, REFUNDED and
PARTIALLY_REFUNDED; fields such as ``confirmBy`` (SQL in
``services/payments/graph/compiled.py``, the column the goods flow writes) answer null in
some of them and a time in others.
"""

from __future__ import annotations

from tests.compiled.dataset import DataSet
from tests.compiled.differential import Pair

PAYMENT_TIMES = (
    "query($id: ID!) { payment(id: $id) { status createdAt releasedAt confirmBy confirmWindowExtended"
    " heldAmount { amount } } }"
)


async def test_payment_times_answer_alike_and_compiled_in_every_status(pair: Pair, data_set: DataSet) -> None:
    seen: dict[str, set[bool]] = {}
    for payment_id in (i for i in data_set.ids if i.startswith("pay_")):
        outcome = await pair.compare({"query": PAYMENT_TIMES, "variables": {"id": payment_id}},
                                     data_set.tokens["operator"], kind="payment times")
        assert outcome.read_path == "compiled"
        payment = outcome.json()["data"]["payment"]
        if payment is not None:
            seen.setdefault(payment["status"], set()).add(payment["confirmBy"] is None)
    # The case is what it claims: held payments have a time once shipped (none before), the others none.
    assert seen.get("HELD") == {False, True}
    assert {True} in (seen.get("RELEASED"), seen.get("REFUNDED"))
