"""Settings from the environment (and CLI flags that override it)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from gateway.embedded import default_data_dir


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value not in ("0", "false", "no", "off")


def _path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


@dataclass(frozen=True)
class Settings:
    #: PostgreSQL to use; None starts the embedded server in ``data_dir``.
    database_url: str | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    #: HS256 secret for bearer tokens; None keeps one in the data dir or the database.
    jwt_secret: str | None = None
    #: ISO 8601 instant that fixes the clock (``FINGRAPH_NOW``).
    now: str | None = None
    platform_fee_bps: int = 0
    pool_min_size: int = 2
    pool_max_size: int = 20
    statement_timeout_ms: int = 10_000
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    max_cost: int = 10_000
    #: Requests to /graphql per principal (or client address), in the ``limits`` notation.
    rate_limit: str = "1000/second"
    #: Most operations in one batched request (a JSON array).
    max_batch: int = 10
    #: Refuse documents that are not already persisted (production hardening).
    persisted_only: bool = False
    max_body_bytes: int = 1_000_000
    #: Serve GraphiQL to browsers at /graphql (``FINGRAPH_GRAPHIQL=0`` turns it off).
    graphiql: bool = True
    #: Demo mode (``--demo``, ``FINGRAPH_DEMO=1``): demo tokens printed, and GraphiQL
    #: prefills one for loopback clients. Off, no token is ever rendered into a page.
    demo: bool = False
    #: Serve only this service's slice as a federation subgraph (payments, credit, funds).
    subgraph: str | None = None
    #: A folder with GraphiQL's files (``gateway.graphiql_assets.FILES``, or a node_modules
    #: with react, react-dom and graphiql); None uses the copy ``make install`` fetched,
    #: else the CDN.
    graphiql_assets: Path | None = None
    #: In demo mode: GraphiQL prefills a token for this consumer (e.g. con_1).
    demo_consumer: str | None = None
    demo_merchant: str | None = None
    #: Answer cacheable cross-service reads with one compiled SQL statement (ADR 010);
    #: ``FINGRAPH_COMPILED_READS=0`` sends every operation through the standard executor.
    compiled_reads: bool = True
    #: How often an open subscription is held to its token's expiry and its partner's
    #: grants again (besides before each event), in seconds.
    subscription_recheck_seconds: float = 5.0
    #: Open WebSocket operations per principal (or anonymous client address), across its
    #: sockets, in this process (``FINGRAPH_MAX_SUBSCRIPTIONS``).
    max_subscriptions: int = 100
    #: Run a scheduler worker in this process (ADR 023). ``fingraph serve`` turns it on
    #: unless ``--no-worker`` (``FINGRAPH_WORKER=0``); an app built in code (tests) has none.
    worker: bool = False
    #: Redis holding the rate limit's counters, shared by every gateway process
    #: (``FINGRAPH_REDIS_URL``, e.g. ``redis://10.0.0.5:6379/0``); None counts in this process.
    redis_url: str | None = None
    #: Streaming replicas that answer queries (``FINGRAPH_REPLICA_URLS``, comma-separated
    #: DSNs); mutations, subscriptions and reads a replica cannot serve yet go to the primary.
    replica_urls: tuple[str, ...] = ()
    #: A replica that has not replayed what the primary had written this many seconds ago is skipped.
    replica_max_lag_seconds: float = 5.0
    #: How long a read that sends ``X-Fingraph-LSN`` waits for a replica to reach it, before the primary.
    replica_wait_seconds: float = 0.5

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        data_dir = os.environ.get("FINGRAPH_DATA_DIR")
        settings = cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            data_dir=Path(data_dir) if data_dir else default_data_dir(),
            jwt_secret=os.environ.get("FINGRAPH_JWT_SECRET") or None,
            now=os.environ.get("FINGRAPH_NOW") or None,
            platform_fee_bps=_int("FINGRAPH_PLATFORM_FEE_BPS", 0),
            pool_min_size=_int("FINGRAPH_POOL_MIN", 2),
            pool_max_size=_int("FINGRAPH_POOL_MAX", 20),
            statement_timeout_ms=_int("FINGRAPH_STATEMENT_TIMEOUT_MS", 10_000),
            max_depth=_int("FINGRAPH_MAX_DEPTH", 12),
            max_aliases=_int("FINGRAPH_MAX_ALIASES", 30),
            max_tokens=_int("FINGRAPH_MAX_TOKENS", 2_000),
            max_cost=_int("FINGRAPH_MAX_COST", 10_000),
            subgraph=os.environ.get("FINGRAPH_SUBGRAPH") or None,
            rate_limit=os.environ.get("FINGRAPH_RATE_LIMIT") or "1000/second",
            max_batch=_int("FINGRAPH_MAX_BATCH", 10),
            graphiql=_flag("FINGRAPH_GRAPHIQL", True),
            demo=_flag("FINGRAPH_DEMO", False),
            graphiql_assets=_path("FINGRAPH_GRAPHIQL_ASSETS"),
            demo_consumer=os.environ.get("FINGRAPH_DEMO_CONSUMER") or None,
            demo_merchant=os.environ.get("FINGRAPH_DEMO_MERCHANT") or None,
            persisted_only=os.environ.get("FINGRAPH_PERSISTED_ONLY", "") in ("1", "true", "yes"),
            max_body_bytes=_int("FINGRAPH_MAX_BODY_BYTES", 1_000_000),
            compiled_reads=os.environ.get("FINGRAPH_COMPILED_READS", "1") not in ("0", "false", "no"),
            subscription_recheck_seconds=float(os.environ.get("FINGRAPH_SUBSCRIPTION_RECHECK_SECONDS") or 5.0),
            max_subscriptions=_int("FINGRAPH_MAX_SUBSCRIPTIONS", 100),
            worker=_flag("FINGRAPH_WORKER", False),
            redis_url=os.environ.get("FINGRAPH_REDIS_URL") or None,
            replica_max_lag_seconds=float(os.environ.get("FINGRAPH_REPLICA_MAX_LAG_SECONDS") or 5.0),
            replica_wait_seconds=float(os.environ.get("FINGRAPH_REPLICA_WAIT_SECONDS") or 0.5),
            replica_urls=tuple(u.strip() for u in os.environ.get("FINGRAPH_REPLICA_URLS", "").split(",") if u.strip()),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
