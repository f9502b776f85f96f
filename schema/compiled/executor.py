"""Run a compiled statement and finish its JSON: computed fields, then the answer.

``CompiledReads.answer`` answers a query operation with the ``data`` the standard
executor would produce, or returns None, and the standard executor answers instead.
A statement without computed fields already wrote ``data`` as the gateway would encode
it (``planner``), so its text goes to the client as is: no parse, no re-encoding.
It only takes documents the standard path has already validated once (the same
document text always validates the same way), and it re-checks per request what
depends on the variables: their coercion and the query's cost.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson
from graphql import (
    DocumentNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from graphql.utilities import get_operation_ast

from schema.compiled.access_log import LISTED
from schema.compiled.mutations import CompiledMutations
from schema.compiled.planner import (
    DENIED,
    PLACEHOLDER,
    Fallback,
    NotCompilable,
    Planner,
    Statement,
    checked_variables,
    fragments_of,
)
from schema.compiled.registry import specs_of
from schema.compiled.resolve import Resolver
from services.kernel.clock import business_date
from services.kernel.graph.compiled import ComputeContext
from services.kernel.graph.context import GraphContext
from services.kernel.principal import Principal

log = logging.getLogger(__name__)

_DOCUMENTS = 1_000
_STATEMENTS = 5_000


@dataclass(frozen=True)
class Answer:
    """The ``data`` of an answered request: ``text`` as the gateway writes JSON (orjson's
    compact form), or, when Python completed part of it, ``values`` to encode."""

    text: str | None = None
    values: dict[str, Any] | None = None

    def data(self) -> dict[str, Any]:
        if self.values is not None:
            return self.values
        assert self.text is not None
        parsed: dict[str, Any] = orjson.loads(self.text)
        return parsed

    def body(self) -> bytes:
        """The response body ``{"data":...}``, byte for byte what ``orjson.dumps`` writes."""
        if self.text is not None:
            return b'{"data":' + self.text.encode() + b"}"
        return orjson.dumps({"data": self.values})


class CompiledReads:
    def __init__(self, schema: Any, *, max_cost: int, cost: Any) -> None:
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        # Walked once: what each field declares is fixed for the schema's lifetime.
        self.specs = specs = specs_of(self.schema)
        self.max_cost = max_cost
        self.cost = cost
        self.resolver = Resolver(schema)
        self.mutations = CompiledMutations(schema, specs, max_cost=max_cost, cost=cost, resolver=self.resolver)
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._statements: OrderedDict[tuple[Any, ...], Statement] = OrderedDict()
        #: (document, operation name, role) the walk refused: not walked again.
        self._refused: OrderedDict[tuple[str, str | None, str], None] = OrderedDict()

    def validated(self, query: str) -> None:
        """The standard path ran ``query`` past validation: later requests may be compiled."""
        if query in self._documents:
            return
        self._documents[query] = parse(query)
        if len(self._documents) > _DOCUMENTS:
            self._documents.popitem(last=False)

    async def execute(
        self, context: GraphContext, *, query: str, operation_name: str | None, variables: Mapping[str, Any] | None,
        post: bool = True,
    ) -> dict[str, Any] | None:
        """The ``data`` of this request as Python values, or None (see ``answer``)."""
        answer = await self.answer(context, query=query, operation_name=operation_name, variables=variables,
                                   post=post)
        return None if answer is None else answer.data()

    async def answer(
        self, context: GraphContext, *, query: str, operation_name: str | None, variables: Mapping[str, Any] | None,
        post: bool = True,
    ) -> Answer | None:
        """The ``data`` of this request, or None: the standard executor answers it.

        Queries are one statement; keyed mutations (POST only) run their resolver
        directly (``CompiledMutations``).
        """
        document, principal = self._documents.get(query), context.principal
        if document is None or principal is None:
            return None
        refusal = (query, operation_name, principal.role.value)
        if refusal in self._refused:
            return None
        now = context.clock.now()
        try:
            operation = get_operation_ast(document, operation_name)
            if operation is not None and operation.operation is OperationType.MUTATION:
                # A partner runs no mutation (each refuses it), and its principal here may not
                # carry its grants (ADR 020: the compiled statement reads them): standard path.
                if not post or principal.is_partner:
                    return None
                values = await self.mutations.execute(
                    document, operation, operation_name=operation_name, variables=variables, principal=principal,
                    context=context, today=business_date(now),
                )
                return None if values is None else Answer(values=values)
            statement = self._statement(query, document, operation_name, variables, principal, now)
        except NotCompilable:
            self._refused[refusal] = None
            if len(self._refused) > _DOCUMENTS:
                self._refused.popitem(last=False)
            return None
        except Fallback:
            return None
        return await self._read(context, statement, now)

    def operation_type(self, query: str, operation_name: str | None) -> str:
        """``query`` or ``mutation``: what an answered request was (for the operations metric)."""
        document = self._documents.get(query)
        return "mutation" if document is not None and _is_mutation(document, operation_name) else "query"

    async def _read(self, context: GraphContext, statement: Statement, now: datetime) -> Answer | None:
        params, writes = statement.params, statement.log
        if writes is not None:  # a partner's: the statement writes its access log too (ADR 020)
            params = list(params)
            params[writes.request_id], params[writes.now] = context.request_id, context.clock.now()
        async with context.pool.acquire() as conn:
            try:
                text: str = await conn.fetchval(statement.sql, *params)
            except (asyncpg.PostgresError, asyncpg.InterfaceError):
                log.exception("compiled statement failed; the standard path answers")
                return None
        if DENIED in text:
            return None
        listed = writes.page if writes is not None else None  # a partner's page lists its merchants' ids
        if not statement.slots and listed is None:
            return Answer(text=text)
        data: dict[str, Any] = orjson.loads(text)
        if listed is not None:
            del data[listed][LISTED]
        if statement.slots:
            computing = ComputeContext(now=now, today=business_date(now))
            if not self._fill(statement, data, computing):
                return None
        return Answer(values=data)

    def _statement(self, query: str, document: DocumentNode, operation_name: str | None,
                   variables: Mapping[str, Any] | None, principal: Principal, now: datetime) -> Statement:
        """The statement of this exact request, remembered: the same document, variables,
        principal and business day always make the same statement (pages walked by many
        clients, a home screen refreshed)."""
        today = business_date(now)
        try:
            key = (query, operation_name, principal, today, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS))
        except TypeError:
            return self._plan(document, operation_name, dict(variables or {}), principal, today)
        statement = self._statements.get(key)
        if statement is None:
            statement = self._plan(document, operation_name, dict(variables or {}), principal, today)
            self._statements[key] = statement
            if len(self._statements) > _STATEMENTS:
                self._statements.popitem(last=False)
        else:
            self._statements.move_to_end(key)
        return statement

    def _plan(self, document: DocumentNode, operation_name: str | None, variables: dict[str, Any],
              principal: Principal, today: date) -> Statement:
        operation = get_operation_ast(document, operation_name)
        if not isinstance(operation, OperationDefinitionNode):
            raise Fallback("no such operation")
        coerced = checked_variables(self.schema, document, operation, operation_name, variables, cost=self.cost,
                                    max_cost=self.max_cost)
        planner = Planner(self.schema, self.specs, operation=operation, fragments=fragments_of(document),
                          variables=coerced, principal=principal, today=today,
                          resolvable=self.resolver.resolvable, keywords=self.resolver.keywords)
        return planner.plan()

    def _fill(self, statement: Statement, data: Any, context: ComputeContext) -> bool:
        """Compute each placeholder's value from its inputs and complete its selection."""
        holes: list[tuple[Any, Any, int, Any]] = []
        _find_placeholders(data, holes)
        for container, position, slot, inputs in holes:
            target = statement.slots[slot]
            value = self.resolver.complete(target.type, target.tree, target.spec.finish(inputs, context))
            if value is Resolver.ERROR:
                return False
            container[position] = value
        return True


def _is_mutation(document: DocumentNode, operation_name: str | None) -> bool:
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.MUTATION


def _find_placeholders(value: Any, holes: list[tuple[Any, Any, int, Any]]) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for position, child in items:
        if isinstance(child, dict):
            marker = child.get(PLACEHOLDER)
            if marker is not None and len(child) == 1:
                holes.append((value, position, marker[0], marker[1]))
                continue
        if isinstance(child, (dict, list)):
            _find_placeholders(child, holes)
