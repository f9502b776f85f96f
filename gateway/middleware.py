"""ASGI middleware of the gateway: request ids, body size limit, HTTP metrics, bearer auth."""

from __future__ import annotations

import random
import time

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import metrics
from gateway.auth import InvalidToken, principal_from_token
from gateway.ratelimit import OperationRateLimit, OverLimit, client_address, client_key, too_many_requests
from services.kernel.clock import Clock
from services.kernel.principal import Principal

_KNOWN_PATHS = {"/graphql", "/healthz", "/metrics"}


class PrincipalUser(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.principal.key


class SignInsSpent(AuthenticationError):
    """A failed sign-in from a client address whose budget is spent: 429, not 401."""

    def __init__(self, over: OverLimit) -> None:
        super().__init__(f"Rate limit {over.rate} exceeded")
        self.over = over


class BearerTokenBackend(AuthenticationBackend):
    """No Authorization header: anonymous. A bad one: 401 before any GraphQL runs.

    A failed sign-in never reaches an operation, so the guard pipeline cannot count it;
    it is counted here, against the client address's budget (``anonymous:<ip>``), so that
    guessing tokens or flooding with bad ones is limited like anonymous requests are.
    """

    def __init__(self, clock: Clock, *, failures: OperationRateLimit | None = None) -> None:
        self.clock = clock
        self.failures = failures

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        headers = [header for header in conn.headers.getlist("authorization") if header]
        if not headers:
            return None
        try:
            if len(headers) > 1:
                # Proxies differ on which of two they pass on: never guess who is asking.
                raise AuthenticationError("Send one Authorization header, not several")
            principal = self._principal(conn, headers[0])
        except AuthenticationError:
            if self.failures is not None:
                over = await self.failures.hit(client_key(None, client_address(conn)))
                if over is not None:
                    raise SignInsSpent(over) from None
            raise
        return AuthCredentials(sorted(principal.scopes)), PrincipalUser(principal)

    def _principal(self, conn: HTTPConnection, header: str) -> Principal:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("Authorization must be 'Bearer <token>'")
        try:
            return principal_from_token(token.strip(), secret=conn.app.state.jwt_secret, now=self.clock.now())
        except InvalidToken as exc:
            raise AuthenticationError(f"Invalid token: {exc}") from exc


def auth_error(_conn: HTTPConnection, exc: Exception) -> Response:
    if isinstance(exc, SignInsSpent):
        return too_many_requests(exc.over)
    return JSONResponse(
        {"errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


def new_request_id() -> str:
    """32 random hex digits. A request id must be unique, not secret: no system entropy
    call per request (``uuid4`` reads os.urandom)."""
    return f"{random.getrandbits(128):032x}"


class RequestIdMiddleware:
    """Gives every request an id (``X-Request-ID`` if the client sent a sane one) and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope["path"] if scope["path"] in _KNOWN_PATHS else "other"
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.append("X-Request-ID", request_id)
                # Refused before any executor ran (bad JSON, no query, unknown operation,
                # a mutation by GET): the standard path's refusal, say so too.
                if scope["path"] == "/graphql" and "fingraph-read-path" not in headers:
                    headers.append("Fingraph-Read-Path", "standard")
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.http_request(scope["method"], path, status).inc()
            metrics.http_latency(path).observe(time.perf_counter() - started)


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._bounded_messages(receive, send), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counted_receive, send)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)

    def _bounded_messages(self, receive: Receive, send: Send) -> Receive:
        """A WebSocket message is held to the same bound as a request body: one over it closes
        the socket with 1009 (message too big), and the app sees the client leave."""

        async def bounded_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                text: str = message.get("text") or ""
                # Characters, unless they could be more bytes than the bound (up to 4 each in UTF-8).
                size = len(text) if len(text) * 4 <= self.max_bytes else len(text.encode())
                size += len(message.get("bytes") or b"")
                if size > self.max_bytes:
                    reason = f"Message over {self.max_bytes} bytes"
                    await send({"type": "websocket.close", "code": 1009, "reason": reason})
                    return {"type": "websocket.disconnect", "code": 1009, "reason": reason}
            return message

        return bounded_receive

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {
                "errors": [
                    {
                        "message": f"Request body over {self.max_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ]
            },
            status_code=413,
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
