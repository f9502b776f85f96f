"""The GraphQL-over-HTTP endpoint: Strawberry's ASGI view, held to the spec's letter.

- Clients that accept ``application/graphql-response+json`` get it; a request error
  (parse, validation, variable coercion: the operation never ran) is then a 400 with
  no ``data`` entry. Clients that ask for ``application/json`` (or nothing) get the
  legacy ``application/json`` with 200, still without ``data`` on request errors.
- Execution errors (auth, a failing resolver) are field errors: 200 and ``data``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import ExecutionResult, GraphQLError, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol, process_result
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.unset import UNSET, UnsetType

from gateway import graphiql, metrics, request_body
from gateway.auth import InvalidToken, principal_from_token
from gateway.context import RequestContext
from gateway.errors import STATUS_CODES
from gateway.guards import GuardPipeline, Refused
from gateway.guards_ws import GuardedTransportWSHandler
from gateway.middleware import PrincipalUser, new_request_id
from gateway.ratelimit import COUNTED, client_address, client_key
from gateway.replicas import LSN_HEADER, READ_FROM_HEADER, ReadRouting, is_query
from gateway.request_body import BAD_USER_INPUT, BadRequest
from gateway.request_errors import unnamed_choice
from schema.compiled import CompiledReads
from services.kernel.principal import Principal

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
#: Says which executor answered: ``compiled`` (one SQL statement, ADR 010) or ``standard``.
READ_PATH_HEADER = "Fingraph-Read-Path"
#: Apollo routers ask for ftv1 traces with it; traces come from the standard executor.
TRACE_HEADER = "apollo-federation-include-trace"


def preferred_media_type(accept: str) -> str:
    """The media type to answer with, from the Accept header (by q-value, then order)."""
    best, best_q = JSON, -1.0
    for position, part in enumerate(accept.split(",")):
        media, *params = [piece.strip() for piece in part.split(";")]
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in (GRAPHQL_RESPONSE_JSON, JSON, "application/*", "*/*") and q > best_q:
            chosen = GRAPHQL_RESPONSE_JSON if media in (GRAPHQL_RESPONSE_JSON,) else JSON
            best, best_q = chosen, q - position * 1e-6
    return best


def is_request_error(result: ExecutionResult | Any) -> bool:
    """No data and no error with a path: the operation was refused before it ran."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or [])


def _plain_json_post(request: Request) -> bool:
    """A POST of one JSON body that wants a JSON answer: no stream (multipart, SSE), no trace."""
    headers = request.headers
    accept, content_type = headers.get("accept", ""), headers.get("content-type", "")
    return (
        request.method == "POST"
        and (content_type == JSON or JSON in parse_content_type(content_type)[0])  # the view's own test
        and "multipart/" not in accept and "text/event-stream" not in accept
        and TRACE_HEADER not in headers
    )


