"""How a service tells the compiled read path (ADR 010) to build its fields in SQL.

The standard path resolves each field in Python. For plain data, a service may also
describe the field as SQL, on the field itself, beside its resolver:
``@strawberry.field(metadata=sql(Leaf(...)))``. The planner (``schema.compiled``) finds
the descriptions by walking the schema and builds a whole selection as one statement
that writes its JSON text (ADR 021). A field that must stay on the standard path says why
at the field (``metadata=standard_only("...")``); a test walks the schema and fails on a
field with neither. These specs are an optimisation of the resolvers next to them and
never a second source of truth: the differential tests (tests/compiled) hold both paths
to byte-identical answers.

Vocabulary:

- ``Row``: where a type's values come from, as SQL expressions by column name.
- ``Leaf``: a scalar or enum as one SQL expression (text, integer or boolean).
- ``Nested``: an object, either from the same row (a Money of two columns) or from a
  correlated subquery (``FROM payments.accounts a WHERE a.party_id = p.id``).
- ``Page``: a keyset connection, newest first, like ``Connection.from_rows``.
- ``Computed``: a value only Python computes (a credit score): the statement gathers
  its inputs, and the domain's function computes it where the statement left them.
- ``Guard``: the read rule of ``services.kernel.access`` in SQL terms. Specs do not
  carry it: ``schema.compiled`` derives each party field's guard from the field's
  exposure (``access.EXPOSURES``), so the rule is written once. A row the principal may
  not read makes the statement return a marker, and the operation reruns on the
  standard path so that the ``FORBIDDEN`` error is the standard path's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.kernel.ids import PREFIXES


class Row:
    """SQL expressions by column name: a table alias (``p.name``) or named expressions.

    ``used`` remembers the alias's columns the selection read, so that a page selects
    only those columns of its rows (wide rows cost PostgreSQL a copy each)."""

    def __init__(self, alias: str | None = None, columns: Mapping[str, str] | None = None) -> None:
        self.alias = alias
        self.columns = dict(columns or {})
        self.used: set[str] = set()

    def __getitem__(self, column: str) -> str:
        if column in self.columns:
            return self.columns[column]
        if self.alias is None:
            raise KeyError(column)
        self.used.add(column)
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
    A partner's guard is built from the scope the field declares instead (ADR 020).
    Built by ``schema.compiled`` from the field's exposure, never written by a spec."""

    party_id: Callable[[Row], str]
    counterparty: Callable[[Row, str], str] | None = None


@dataclass(frozen=True)
class Leaf:
    sql: Callable[[Row], str]


@dataclass(frozen=True)
class Nested:
    """``source(row, args, scope) -> (FROM clause or None for the same row, the child's Row)``."""

    source: Callable[[Row, Mapping[str, Any], Scope], tuple[str | None, Row]]


@dataclass(frozen=True)
class Page:
    """Rows of a connection: ``rows(row, scope, limit, before)`` is a SELECT of the node
    rows after the keyset position ``before`` (SQL, may be NULL), newest first, at most
    ``limit`` (SQL) rows, each with an ``id`` column that orders and makes the cursor."""

    rows: Callable[[Row, Scope, str, str], str]


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


@dataclass(frozen=True)
class PagePart:
    """A field of a connection, an edge or a page info: the planner's keyset ``page``
    builds it for whichever ``Page`` or root returns the connection."""


FieldSpec = Leaf | Nested | Page | Computed

#: The key of a field's metadata under which its compiled description sits.
COMPILED = "fingraph.compiled"
#: The key under which a field says why it stays on the standard path.
STANDARD_ONLY = "fingraph.standard_only"


def sql(spec: object) -> dict[str, object]:
    """``strawberry.field(metadata=sql(Leaf(...)))``: how the compiled path builds this field
    (a ``FieldSpec``, a ``PagePart``, or for a root of ``Query`` a ``schema.compiled`` root)."""
    return {COMPILED: spec}


def standard_only(reason: str) -> dict[str, object]:
    """``strawberry.field(metadata=standard_only("why"))``: this field is answered by its
    resolver only, and an operation that selects it takes the standard path."""
    if not reason.strip():
        raise ValueError("say why the field stays on the standard path")
    return {STANDARD_ONLY: reason}


PAGE_PART = sql(PagePart())


# -- SQL spellings of the graph's scalars (each mirrors one Python serialiser) ---------


class PlainText(str):
    """A leaf's SQL whose text value holds only characters JSON writes unescaped (letters,
    digits, ``_ . -``): the planner quotes it instead of calling ``to_json`` per row."""


def typed_id(type_name: str, pk: str) -> str:
    """``encode_id``: ``mer_42``."""
    return PlainText(f"'{PREFIXES[type_name]}_' || {pk}")


def money_amount(fen: str) -> str:
    """``Money.amount`` through the Decimal scalar: fen / 100 with exactly two decimals."""
    return PlainText(f"(({fen})::numeric / 100)::numeric(20, 2)::text")


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


def money(fen: str, currency: str = "'CNY'::text") -> Nested:
    """A ``Money`` of the same row: ``fen`` and ``currency`` are SQL templates whose
    ``{name}`` placeholders are the row's columns, e.g. ``money("{amount} - {refunded}")``."""

    def source(row: Row, _args: Mapping[str, Any], _scope: Scope) -> tuple[str | None, Row]:
        columns = _Columns(row)
        return None, Row(columns={"fen": fen.format_map(columns), "currency": currency.format_map(columns)})

    return Nested(source)


class _Columns(dict[str, str]):
    def __init__(self, row: Row) -> None:
        super().__init__()
        self.row = row

    def __missing__(self, column: str) -> str:
        return self.row[column]
