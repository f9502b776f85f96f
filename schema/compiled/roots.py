"""How the compiled path answers root fields of ``Query``, mirroring ``schema.queries``.

Each root field of ``schema.queries`` carries its spec (``metadata=sql(Me())``); the
registry finds them by walking the schema. They answer operators, consumers and
merchants; every other principal (no token, partners, whose reads go to the access log)
takes the standard path. Who reaches what is asked of ``services.kernel.access``, the
read rule's one definition; only what the rule needs as data (has this consumer paid
this merchant? is this payment theirs?) is written here as SQL.
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLObjectType

from schema.compiled.planner import DENIED, Fallback, Planner, RootSpec, object_type
from services.kernel.access import may_reach_consumer, may_reach_merchant, needs_counterparty
from services.kernel.graph.compiled import Row
from services.kernel.ids import decode_id
from services.kernel.principal import Role
from services.payments import PartyKind
from services.payments.graph.compiled import one_party, one_payment, paid_by, parties_rows, party_kind


def _type(planner: Planner, name: str) -> GraphQLObjectType:
    type_ = planner.schema.get_type(name)
    assert isinstance(type_, GraphQLObjectType)
    return type_


def _one(planner: Planner, type_name: str, nodes: list[FieldNode], party_id: str) -> str:
    alias = planner.scope.aliases()
    built = planner.object(_type(planner, type_name), nodes, Row(alias))
    return f"(SELECT {built} FROM {one_party(PartyKind(type_name.upper()), party_id, alias)})"


def _party_by_id(planner: Planner, type_name: str, nodes: list[FieldNode], pk: int) -> str:
    """``merchant(id:)``/``consumer(id:)``/``node``: whom the read rule lets reach the party
    (``may_reach_merchant``, ``may_reach_consumer``); others get the standard path's
    FORBIDDEN. A merchant's counterparty fact is one EXISTS in the statement."""
    principal = planner.principal
    if type_name == "Merchant":
        if not may_reach_merchant(principal, pk):
            raise Fallback("this merchant did not grant access")
        return _one(planner, type_name, nodes, planner.params.add(pk, "bigint"))
    if may_reach_consumer(principal, pk):
        return _one(planner, type_name, nodes, planner.params.add(pk, "bigint"))
    if not needs_counterparty(principal, pk):
        raise Fallback("not this consumer's audience")
    consumer = planner.params.add(pk, "bigint")
    paid = paid_by(Row(columns={"id": consumer}), planner.me())
    return f"CASE WHEN {paid} THEN {_one(planner, type_name, nodes, consumer)} ELSE to_json('{DENIED}'::text) END"


class Me(RootSpec):
    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        principal = planner.principal
        if principal.role not in (Role.CONSUMER, Role.MERCHANT) or principal.party_id is None:
            return "NULL::json"
        me = planner.params.add(principal.party_id, "bigint")
        # The party's kind picks the union member, as Party's is_type_of does.
        members = " ".join(f"WHEN '{kind.value}' THEN {_one(planner, kind.value.title(), nodes, me)}"
                           for kind in (PartyKind.CONSUMER, PartyKind.MERCHANT))
        return f"CASE {party_kind(me)} {members} END"


class PartyById(RootSpec):
    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        decoded = decode_id(args["id"], self.type_name)
        if decoded is None:
            return "NULL::json"
        return _party_by_id(planner, self.type_name, nodes, decoded[1])


class PaymentById(RootSpec):
    """``payment(id:)``: its buyer, its merchant and operators read it; anyone else gets null."""

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        decoded = decode_id(args["id"], "Payment")
        return "NULL::json" if decoded is None else _payment(planner, nodes, decoded[1])


def _payment(planner: Planner, nodes: list[FieldNode], pk: int) -> str:
    alias = planner.scope.aliases()
    readable = payment_readable(planner, alias)
    if readable is None:
        return "NULL::json"
    built = planner.object(_type(planner, "Payment"), nodes, Row(alias))
    return f"(SELECT {built} FROM {one_payment(planner.params.add(pk, 'bigint'), alias)} AND {readable})"


def payment_readable(planner: Planner, alias: str) -> str | None:
    """``access.may_read_payment`` as SQL on the payment row ``alias``, for the principals the
    compiled path serves (partners never reach it): operators, else its buyer or merchant.
    None: this principal reads no payment. A test holds it to the Python rule."""
    principal = planner.principal
    if principal.is_operator:
        return "true"
    if principal.role not in (Role.CONSUMER, Role.MERCHANT) or principal.party_id is None:
        return None
    me = planner.me()
    return f"({alias}.buyer_id = {me} OR {alias}.merchant_id = {me})"


class NodeById(RootSpec):
    """``node(id:)``: the id's prefix names the type, as ``schema.queries`` dispatches it."""

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        decoded = decode_id(args["id"])
        if decoded is None or decoded[0] not in ("Merchant", "Consumer", "Payment"):
            return "NULL::json"
        type_name, pk = decoded
        if type_name == "Payment":
            return _payment(planner, nodes, pk)
        return _party_by_id(planner, type_name, nodes, pk)


class Merchants(RootSpec):
    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        if planner.principal.is_partner:
            raise Fallback("a partner lists only consenting merchants, and the reads are logged")
        query = planner.schema.query_type
        assert query is not None
        connection = query.fields["merchants"].type
        return planner.page(
            object_type(connection), nodes, args,
            lambda limit, before: parties_rows(PartyKind.MERCHANT, limit, before),
        )