class FingraphGraphQL(GraphQL[RequestContext, None]):
    #: Each WS message is held to the protocol's shapes (gateway/ws_input.py) and each
    #: subscribe passes the same guard pipeline as an HTTP operation (gateway/guards.py).
    graphql_transport_ws_handler_class = GuardedTransportWSHandler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Strawberry answers its own refusals in plain text; here every refusal of a request
        # (ours from ``request_body``, Strawberry's HTTPException) is a GraphQL error body.
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except BadRequest as refused:
            response = self._bad_request(request, refused)
        except HTTPException as refused:
            code = STATUS_CODES.get(refused.status_code, "BAD_REQUEST")
            response = self._bad_request(request, BadRequest(refused.reason, code=code, status=refused.status_code))
        await response(scope, receive, send)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        answer = None
        if context is UNSET and root_value is UNSET and isinstance(request, Request):
            answer = await self._compiled_answer(request)
        if answer is None:
            answer = await super().run(request, context, root_value)
        routing: ReadRouting | None = getattr(request.app.state, "read_routing", None)
        if routing is not None and getattr(request.state, "wrote", False) and isinstance(answer, Response):
            # After the mutation committed: the position a read must see to see it (gateway/replicas.py).
            answer.headers[LSN_HEADER] = await routing.commit_position()
        return answer

    async def _compiled_answer(self, request: Request) -> Response | None:
        """The compiled path's answer to a plain JSON POST, without Strawberry's request handling.

        The view's own work around an operation (content negotiation, body parsing,
        the result's processing) is a third of a small request's cost. A request the
        compiled path answers needs none of it: one JSON body, a cached document, a
        ``data`` answer. Anything else (None) goes to the view, which then does not
        try the compiled path a second time (``request.state.compiled_tried``).
        """
        state = request.app.state
        compiled: CompiledReads | None = state.compiled_reads
        user = request.scope.get("user")
        if (compiled is None or state.settings.persisted_only or not _plain_json_post(request)
                or not isinstance(user, PrincipalUser)):
            return None
        raw = await request.body()
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:  # json may still read it (integers past 64 bits): the view decides
            return None
        request_body.refuse_duplicate_keys(raw, body)  # a byte count on the usual body
        if not isinstance(body, dict) or body.keys() - {"query", "variables", "operationName"}:
            return None
        query, variables, name = body.get("query"), body.get("variables"), body.get("operationName")
        if not (isinstance(query, str) and isinstance(variables, dict | None) and isinstance(name, str | None)):
            return None
        if variables and request_body.nul_path(variables) is not None:  # the view's reader refuses it
            return None
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        try:
            # A partner's grants are read by the compiled statement itself, as of its snapshot
            # (ADR 020); the standard path reads them below if it answers instead.
            await self._admit(request, context, query=query, extensions=None, operation_name=name, grants=False)
        except Refused as refused:
            # A request error like the view's: the same media type and status rule (process_result).
            refusal = ExecutionResult(data=None, errors=[self._refusal(refused, sub_response, lone=True)])
            return self.create_response(await self.process_result(request, refusal), sub_response)
        request.state.compiled_tried = True
        answer = await compiled.answer(context, query=query, operation_name=name, variables=variables)
        if answer is None:
            guards: GuardPipeline = request.app.state.guards
            await guards.grants_as_of_now(context)
            # The view answers with this principal: it now carries the partner's grants.
            request.state.admitted_principal = context.principal
            return None
        self._count_compiled(compiled, query, name)
        sub_response.headers[READ_PATH_HEADER] = "compiled"
        sub_response.media_type = preferred_media_type(request.headers.get("accept", ""))
        # The statement wrote the body as ``encode_json`` would (``Answer.body``): sent as is.
        return self._response(answer.body(), sub_response)

    @staticmethod
    def _count_compiled(compiled: CompiledReads, query: str, operation_name: str | None) -> None:
        metrics.read_path("compiled").inc()
        metrics.graphql_operation(compiled.operation_type(query, operation_name), "ok").inc()

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        user = request.scope.get("user")
        state = request.app.state
        request.state.sub_response = response
        # Partner grants are read as of each operation by the guard pipeline (gateway/guards.py),
        # or, for a request the compiled path passed on, there already (``admitted_principal``).
        admitted: Principal | None = getattr(request.state, "admitted_principal", None)
        principal = admitted or (user.principal if isinstance(user, PrincipalUser) else None)
        context = RequestContext(
            pool=state.pool,
            clock=state.clock,
            principal=principal,
            request_id=request.scope.get("state", {}).get("request_id") or new_request_id(),
            platform_fee_bps=state.settings.platform_fee_bps,
            confirm_window_days=state.settings.confirm_window_days,
            confirm_extension_days=state.settings.confirm_extension_days,
            ship_within_days=state.settings.ship_within_days,
            events=state.events,
            request=request,
            token_secret=state.jwt_secret,
        )
        # A request the compiled path passed on to the view was admitted and routed there already.
        _routed(request, context, response)
        return context

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """graphql-transport-ws: a token may come in connection_init (browsers cannot set headers)."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if header is None:
            return None
        scheme, _, token = str(header).partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise InvalidToken("Authorization must be 'Bearer <token>'")
            context.principal = principal_from_token(
                token.strip(), secret=context.token_secret, now=context.clock.now()
            )
        except InvalidToken as exc:
            # A failed sign-in spends the client address's budget, as over HTTP (BearerTokenBackend).
            guards: GuardPipeline = context.request.app.state.guards
            await guards.rate_limit.hit(client_key(None, client_address(context.request)))
            raise ConnectionRejectionError({"message": f"Invalid token: {exc}"}) from exc
        return None

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        # ``?query=a&query=b``: as with a JSON key named twice, readers disagree on which wins.
        for name in ("query", "operationName", "variables", "extensions"):
            if len(params.getlist(name)) > 1:
                raise BadRequest(f"The query string names `{name}` twice: send each parameter once")
        return super().parse_query_params(params)

    def parse_json(self, data: str | bytes) -> Any:
        # Every JSON the view reads (a POST body, GET's variables and extensions) is read strictly.
        return request_body.read_json(data)

    def decode_json(self, data: str | bytes) -> object:
        # WebSocket messages: as strict, and a JSONDecodeError is what closes the socket with 4400.
        try:
            message = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise json.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None
        try:
            request_body.refuse_duplicate_keys(data, message, what="the message")
        except BadRequest as refused:
            raise json.JSONDecodeError(refused.message, data if isinstance(data, str) else data.decode(), 0) from None
        return message

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request(s) of a POST body or a GET query string, each checked by ``request_body``.

        Strawberry's own parsing trusts a batch's items to be objects of the right
        shape (a ``[1]`` batch or ``{"query": 5}`` in one was a 500); here every item,
        single or batched, is held to the same rules.
        """
        content_type, _ = parse_content_type(request.content_type or "")
        transport = self._get_stream_transport_from_headers(request.headers)
        protocol: GraphQLRequestProtocol = transport.protocol if transport else "http"
        data: object
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif "application/json" in content_type:
            data = self.parse_json(await request.get_body())
        elif self.multipart_uploads_enabled and content_type == "multipart/form-data":
            data = await self.parse_multipart(request)
        else:
            raise BadRequest(f"Unsupported content type {content_type!r}: send application/json",
                             code="UNSUPPORTED_MEDIA_TYPE", status=415)
        parsed = request_body.request_data(data, protocol=protocol)
        if isinstance(parsed, list):
            self._validate_batch_request(parsed, protocol=protocol)
        return parsed

    def _bad_request(self, request: Request, refused: BadRequest) -> Response:
        """A request refused before it ran, as GraphQL over HTTP answers one: ``errors`` only.

        Unreadable requests are 400 (405, 415) for every media type; a readable request
        with refused input values is a request error like a failed validation (400 for
        ``application/graphql-response+json``, 200 for legacy ``application/json``).
        """
        media_type = preferred_media_type(request.headers.get("accept", ""))
        status = refused.status
        if refused.code == BAD_USER_INPUT and media_type == JSON:
            status = 200
        metrics.GRAPHQL_ERRORS.labels(code=refused.code).inc()
        return Response(orjson.dumps(refused.as_response_body()), status_code=status, media_type=media_type)

    async def render_graphql_ide(self, request: Any) -> Response:
        return graphiql.render(request)

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A hash-only persisted query over GET has no `query` either: it is not a browser.
        # With GraphiQL off, a browser's GET is a request without a query (400), not a 404.
        return (self.graphql_ide is not None and super().should_render_graphql_ide(request)
                and "extensions" not in request.query_params)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> Any:
        # A lone POST the compiled path tried was admitted there already (its hit is spent).
        if not getattr(request.state, "admitted", False):
            try:
                request_data.query = await self._admit(
                    request, context, query=request_data.query, extensions=request_data.extensions,
                    operation_name=request_data.operation_name,
                )
            except Refused as refused:
                lone = not getattr(request.state, "batch", False)
                return ExecutionResult(data=None, errors=[self._refusal(refused, sub_response, lone=lone)])
        compiled: CompiledReads | None = request.app.state.compiled_reads
        tried = getattr(request.state, "compiled_tried", False)
        if compiled is not None and request_data.query and TRACE_HEADER not in request.headers and not tried:
            data = await compiled.execute(
                context, query=request_data.query, operation_name=request_data.operation_name,
                variables=request_data.variables, post=request_adapter.method == "POST",
            )
            if data is not None:
                self._count_compiled(compiled, request_data.query, request_data.operation_name)
                sub_response.headers[READ_PATH_HEADER] = "compiled"
                return ExecutionResult(data=data)
        if compiled is not None:
            metrics.read_path("standard").inc()
        sub_response.headers.setdefault(READ_PATH_HEADER, "standard")
        try:
            result = await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as exc:
            # GET may only read: a mutation over GET is the wrong method, not a bad request.
            if request_adapter.method == "GET" and isinstance(exc.__cause__, InvalidOperationTypeError):
                # Strawberry judged the first operation; with several and none named, none is chosen.
                refusal = None if request_data.operation_name else unnamed_choice(parse(request_data.query or ""))
                if refusal is not None:
                    return ExecutionResult(data=None, errors=[refusal])
                raise HTTPException(405, "Mutations need POST; GET is for queries only") from exc
            raise
        if compiled is not None and request_data.query and not is_request_error(result):
            compiled.validated(request_data.query)
        return result

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Any,
        root_value: Any,
        sub_response: Any,
    ) -> Any:
        # A batch item refused by a guard is one error in the answer, not the request's status.
        request.state.batch = isinstance(request_data, list)
        return await super().execute_operation(
            request=request, request_adapter=request_adapter, request_data=request_data, context=context,
            root_value=root_value, sub_response=sub_response,
        )

    async def _admit(
        self, request: Request, context: RequestContext, *, query: str | None, extensions: dict[str, Any] | None,
        operation_name: str | None = None, grants: bool = True,
    ) -> str | None:
        """The guard pipeline for one HTTP operation; the request now counts as rate limited.
        With replicas, it also picks the server the admitted operation runs on."""
        request.scope.setdefault("state", {})[COUNTED] = True
        guards: GuardPipeline = request.app.state.guards
        document = await guards.admit(context, query=query, extensions=extensions,
                                      client_address=client_address(request), grants=grants)
        request.state.admitted = not getattr(request.state, "batch", False)
        routing: ReadRouting | None = getattr(request.app.state, "read_routing", None)
        if routing is not None and document is not None:
            await self._route(request, context, routing, document, operation_name)
        return document

    @staticmethod
    async def _route(
        request: Request, context: RequestContext, routing: ReadRouting, document: str, operation_name: str | None
    ) -> None:
        """A lone query by a consumer, merchant or operator to a replica; everything else stays on the primary.

        A batch shares one context between its items (a mutation among them must not run on
        a replica); a partner's query writes its access log in the same request.
        """
        if not is_query(document, operation_name):
            request.state.wrote = True
            return
        principal = context.principal
        if getattr(request.state, "batch", False) or (principal is not None and principal.is_partner):
            return
        request.state.read_from = await routing.for_query(request.headers.get(LSN_HEADER))
        _routed(request, context, request.state.sub_response)

    @staticmethod
    def _refusal(refused: Refused, sub_response: Response, *, lone: bool) -> GraphQLError:
        """The refusal's error; a lone operation also answers with the refusal's status (401, 429)."""
        if lone and refused.status is not None:
            sub_response.status_code = refused.status
            for name, value in refused.headers.items():
                sub_response.headers[name] = value
        return refused.error

    async def process_result(self, request: Request, result: Any) -> GraphQLHTTPResponse:
        media_type = preferred_media_type(request.headers.get("accept", ""))
        sub_response: Response = request.state.sub_response
        sub_response.media_type = media_type
        if is_request_error(result):
            if media_type == GRAPHQL_RESPONSE_JSON and not sub_response.status_code:
                sub_response.status_code = 400
            return {"errors": [error.formatted for error in result.errors or []]}
        return process_result(result)

    def encode_json(self, data: object) -> str:
        # orjson: compact UTF-8, about ten times json.dumps on a page of merchants.
        return orjson.dumps(data).decode()

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        return self._response(self.encode_json(response_data), sub_response)

    @staticmethod
    def _response(body: str | bytes, sub_response: Response) -> Response:
        response = Response(
            body,
            status_code=sub_response.status_code or 200,
            media_type=getattr(sub_response, "media_type", None) or JSON,
        )
        response.headers.raw.extend(
            (name, value) for name, value in sub_response.headers.raw if name.lower() != b"content-type"
        )
        if sub_response.background:
            response.background = sub_response.background
        return response


def _routed(request: Any, context: RequestContext, sub_response: Response) -> None:
    """The server ``_route`` chose for this request's query, applied to its context and answer."""
    read_from: tuple[str, Any] | None = getattr(request.state, "read_from", None)
    if read_from is not None:
        sub_response.headers[READ_FROM_HEADER], context.pool = read_from


__all__ = ["FingraphGraphQL", "GraphQLError", "preferred_media_type"]
