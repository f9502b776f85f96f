"""The comparison itself can fail: a harness that never sees a difference would prove nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from services.kernel.clock import Clock
from tests.compiled.dataset import DataSet
from tests.compiled.differential import Pair, body_diff, same_but_error_order
from tests.conftest import Server, running_app
from tests.support import CONSUMER_HOME


async def test_an_app_on_another_day_is_caught_with_a_readable_diff(
    apps: tuple[Server, Server], pair: Pair, data_set: DataSet
) -> None:
    # given a third app over the same database whose clock is 20 days later (the tokens still valid)
    _, standard = apps
    later = Clock(standard.clock.now() + timedelta(days=20))
    async with running_app(standard.settings, later) as other, httpx.AsyncClient(base_url=other.url) as client:
        skewed = Pair(compiled=client, standard=pair.standard)
        # when ConsumerHome (the account's age is in the credit profile) is compared across them
        with pytest.raises(AssertionError) as caught:
            await skewed.compare({"query": CONSUMER_HOME}, data_set.tokens["consumer itself"], kind="harness check")
    # then the failure shows the lines that differ, pretty-printed
    lines = str(caught.value).splitlines()
    assert "body (- standard, + compiled):" in lines
    assert any(line.startswith("-") and '"detail": "9 days on the platform' in line for line in lines)
    assert any(line.startswith("+") and '"detail": "29 days on the platform' in line for line in lines)


def test_the_same_json_spelled_differently_is_a_difference() -> None:
    diff = body_diff(b'{"data":{"a":1}}', b'{"data": {"a": 1}}')
    assert '-{"data":{"a":1}}' in diff and '+{"data": {"a": 1}}' in diff


def test_errors_in_another_order_are_the_same_answer_but_other_errors_are_not() -> None:
    one, two = '{"message": "a", "path": ["x"]}', '{"message": "b", "path": ["y"]}'
    body = '{"data": {"x": null, "y": null}, "errors": [%s, %s]}'
    assert same_but_error_order((body % (one, two)).encode(), (body % (two, one)).encode())
    assert not same_but_error_order((body % (one, two)).encode(), (body % (one, one)).encode())
    assert not same_but_error_order(b'{"data": {"x": 1, "y": 2}}', b'{"data": {"y": 2, "x": 1}}')
