"""A closed-loop HTTP load driver: N clients, each sending its next request when the last returns.

Each client has its own keep-alive connection (``KeepAliveConnection``, lean on CPU).

Like ``wrk``: a warm-up period that is not counted, then a fixed measuring window.
A request counts if it both starts and ends inside the window; its latency is the
time from sending to having read and checked the whole response.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

#: The header the gateway answers with: which executor built the response.
READ_PATH_HEADER = "fingraph-read-path"


def nearest_rank(ordered: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile ``fraction`` of sorted values (None if there are none)."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, int(fraction * len(ordered) + 0.5) - 1))]


class Scenario(Protocol):
    name: str
    #: Where the requests are POSTed ("/graphql", or a sql-floor endpoint).
    path: str

    def next_request(self, client: int) -> tuple[dict[str, Any], dict[str, str]]:
        """The JSON body and headers of client ``client``'s next POST /graphql."""

    def check(self, client: int, status: int, body: Any) -> str | None:
        """None if the response is the expected answer, else what is wrong with it."""


@dataclass
class LoadResult:
    name: str
    concurrency: int
    duration_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_sample: str | None = None
    #: Counted responses by their ``Fingraph-Read-Path`` header (none if the server sends none).
    read_paths: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        return nearest_rank(sorted(self.latencies_ms), fraction)

    def as_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "concurrency": self.concurrency,
            "duration_s": self.duration_s,
            "requests": self.requests,
            "requests_per_second": round(self.requests_per_second, 1),
            "p50_ms": rounded(self.percentile(0.50)),
            "p90_ms": rounded(self.percentile(0.90)),
            "p99_ms": rounded(self.percentile(0.99)),
            "max_ms": rounded(max(self.latencies_ms, default=None)),
            "errors": self.errors,
            "error_sample": self.error_sample,
            **self._read_path_share(),
        }

    def _read_path_share(self) -> dict[str, Any]:
        if not self.read_paths:
            return {}
        total = sum(self.read_paths.values())
        return {"read_paths": dict(self.read_paths), "compiled_share": round(self.read_paths["compiled"] / total, 3)}


class KeepAliveConnection:
    """One persistent HTTP/1.1 connection speaking just enough of the protocol for the benchmark.

    The load driver runs on the same 2 cores as the server it measures, so its own CPU per
    request is taken from the server: httpx costs several hundred microseconds a request,
    this a few tens (bytes in, bytes out, ``orjson``). Content-Length and chunked bodies;
    it reconnects when the server closes the connection.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """POST ``body`` as JSON; the status, the headers (lower-case names) and the decoded JSON."""
        payload = orjson.dumps(body)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                   f"Accept: application/json\r\nContent-Length: {len(payload)}\r\n{head}\r\n").encode() + payload
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        status_line, _, header_block = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").partition("\r\n")
        status = int(status_line.split(" ", 2)[1])
        found = {}
        for line in header_block.split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                found[name.strip().lower()] = value.strip()
        if found.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self.reader.readexactly(int(found.get("content-length", "0")))
        if found.get("connection", "").lower() == "close":
            await self.close()
        return status, found, orjson.loads(content)

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size + 2))
        await self.reader.readuntil(b"\r\n")
        return b"".join(part[:-2] for part in parts)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None


async def drive(
    base_url: str, scenario: Scenario, *, concurrency: int, duration: float, warmup: float
) -> LoadResult:
    """Run ``scenario`` with ``concurrency`` clients (one connection each) for ``warmup`` + ``duration`` s."""
    result = LoadResult(scenario.name, concurrency, duration)
    where = urlsplit(base_url)
    connections = [KeepAliveConnection(where.hostname or "127.0.0.1", where.port or 80) for _ in range(concurrency)]
    begin = time.perf_counter() + warmup
    end = begin + duration

    async def client(number: int) -> None:
        connection = connections[number]
        while (sent := time.perf_counter()) < end:
            body, headers = scenario.next_request(number)
            read_path = None
            try:
                status, response_headers, answer = await asyncio.wait_for(
                    connection.post(scenario.path, body, headers), timeout=60)
                read_path = response_headers.get(READ_PATH_HEADER)
                problem = scenario.check(number, status, answer)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    orjson.JSONDecodeError, ValueError, KeyError, TypeError, IndexError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                await connection.close()
            done = time.perf_counter()
            if sent < begin or done > end:
                continue
            result.latencies_ms.append((done - sent) * 1000)
            if read_path is not None:
                result.read_paths[read_path] += 1
            if problem is not None:
                result.errors += 1
                result.error_sample = result.error_sample or problem[:500]

    try:
        await asyncio.gather(*(client(n) for n in range(concurrency)))
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))
    return result
