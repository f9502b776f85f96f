"""How a service tells the compiled read path (ADR 010) to build its fields in SQL.

The standard path resolves each field in Python. For plain data, a service may also
describe the field as SQL: the planner (``schema.compiled``) then builds a whole
selection as one ``json_build_object`` statement. A field without a description is
simply not compilable, and its operations take the standard path, so these specs are
an optimisation of the resolvers next to them and never a second source of truth: the
differential tests (tests/compiled) hold both paths to byte-identical answers.

Vocabulary:

- ``Row``: where a type's values come from, as SQL expressions by column name.
- ``Leaf``: a scalar or enum as one SQL expression (text, integer or boolean).
- ``Nested``: an object, either from the same row (a Money of two columns) or from a
  correlated subquery (``FROM payments.accounts a WHERE a.party_id = p.id``).
- ``Page``: a keyset connection, newest first, like ``Connection.from_rows``.
- ``Computed``: a value only Python computes (a credit score): the statement gathers
  its inputs, and the domain's function computes it where the statement left them.
- ``Guard``: the rule of ``require_private_access``; a row the principal may not read
  makes the statement return a marker, and the operation reruns on the standard path
  so that the ``FORBIDDEN`` error is the standard path's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.kernel.ids import PREFIXES


class Row:
    """SQL expressions by column name: a table alias (``p.name``) or named expressions."""

    def __init__(self, alias: str | None = None, columns: Mapping[str, str] | None = None) -> None:
        self.alias = alias
        self.columns = dict(columns or {})

    def __getitem__(self, column: str) -> str:
        if column in self.columns:
            return self.columns[column]
        if self.alias is None:
            raise KeyError(column)
        return f"{self.alias}.{column}"


class Params:
    """The statement's parameters; ``add`` returns the typed placeholder to write."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def add(self, value: object, sql_type: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{sql_type}"


class Scope:
    """What a field's SQL may depend on besides its row: parameters, the date, aliases."""

    def __init__(self, params: Params, today: date) -> None:
        self.params = params
        self._today = today
        self._today_sql: str | None = None
        self._aliases = 0

    @property
    def today(self) -> str:
        """The request's business date (Asia/Shanghai) as a typed placeholder."""
        if self._today_sql is None:
            self._today_sql = self.params.add(self._today, "date")
        return self._today_sql

    def aliases(self) -> str:
        """A fresh table alias."""
        self._aliases += 1
        return f"t{self._aliases}"


@dataclass(frozen=True)
class Guard:
    """The read rule (``services.kernel.access``) in SQL terms: the row's party may read it,
    and, when ``counterparty`` is given, a merchant the party has paid (``counterparty(row,
    me)`` is the SQL condition, ``me`` the asking merchant's id); operators read everything.
    Partners never take the compiled path, so their scopes are left to the standard path."""

    party_id: Callable[[Row], str]
    scope: str
    counterparty: Callable[[Row, str], str] | None = None

    @classmethod
    def party_row(cls, scope: str) -> Guard:
        """For fields of a party (``Merchant``, ``Consumer``): the row's own ``id`` is the party."""
        return cls(lambda row: row["id"], scope)


@dataclass(frozen=True)
class Leaf:
    sql: Callable[[Row], str]
    guard: Guard | None = None


@dataclass(frozen=True)
class Nested:
    """``source(row, args, scope) -> (FROM clause or None for the same row, the child's Row)``."""

    source: Callable[[Row, Mapping[str, Any], Scope], tuple[str | None, Row]]
    guard: Guard | None = None


@dataclass(frozen=True)
class Page:
    """Rows of a connection: ``rows(row, scope, limit, before)`` is a SELECT of the node
    rows after the keyset position ``before`` (SQL, may be NULL), newest first, at most
    ``limit`` (SQL) rows, each with an ``id`` column that orders and makes the cursor."""

    rows: Callable[[Row, Scope, str, str], str]
    guard: Guard | None = None


@dataclass(frozen=True)
class ComputeContext:
    now: datetime
    today: date


@dataclass(frozen=True)
class Computed:
    """A value only Python computes, from inputs the statement gathers.

    ``inputs(row, scope)`` is a SQL expression (JSON) of the facts the value is computed
    from; ``finish(inputs, context)`` is the domain's own function applied to them.
    Objects are then completed by their resolvers, leaves by their scalar.
    """

    inputs: Callable[[Row, Scope], str]
    finish: Callable[[Any, ComputeContext], Any]
    guard: Guard | None = None


FieldSpec = Leaf | Nested | Page | Computed
#: (GraphQL type name, field name) -> spec, one mapping per service.
FieldSpecs = dict[tuple[str, str], FieldSpec]


@dataclass
class Specs:
    """Every service's specs, merged (``schema.compiled`` builds it once)."""

    fields: FieldSpecs = field(default_factory=dict)

    def add(self, specs: FieldSpecs) -> None:
        clash = self.fields.keys() & specs.keys()
        if clash:
            raise ValueError(f"two services describe the same fields: {sorted(clash)}")
        self.fields.update(specs)


# -- SQL spellings of the graph's scalars (each mirrors one Python serialiser) ---------


def typed_id(type_name: str, pk: str) -> str:
    """``encode_id``: ``mer_42``."""
    return f"'{PREFIXES[type_name]}_' || {pk}"


def money_amount(fen: str) -> str:
    """``Money.amount`` through the Decimal scalar: fen / 100 with exactly two decimals."""
    return f"(({fen})::numeric / 100)::numeric(20, 2)::text"


def normalized_decimal(value: str) -> str:
    """``Decimal.normalize()`` as the resolvers apply it (zero keeps its scale)."""
    return f"CASE WHEN ({value}) = 0 THEN ({value})::text ELSE trim_scale({value})::text END"


def iso_datetime(value: str) -> str:
    """Strawberry's DateTime of an asyncpg timestamptz (UTC): ``datetime.isoformat()``,
    which writes six fractional digits only when there are microseconds."""
    utc = f"(({value}) AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', {utc})::int % 1000000"
        f" <> 0 THEN to_char({utc}, '.US') ELSE '' END || '+00:00'"
    )


def cursor(position: str) -> str:
    """``encode_cursor``: url-safe base64 of ``c:<id>`` (NULL stays NULL)."""
    return f"translate(encode(convert_to('c:' || ({position}), 'UTF8'), 'base64'), '+/', '-_')"


def money(fen: str, currency: str = "'CNY'", guard: Guard | None = None) -> Nested:
    """A ``Money`` of the same row: ``fen`` and ``currency`` are SQL templates whose
    ``{name}`` placeholders are the row's columns, e.g. ``money("{amount} - {refunded}")``."""

    def source(row: Row, _args: Mapping[str, Any], _scope: Scope) -> tuple[str | None, Row]:
        columns = _Columns(row)
        return None, Row(columns={"fen": fen.format_map(columns), "currency": currency.format_map(columns)})

    return Nested(source, guard)


class _Columns(dict[str, str]):
    def __init__(self, row: Row) -> None:
        super().__init__()
        self.row = row

    def __missing__(self, column: str) -> str:
        return self.row[column]


#: The kernel's own types: Money is built from whatever row a service names.
KERNEL_FIELDS: FieldSpecs = {
    ("Money", "amount"): Leaf(lambda row: money_amount(row["fen"])),
    ("Money", "currency"): Leaf(lambda row: row["currency"]),
}
