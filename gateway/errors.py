"""The answers Starlette would give in plain text, as GraphQL-style JSON errors.

Everything the gateway answers is JSON (``/metrics`` aside, which Prometheus reads): a
client, a proxy or the fuzz must never meet ``Internal Server Error`` or ``Method Not
Allowed`` as text/plain, nor a Python traceback. Two Starlette exception handlers:

- ``HTTPException`` (the router's 404 for an unknown path, 405 for a method a route does
  not take): ``{"errors": [{"message", "extensions": {"code"}}]}`` with the status and
  its headers (``Allow``).
- Any other exception that escaped the app (a failure outside GraphQL execution, which
  Strawberry never sees): a 500 whose message names only the request id; the exception
  itself goes to the log under that id, so an operator can find it and a client learns
  nothing of our insides.
"""

from __future__ import annotations

import logging

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gateway.middleware import new_request_id

log = logging.getLogger(__name__)

#: ``extensions.code`` of the statuses Starlette and Strawberry raise with a status only.
STATUS_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}
_GRAPHQL_PATH = "/graphql"


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (and any HTTPException a route raises) as a JSON error."""
    assert isinstance(exc, HTTPException)
    code = STATUS_CODES.get(exc.status_code, "BAD_REQUEST")
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        what = "GraphQL takes POST (and GET for queries)" if request.url.path == _GRAPHQL_PATH else f"use {allowed}"
        message = f"Method {request.method} is not allowed here: {what}"
    elif exc.status_code == 404:
        message = "Not found: this server answers at /graphql, /healthz and /metrics"
    else:
        message = str(exc.detail)
    return _json({"errors": [{"message": message, "extensions": {"code": code}}]}, exc.status_code,
                 dict(exc.headers or {}))


async def internal_error(request: Request, exc: Exception) -> Response:
    """An exception no layer below handled: logged in full, answered with the request id only."""
    state = request.scope.get("state")
    request_id = state.get("request_id") if isinstance(state, dict) else None
    request_id = request_id or new_request_id()
    log.error("unhandled error in %s %s (request id %s)", request.method, request.url.path, request_id,
              exc_info=exc)
    error = {"message": f"Internal server error (request id {request_id})",
             "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}}
    # The request-id middleware sits inside this handler's middleware: say the id here.
    return _json({"errors": [error]}, 500, {"X-Request-ID": request_id})


EXCEPTION_HANDLERS = {HTTPException: http_error, Exception: internal_error}
