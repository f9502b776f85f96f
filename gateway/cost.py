"""Query cost analysis: refuse an operation whose worst case is too big, before it runs.

The cost of a selection is the number of object fields it may resolve. A field with a
``first`` argument multiplies the cost of its selection by ``first`` (its literal, its
variable, or the argument's default); the ``edges`` list inside it is already sized by
that ``first``. Any other list field multiplies by ``DEFAULT_LIST_SIZE``. Leaf fields are
free; ``__typename`` and introspection are free. Fragments on abstract types are summed
(an upper bound). A federation ``_entities`` call costs at least one resolution of its
selection per representation it is given (each representation is one entity to fetch).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    SelectionSetNode,
    ValidationContext,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension

DEFAULT_LIST_SIZE = 10
DEFAULT_MAX_COST = 10_000
#: Costs of documents whose cost reads no variable, by (schema, document, operation name).
_KNOWN_COSTS = 1_000


def _argument(field: FieldNode, name: str) -> ValueNode | None:
    """The value ``field`` was given for the argument ``name``, as written in the document."""
    return next((argument.value for argument in field.arguments or () if argument.name.value == name), None)


def _first(field: FieldNode, default: Any, variables: _Watched) -> int | None:
    value = _argument(field, "first")
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, VariableNode):
        given = variables.get(value.name.value)  # a _Watched: the cost now depends on variables
        return int(given) if isinstance(given, int) else int(default) if isinstance(default, int) else None
    if value is not None:
        return None
    return int(default) if isinstance(default, int) else None


def _representations(field: FieldNode, variables: _Watched) -> int | None:
    """How many entities an ``_entities`` call asks for (its literal list or its variable's length)."""
    value = _argument(field, "representations")
    if value is None:
        return None
    if isinstance(value, ListValueNode):
        return len(value.values)
    if isinstance(value, VariableNode):
        given = variables.get(value.name.value)
        return len(given) if isinstance(given, list) else 1
    return 1  # a single representation, coerced to a list of one


class _Watched:
    """The request's variables, noting whether the costing read any of them."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.read = False

    def get(self, name: str) -> Any:
        self.read = True
        return self.values.get(name)


class _Costing:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = _Watched(variables)
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def _fields(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType
    ) -> Iterator[tuple[FieldNode, GraphQLNamedType]]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                yield from self._fields(selection.selection_set, target or parent)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(fragment.selection_set, target or parent)

    def cost(self, selection_set: SelectionSetNode, parent: GraphQLNamedType, *, sized: bool = False) -> int:
        total = 0
        for field, owner in self._fields(selection_set, parent):
            name = field.name.value
            if name.startswith("__") or not isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)):
                continue
            definition = owner.fields.get(name)
            if definition is None or field.selection_set is None:
                continue
            first_arg = definition.args.get("first")
            first = _first(field, first_arg.default_value if first_arg else None, self.variables) if first_arg else None
            is_list = isinstance(get_nullable_type(definition.type), GraphQLList)
            wanted = _representations(field, self.variables) if name == "_entities" else None
            if wanted is not None:
                multiplier, child_sized = wanted, False
            elif first is not None:
                multiplier, child_sized = max(first, 0), True
            elif is_list:
                multiplier, child_sized = (1 if sized else DEFAULT_LIST_SIZE), False
            else:
                multiplier, child_sized = 1, sized and name == "edges"
            child = self.cost(field.selection_set, get_named_type(definition.type), sized=child_sized)
            total += multiplier * (1 + child)
        return total


_costs: OrderedDict[tuple[int, int, str | None], tuple[GraphQLSchema, DocumentNode, int]] = OrderedDict()


def operation_cost(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """The operation's cost; remembered per parsed document when no variable sizes a page."""
    key = (id(schema), id(document), operation_name)
    known = _costs.get(key)
    if known is not None and known[0] is schema and known[1] is document:
        return known[2]
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    costing = _Costing(schema, document, variables or {})
    cost = costing.cost(operation.selection_set, root)
    if not costing.variables.read:
        _costs[key] = (schema, document, cost)
        if len(_costs) > _KNOWN_COSTS:
            _costs.popitem(last=False)
    return cost


class QueryCostLimiter(SchemaExtension):
    """Refuses an operation over ``max_cost`` with ``QUERY_TOO_COMPLEX`` and the computed cost."""

    def __init__(self, *, max_cost: int = DEFAULT_MAX_COST) -> None:
        self.max_cost = max_cost

    def on_validate(self) -> Iterator[None]:
        # Before Strawberry's own validation runs (after a ValidationCache listed earlier,
        # which validates in its hook): errors set here are the request's errors and the
        # rest is skipped. Costing tolerates invalid documents (unknown fields cost
        # nothing), so it is safe before validation.
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            self._refuse_if_too_costly()
        yield

    def _refuse_if_too_costly(self) -> None:
        context = self.execution_context
        assert context.graphql_document is not None
        cost = operation_cost(
            context.schema._schema, context.graphql_document, context.operation_name, context.variables
        )
        if cost > self.max_cost:
            context.pre_execution_errors = [
                GraphQLError(
                    f"Query cost {cost} exceeds the maximum of {self.max_cost}: ask for smaller pages",
                    extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "maxCost": self.max_cost},
                )
            ]


def reported_as_too_complex(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """``rule`` whose errors carry ``QUERY_TOO_COMPLEX``, like the cost limit's refusal.

    Strawberry's depth and alias limiters report a bare message while they are built, so
    a client could not tell a limit from a typo; their reports are coded as they are made
    (only theirs: the validation context is shared with every other rule).
    """

    class TooComplex(rule):  # type: ignore[misc, valid-type]
        def __init__(self, context: ValidationContext) -> None:
            report = context.report_error

            def report_too_complex(error: GraphQLError) -> None:
                error.extensions = {**(error.extensions or {}), "code": "QUERY_TOO_COMPLEX"}
                report(error)

            context.report_error = report_too_complex  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                del context.report_error

    TooComplex.__name__ = TooComplex.__qualname__ = f"TooComplex{rule.__name__}"
    return TooComplex
