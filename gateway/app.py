"""The Starlette application: GraphQL (and GraphiQL) at /graphql, /healthz and /metrics."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway import db, graphiql, graphiql_assets, persisted
from gateway.auth import secret_in_database
from gateway.availability import RETRY_AFTER_SECONDS, DatabaseAvailability, DatabaseAvailabilityMiddleware
from gateway.cost import QueryCostLimiter, operation_cost, reported_as_too_complex
from gateway.errors import EXCEPTION_HANDLERS
from gateway.events import EventHub
from gateway.extensions import FederatedTracing, MaskUnexpectedErrors, OperationMetrics, PartnerAccessLog
from gateway.graphql_view import FingraphGraphQL
from gateway.guards import GuardPipeline
from gateway.guards_ws import OpenOperations
from gateway.input_rules import NoNulInStringLiterals, RefuseUnreadableInput
from gateway.middleware import (
    BearerTokenBackend,
    BodyLimitMiddleware,
    RequestIdMiddleware,
    auth_error,
)
from gateway.ratelimit import OperationRateLimit, RateLimitMiddleware, counter_storage
from gateway.replicas import ReadRouting
from gateway.request_errors import OneOperationPerRequest, RequestParserCache
from gateway.settings import Settings
from schema import build_schema, wire_services
from schema.compiled import CompiledReads
from schema.subgraphs import subgraph_extensions
from services.kernel.clock import Clock

log = logging.getLogger(__name__)


def limit_rules(settings: Settings) -> list[Any]:
    """The validation rules of the query limits (depth, aliases, NUL characters)."""
    return [
        *map(reported_as_too_complex, QueryDepthLimiter(max_depth=settings.max_depth).validation_rules),
        *map(reported_as_too_complex, MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules),
        NoNulInStringLiterals,
    ]


def build_gateway_schema(settings: Settings) -> Any:
    # The limiters' validation rules are built once: rule classes made per request would
    # defeat the validation cache (its key includes the rules), and validating every
    # request costs more than executing a small mutation.
    limits = limit_rules(settings)
    extensions: list[Any] = [
        # Parse and validate each distinct document once per process.
        lambda: RequestParserCache(maxsize=1_000),
        lambda: AddValidationRules(limits),
        lambda: ValidationCache(maxsize=1_000),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: QueryCostLimiter(max_cost=settings.max_cost),
        # After ValidationCache: its refusal replaces validation's errors (see the class).
        RefuseUnreadableInput,
        # After every extension that refuses in on_validate: it codes their errors too.
        OneOperationPerRequest,
        MaskUnexpectedErrors,
        OperationMetrics,
        PartnerAccessLog,
        # ftv1 inline traces for federation routers, only when they ask for them.
        FederatedTracing,
        # After MaskUnexpectedErrors, so that it sees the errors before they are masked.
        DatabaseAvailability,
    ]
    if settings.subgraph is not None:
        extensions += subgraph_extensions(build_schema(), settings.subgraph)
    return build_schema(extensions=extensions, max_batch=settings.max_batch)


async def healthz(request: Request) -> Response:
    try:
        await request.app.state.pool.fetchval("SELECT 1")
    except Exception:
        log.exception("health check failed")
        # The pool replaces broken connections at their next use: the next check can pass.
        return JSONResponse({"status": "unavailable"}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return JSONResponse({"status": "ok"})


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """The gateway app for ``settings.database_url`` (the embedded server is started by the CLI)."""
    if settings.database_url is None:
        raise ValueError("create_app needs a database_url; `fingraph serve` starts the embedded server")
    dsn = settings.database_url
    clock = clock or Clock.from_iso(settings.now)
    wire_services()
    gateway_schema = build_gateway_schema(settings)
    graphql_app = FingraphGraphQL(gateway_schema, graphql_ide="graphiql" if settings.graphiql else None,
                                  subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await db.create_pool(
            dsn, min_size=settings.pool_min_size, max_size=settings.pool_max_size,
            statement_timeout_ms=settings.statement_timeout_ms,
        )
        try:
            async with pool.acquire() as conn:
                await db.migrate(conn)
                app.state.jwt_secret = settings.jwt_secret or await secret_in_database(conn)
            app.state.pool = pool
            app.state.events = EventHub(dsn)
            app.state.read_routing = None
            if settings.replica_urls:
                app.state.read_routing = await ReadRouting.open(
                    pool, settings.replica_urls, pool_max_size=settings.pool_max_size,
                    statement_timeout_ms=settings.statement_timeout_ms,
                    max_lag_seconds=settings.replica_max_lag_seconds, wait_seconds=settings.replica_wait_seconds,
                )
            async with contextlib.AsyncExitStack() as stack:
                if settings.worker:
                    from gateway.scheduler import Scheduler

                    scheduler = Scheduler(dsn=dsn, pool=pool, clock=clock, platform_fee_bps=settings.platform_fee_bps)
                    app.state.scheduler = await stack.enter_async_context(scheduler.running())
                yield
        finally:
            if getattr(app.state, "read_routing", None) is not None:
                await app.state.read_routing.close()
            if getattr(app.state, "events", None) is not None:
                await app.state.events.close()
            await pool.close()

    # One budget per principal, spent by every operation on every transport (gateway/guards.py).
    rate_limit = OperationRateLimit(settings.rate_limit, storage=counter_storage(settings.redis_url))
    assets = graphiql_assets.local_folder(settings.graphiql_assets) if settings.graphiql else None
    static = [Mount(graphiql.STATIC_PREFIX, StaticFiles(directory=assets))] if assets is not None else []
    app = Starlette(
        routes=[
            *static,
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/metrics", metrics_endpoint),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(DatabaseAvailabilityMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
            # A failed sign-in spends the client address's budget (brute force and floods pay).
            Middleware(AuthenticationMiddleware, backend=BearerTokenBackend(clock, failures=rate_limit),
                       on_error=auth_error),
            Middleware(RateLimitMiddleware, limit=rate_limit),
        ],
        # No plain-text answers: Starlette's 404/405 and any unexpected exception as JSON errors.
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    # No redirect of /graphql/ to /graphql: Starlette builds the Location from the client's
    # Host header (a poisoned cache would send others elsewhere). Other paths are 404s.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.clock = clock
    # Clients may register (APQ) only documents that would run: see persisted.Registrar.
    registrar = persisted.Registrar(persisted.runnable_check(
        gateway_schema._schema, limit_rules(settings), max_tokens=settings.max_tokens
    ))
    app.state.open_operations = OpenOperations(settings.max_subscriptions)
    app.state.guards = GuardPipeline(
        rate_limit=rate_limit, persisted_only=settings.persisted_only, registrar=registrar
    )
    app.state.graphiql_local_assets = assets is not None
    # The compiled read path answers for the whole graph only (a subgraph's schema is a slice).
    app.state.compiled_reads = (
        CompiledReads(graphql_app.schema, max_cost=settings.max_cost, cost=operation_cost)
        if settings.compiled_reads and settings.subgraph is None else None
    )
    return app


def app_from_env() -> Starlette:
    """For ``uvicorn --factory`` with several workers: settings from the environment."""
    return create_app(Settings.from_env())
