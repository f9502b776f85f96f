"""A closed-loop HTTP load driver: N clients, each sending its next request when the last returns.

Like ``wrk``: a warm-up period that is not counted, then a fixed measuring window.
A request counts if it both starts and ends inside the window; its latency is the
time from sending to having read and checked the whole response.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx


class Scenario(Protocol):
    name: str

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

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, int(fraction * len(ordered) + 0.5) - 1))]

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
        }


async def drive(
    base_url: str, scenario: Scenario, *, concurrency: int, duration: float, warmup: float
) -> LoadResult:
    """Run ``scenario`` with ``concurrency`` clients for ``warmup`` + ``duration`` seconds."""
    result = LoadResult(scenario.name, concurrency, duration)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        begin = time.perf_counter() + warmup
        end = begin + duration

        async def client(number: int) -> None:
            while (sent := time.perf_counter()) < end:
                body, headers = scenario.next_request(number)
                try:
                    response = await http.post("/graphql", json=body, headers=headers)
                    problem = scenario.check(number, response.status_code, response.json())
                except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                done = time.perf_counter()
                if sent < begin or done > end:
                    continue
                result.latencies_ms.append((done - sent) * 1000)
                if problem is not None:
                    result.errors += 1
                    result.error_sample = result.error_sample or problem[:500]

        await asyncio.gather(*(client(n) for n in range(concurrency)))
    return result
