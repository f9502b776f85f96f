"""The base of every per-request loader: aiodataloader's, with futures a cancellation cannot spoil.

aiodataloader hands every caller asking for the same key the same cached future. A task
awaiting a bare future cancels that future when the task itself is cancelled, and
graphql-core cancels the sibling fields of a list item that failed (``gather_with_cancel``):
a FORBIDDEN item in an ``_entities`` batch cancelled the future its neighbour shared, and
the neighbour's ``CancelledError``, which is no ``Exception``, escaped as an HTTP 500.
Each caller here awaits a shield of the shared future, so cancelling one caller leaves the
value to the others.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiodataloader import DataLoader

from services.kernel.graph.context import GraphContext


class RequestLoader(DataLoader):  # type: ignore[type-arg]
    """A loader made once per request (``context.loader(Factory)``), with its pool and clock."""

    def __init__(self, context: GraphContext) -> None:
        super().__init__()
        self.pool = context.pool
        self.clock = context.clock

    def load(self, key: Any) -> asyncio.Future[Any]:
        return asyncio.shield(super().load(key))
