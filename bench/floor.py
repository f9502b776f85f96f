"""The ``sql-floor`` peer: a bare Starlette app, one endpoint per contract read, ONE SQL statement each.

No GraphQL: the endpoint checks the bearer token with PyJWT (same secret and claims as
the gateway), decodes its one variable and returns the text PostgreSQL built
(``bench/floor_sql.py``) as the response body. What is left is the least any Python
server must do for the same JSON: the floor of issue 7's goals 1 and 2.

``/pay`` is the same for a WALLET ``createPayment``: the token, the variables, and the
gateway's own one statement (idempotency key, payment and escrow hold), answered in the
mutation's shape. It is not a goal's floor; it shows what a Python HTTP endpoint at
its barest reaches against the bare-asyncpg ledger floor on the same machine (goal 3).

Served like the gateway: ``uvicorn bench.floor:app_from_env --factory`` with
``DATABASE_URL``, ``FINGRAPH_JWT_SECRET``, ``FINGRAPH_NOW`` and ``FINGRAPH_POOL_MAX``.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench import floor_sql
from gateway.auth import ALGORITHM, ISSUER
from gateway.idempotency import keyed_call_statement, request_hash
from services.kernel.clock import Clock
from services.kernel.errors import DomainError
from services.kernel.ids import decode_id
from services.kernel.money import parse_amount
from services.kernel.principal import Principal, Role
from services.payments.service import wallet_payment

Handler = Callable[[Request], Awaitable[Response]]


class Denied(Exception):
    """The request is not allowed (bad token or wrong role): 401/403 like any API would."""


def _claims(request: Request, secret: str) -> dict[str, Any]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Denied("no bearer token")
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                                            options={"verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError as exc:
        raise Denied(str(exc)) from exc
    return claims


def _cursor_bound(after: Any) -> int:
    """The keyset bound of ``after`` (``c:<id>`` in url-safe base64); no cursor: above every id."""
    if after is None:
        return floor_sql.AFTER_ALL
    prefix, _, digits = base64.urlsafe_b64decode(str(after).encode()).decode().partition(":")
    if prefix != "c" or not digits.isdigit():
        raise ValueError(f"invalid cursor {after!r}")
    return int(digits)


def build_app(*, dsn: str, secret: str, clock: Clock, pool_max: int) -> Starlette:
    pool: asyncpg.Pool | None = None

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=pool_max)
        try:
            yield
        finally:
            await pool.close()

    async def answer(statement: str, *args: Any) -> Response:
        assert pool is not None
        async with pool.acquire() as conn:
            body = await conn.fetchval(statement, *args)
        return Response(body, media_type="application/json")

    async def variables(request: Request) -> dict[str, Any]:
        payload = orjson.loads(await request.body()) if request.method == "POST" else {}
        found = payload.get("variables") or {}
        return found if isinstance(found, dict) else {}

    def endpoint(handle: Callable[[Request, dict[str, Any]], Awaitable[Response]]) -> Handler:
        async def run(request: Request) -> Response:
            try:
                return await handle(request, _claims(request, secret))
            except Denied as exc:
                return JSONResponse({"error": str(exc)}, status_code=401)
            except (ValueError, UnicodeError, DomainError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)

        return run

    def operator(claims: dict[str, Any]) -> None:
        if claims.get("role") != "operator":
            raise Denied("operator only")

    async def merchants_page(request: Request, claims: dict[str, Any]) -> Response:
        operator(claims)
        bound = _cursor_bound((await variables(request)).get("after"))
        return await answer(floor_sql.MERCHANTS_PAGE, bound, clock.today())

    async def consumer_home(request: Request, claims: dict[str, Any]) -> Response:
        decoded = decode_id(str(claims.get("party", "")), "Consumer")
        if claims.get("role") != "consumer" or decoded is None:
            raise Denied("consumer only")
        return await answer(floor_sql.CONSUMER_HOME, decoded[1], clock.now(), clock.today())

    async def merchant_view(request: Request, claims: dict[str, Any]) -> Response:
        operator(claims)
        decoded = decode_id(str((await variables(request)).get("id", "")), "Merchant")
        if decoded is None:
            return Response(b'{"data":{"merchant":null}}', media_type="application/json")
        return await answer(floor_sql.MERCHANT_VIEW, decoded[1], clock.now(), clock.today())

    async def pay(request: Request, claims: dict[str, Any]) -> Response:
        buyer = decode_id(str(claims.get("party", "")), "Consumer")
        if claims.get("role") != "consumer" or buyer is None:
            raise Denied("consumer only")
        given = await variables(request)
        merchant = decode_id(str(given.get("m", "")), "Merchant")
        if merchant is None:
            raise ValueError("no such merchant")
        amount = parse_amount(Decimal(str(given["a"])))
        call = wallet_payment(buyer_id=buyer[1], merchant_id=merchant[1], amount=amount, order_ref="order-1",
                              now=clock.now())
        request_key = {"amount": amount.fen, "merchant": merchant[1], "source": "WALLET", "order": "order-1"}
        owner = Principal(Role.CONSUMER, party_id=buyer[1]).key  # whose keys, as the gateway names them
        assert pool is not None
        async with pool.acquire() as conn:
            row = await conn.fetchrow(keyed_call_statement(call.function), owner, str(given["k"]), "createPayment",
                                      request_hash("createPayment", request_key), call.request_json())
        payment = orjson.loads(row["response"])
        return Response(orjson.dumps({"data": {"createPayment": {"payment": payment, "userErrors": []}}}),
                        media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return Response(b"ok")

    async def noop(_request: Request) -> Response:
        """No database, no token: what the load driver alone can push through HTTP (its ceiling)."""
        return Response(b'{"data":{"noop":true}}', media_type="application/json")

    routes = [
        Route("/merchants-page", endpoint(merchants_page), methods=["POST"]),
        Route("/consumer-home", endpoint(consumer_home), methods=["POST"]),
        Route("/merchant-view", endpoint(merchant_view), methods=["POST"]),
        Route("/pay", endpoint(pay), methods=["POST"]),
        Route("/healthz", healthz),
        Route("/noop", noop, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def app_from_env() -> Starlette:
    return build_app(dsn=os.environ["DATABASE_URL"], secret=os.environ["FINGRAPH_JWT_SECRET"],
                     clock=Clock.from_iso(os.environ["FINGRAPH_NOW"]),
                     pool_max=int(os.environ.get("FINGRAPH_POOL_MAX", "20")))
