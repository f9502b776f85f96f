"""A request loader's callers do not share a cancellation (services/kernel/graph/loader.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest

from services.kernel.graph.loader import RequestLoader

pytestmark = pytest.mark.unit


class _SlowDouble(RequestLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[int]:
        await asyncio.sleep(0.05)
        return [key * 2 for key in keys]


def _loader() -> _SlowDouble:
    context: Any = SimpleNamespace(pool=None, clock=None)
    return _SlowDouble(context)


async def test_a_cancelled_caller_leaves_the_value_to_the_others() -> None:
    # As graphql-core cancels a failed list item's siblings while another field awaits the same key.
    loader = _loader()
    cancelled = asyncio.ensure_future(loader.load(21))
    kept = asyncio.ensure_future(loader.load(21))
    await asyncio.sleep(0)
    cancelled.cancel()

    assert await kept == 42
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await loader.load(21) == 42  # the cached value is not spoiled for later callers


async def test_many_keys_still_load_in_one_batch() -> None:
    loader = _loader()
    assert await loader.load_many([1, 2, 3]) == [2, 4, 6]
