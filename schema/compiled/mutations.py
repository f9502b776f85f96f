"""Keyed mutations without graphql-core's executor: the resolver, then a plain completion.

For a money mutation like ``createPayment`` the effect is one round trip, and what
costs the gateway most is graphql-core executing the operation around it: the
extensions' hooks, the field machinery, the payload's completion. ``CompiledMutations``
answers such an operation by doing what that executor does, directly:

* the document was validated by the standard path before (``CompiledReads.validated``),
  and the variables, the cost and the root field's arguments are checked per request
  with graphql-core's own functions;
* the root field's Strawberry resolver is called with the arguments Strawberry would
  give it (``get_arguments``) and a complete ``GraphQLResolveInfo``;
* the payload is completed by ``Resolver`` through the types' own sync resolvers and
  scalars, with the selection checked when the request is planned.

Only mutations keyed by an idempotency key are taken (``Specs.keyed``: those whose input
has an ``idempotencyKey``, found by walking the schema): if anything goes
wrong after the resolver ran (an exception, a null in a non-null field) the standard
executor answers instead, and running a keyed mutation again is a replay of the first,
not a second effect. Anything else (several root fields, field extensions, a selection
a plain completion cannot build, a partner, a trace, GET) is the standard path's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    OperationDefinitionNode,
    Visitor,
    visit,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, is_awaitable
from strawberry.schema.schema_converter import get_arguments
from strawberry.types import Info

from schema.compiled.arguments import ArgumentBinder, NotBindable
from schema.compiled.planner import Fallback, NotCompilable, Planner, checked_variables, fragments_of
from schema.compiled.registry import Specs
from schema.compiled.resolve import Resolver, Tree
from services.kernel.principal import Principal

log = logging.getLogger(__name__)

_PLANS = 1_000


@dataclass(frozen=True)
class _Plan:
    document: DocumentNode
    key: str
    node: FieldNode
    field: Any  # StrawberryField
    tree: Tree
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    #: @skip/@include anywhere: the selection depends on the variables, so it is walked per request.
    conditional: bool
    #: The root field's argument conversion, prepared (None: Strawberry's ``get_arguments`` per request).
    binder: ArgumentBinder | None


class CompiledMutations:
    def __init__(self, schema: Any, specs: Specs, *, max_cost: int, cost: Any, resolver: Resolver) -> None:
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self.specs = specs
        self.max_cost = max_cost
        self.cost = cost
        self.resolver = resolver
        mutation = self.schema.mutation_type
        assert mutation is not None
        self.mutation_type: GraphQLObjectType = mutation
        self._plans: OrderedDict[tuple[int, str | None], _Plan] = OrderedDict()
        self._binders: dict[str, ArgumentBinder | None] = {}

    async def execute(
        self, document: DocumentNode, operation: OperationDefinitionNode, *, operation_name: str | None,
        variables: Mapping[str, Any] | None, principal: Principal, context: Any, today: date,
    ) -> dict[str, Any] | None:
        """The ``data`` the standard executor would answer with for ``operation`` (a mutation), or None.

        Raises ``NotCompilable`` when no request with this document can be compiled (the
        caller remembers that); a document with @skip/@include is only ever a ``Fallback``.
        """
        try:
            plan, coerced, args = self._plan(document, operation, operation_name, dict(variables or {}), principal,
                                             today)
        except Fallback:
            return None
        tracked: list[Any] = []
        helpers = GraphQLResolveInfoHelpers(gather=_gather, track=tracked.extend)
        info = Info(_raw_info=self._resolve_info(plan, coerced, context, helpers), _field=plan.field)
        try:
            if plan.binder is not None:
                positional, named = plan.binder.bind(args, source=None, info=info)
            else:
                positional, named = get_arguments(
                    field=plan.field, source=None, info=info, kwargs=args, config=self.strawberry_schema.config,
                    scalar_registry=self.strawberry_schema.schema_converter.scalar_registry,
                )
            value = await plan.field.base_resolver(*positional, **named)
            for work in tracked:  # async work the resolver asked the executor to settle
                if is_awaitable(work):
                    await work
        except Exception:  # the standard path answers (a replay, for a keyed mutation) with its error
            log.debug("compiled mutation gave up; the standard path answers", exc_info=True)
            return None
        completed = self.resolver.complete(self.mutation_type.fields[plan.node.name.value].type, plan.tree, value)
        return None if completed is Resolver.ERROR else {plan.key: completed}

    def _plan(self, document: DocumentNode, operation: OperationDefinitionNode, operation_name: str | None,
              variables: dict[str, Any], principal: Principal, today: date) -> tuple[_Plan, Any, dict[str, Any]]:
        coerced = checked_variables(self.schema, document, operation, operation_name, variables, cost=self.cost,
                                    max_cost=self.max_cost)
        plan = self._plans.get((id(document), operation_name))
        if plan is None or plan.document is not document:
            try:
                plan = self._walk(document, operation, coerced, principal, today)
            except NotCompilable as refused:
                if _has_conditions(document):  # other variables may select a compilable operation
                    raise Fallback(str(refused)) from refused
                raise
            if not plan.conditional:
                self._plans[(id(document), operation_name)] = plan
                if len(self._plans) > _PLANS:
                    self._plans.popitem(last=False)
        definition = self.mutation_type.fields[plan.node.name.value]
        try:
            args = get_argument_values(definition, plan.node, coerced)
        except GraphQLError as exc:
            raise Fallback(exc.message) from exc
        return plan, coerced, args

    def _walk(self, document: DocumentNode, operation: OperationDefinitionNode, variables: Any,
              principal: Principal, today: date) -> _Plan:
        """The root field and its payload's selection; the same for every request unless @skip/@include vary it."""
        planner = self._planner(document, operation, variables, principal, today)
        fields = planner.collect(self.mutation_type, [operation.selection_set])
        if len(fields) != 1:
            raise NotCompilable("one root field at a time")
        (key, nodes), = fields.items()
        name = nodes[0].name.value
        if name not in self.specs.keyed or len(nodes) != 1:
            raise NotCompilable(f"Mutation.{name}")
        field = self.resolver.field(self.mutation_type.name, name)
        if field is None or field.base_resolver is None or field.extensions or not field.base_resolver.is_async:
            raise NotCompilable(f"Mutation.{name} is not a plain async resolver")
        tree = planner.tree(self.mutation_type.fields[name].type, nodes)
        if tree is None:
            raise NotCompilable(f"Mutation.{name} returns no object")
        return _Plan(document, key, nodes[0], field, tree, operation, dict(planner.fragments),
                     conditional=_has_conditions(document), binder=self._binder(field))

    def _binder(self, field: Any) -> ArgumentBinder | None:
        """The field's prepared argument conversion, made once per field."""
        if field.python_name not in self._binders:
            try:
                binder: ArgumentBinder | None = ArgumentBinder(
                    field, config=self.strawberry_schema.config,
                    scalar_registry=self.strawberry_schema.schema_converter.scalar_registry)
            except NotBindable:
                log.info("Mutation.%s: Strawberry converts its arguments", field.python_name, exc_info=True)
                binder = None
            self._binders[field.python_name] = binder
        return self._binders[field.python_name]

    def _planner(self, document: DocumentNode, operation: OperationDefinitionNode, variables: Any,
                 principal: Principal, today: date) -> Planner:
        return Planner(self.schema, self.specs, operation=operation, fragments=fragments_of(document),
                       variables=variables, principal=principal, today=today, resolvable=self.resolver.resolvable,
                       keywords=self.resolver.keywords)

    def _resolve_info(
        self, plan: _Plan, variables: Any, context: Any, helpers: GraphQLResolveInfoHelpers
    ) -> GraphQLResolveInfo[Any]:
        """The info graphql-core would pass to the root field's resolver."""
        name = plan.node.name.value
        return GraphQLResolveInfo(
            name, [plan.node], self.mutation_type.fields[name].type, self.mutation_type,
            Path(None, plan.key, self.mutation_type.name), self.schema, plan.fragments, None, plan.operation,
            variables, context, is_awaitable, None, helpers,
        )


def _has_conditions(document: DocumentNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            nonlocal found
            found = found or node.name.value in ("skip", "include")

    visit(document, Finder())
    return found


async def _gather(values: Sequence[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*values))
