"""The access log's writer: a group commit shared by the requests of one pool (ADR 028).

Every partner read is logged before its answer leaves (ADR 007), and the log is as durable
as any write: the answer waits for its rows' commit. A commit costs PostgreSQL a
transaction id, a commit record and a WAL flush, which cost a partner's MerchantView more
than reading it. So the rows of the requests that arrive while one batch is being
committed wait and go together in the next: one INSERT and one commit for all of them, in
the order they arrived (so each request's rows keep their order and ids).

A failed batch fails every request in it (each answers with an error or, on the compiled
path, is answered again by the standard path, which logs again); nothing is lost silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from services.partners import repository
from services.partners.models import AccessRow

#: The batch being gathered for each pool (keyed by identity; an entry lives only while its
#: writer has work, so pools that closed leave nothing behind).
_writers: dict[int, _GroupCommit] = {}


class _GroupCommit:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.waiting: list[tuple[Sequence[AccessRow], asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    def add(self, rows: Sequence[AccessRow]) -> asyncio.Future[None]:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((rows, written))
        if self.task is None:
            self.task = asyncio.create_task(self._write())
        return written

    async def _write(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    await repository.insert_access_records(self.pool, [row for rows, _ in batch for row in rows])
                except Exception as failed:  # each request in the batch sees it
                    for _, written in batch:
                        if not written.done():
                            written.set_exception(failed)
                else:
                    for _, written in batch:
                        if not written.done():
                            written.set_result(None)
        finally:
            self.task = None
            if _writers.get(id(self.pool)) is self:
                del _writers[id(self.pool)]
            for _, written in self.waiting:  # only if this task was cancelled mid-batch
                if not written.done():
                    written.set_exception(asyncpg.InterfaceError("the access log's writer stopped"))


async def log_access(pool: asyncpg.Pool, rows: Sequence[AccessRow]) -> None:
    """Write ``rows`` to the access log, committed before this returns (raises if not)."""
    if not rows:
        return
    writer = _writers.get(id(pool))
    if writer is None or writer.pool is not pool or writer.task is None:
        writer = _writers[id(pool)] = _GroupCommit(pool)
    await asyncio.shield(writer.add(rows))
