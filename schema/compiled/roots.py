"""How the compiled path answers root fields of ``Query``, mirroring ``schema.queries``.

Each root field of ``schema.queries`` carries its spec (``metadata=sql(Me())``); the
registry finds them by walking the schema. They answer operators, consumers, merchants
and partners (the merchants that granted them access, each read noted for the access
log as the standard path notes it: ``Planner.log``); a request without a token takes the
standard path. Federation's ``_entities`` carries no metadata (the library adds it), so
its spec is listed by name in ``FEDERATION_ROOTS``. Who reaches what is asked of
``services.kernel.access``, the read rule's one definition; only what the rule needs as
data (has this consumer paid this merchant? is this payment theirs?) is written here as SQL.
"""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLObjectType, GraphQLSchema

from schema.compiled.access_log import PartnerReads
from schema.compiled.planner import (
    DENIED_JSON,
    NULL,
    Fallback,
    NotCompilable,
    Planner,
    RootSpec,
    json_array,
    object_type,
)
from schema.representations import checked_representation, entity_keys_of
from services.kernel.access import may_reach_consumer, may_reach_merchant, needs_counterparty
from services.kernel.graph.compiled import Row
from services.kernel.ids import decode_id, id_type
from services.kernel.principal import Role
from services.payments import PartyKind
from services.payments.graph.compiled import one_party, one_payment, paid_by, parties_at, parties_rows, party_kind


def _type(planner: Planner, name: str) -> GraphQLObjectType:
    type_ = planner.schema.get_type(name)
    assert isinstance(type_, GraphQLObjectType)
    return type_


def _one(planner: Planner, type_name: str, nodes: list[FieldNode], party_id: str,
         reads: PartnerReads | None = None) -> str:
    alias = planner.scope.aliases()
    built = planner.object(_type(planner, type_name), nodes, Row(alias), reads)
    return f"coalesce((SELECT {built} FROM {one_party(PartyKind(type_name.upper()), party_id, alias)}), {NULL})"


def _party_by_id(planner: Planner, type_name: str, nodes: list[FieldNode], pk: int) -> str:
    """``merchant(id:)``/``consumer(id:)``/``node``: whom the read rule lets reach the party
    (``may_reach_merchant``, ``may_reach_consumer``); others get the standard path's
    FORBIDDEN. A merchant's counterparty fact is one EXISTS in the statement; so is a
    partner's consent (its grants as of now), and its reach is logged (``require_merchant_reach``)."""
    principal = planner.principal
    if type_name == "Merchant":
        merchant = planner.params.add(pk, "bigint")
        if principal.is_partner:
            one = _one(planner, type_name, nodes, merchant, planner.log([pk]))
            return f"CASE WHEN {planner.granted(merchant)} THEN {one} ELSE {DENIED_JSON} END"
        if not may_reach_merchant(principal, pk):
            raise Fallback("this merchant did not grant access")
        return _one(planner, type_name, nodes, merchant)
    if may_reach_consumer(principal, pk):
        return _one(planner, type_name, nodes, planner.params.add(pk, "bigint"))
    if not needs_counterparty(principal, pk):
        raise Fallback("not this consumer's audience")
    consumer = planner.params.add(pk, "bigint")
    paid = paid_by(Row(columns={"id": consumer}), planner.me())
    return f"CASE WHEN {paid} THEN {_one(planner, type_name, nodes, consumer)} ELSE {DENIED_JSON} END"


class Me(RootSpec):
    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        principal = planner.principal
        if principal.role not in (Role.CONSUMER, Role.MERCHANT) or principal.party_id is None:
            return NULL
        me = planner.params.add(principal.party_id, "bigint")
        # The party's kind picks the union member, as Party's is_type_of does.
        members = " ".join(f"WHEN '{kind.value}' THEN {_one(planner, kind.value.title(), nodes, me)}"
                           for kind in (PartyKind.CONSUMER, PartyKind.MERCHANT))
        return f"coalesce(CASE {party_kind(me)} {members} END, {NULL})"


class PartyById(RootSpec):
    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        decoded = decode_id(args["id"], self.type_name)
        if decoded is None:
            return NULL
        return _party_by_id(planner, self.type_name, nodes, decoded[1])


class PaymentById(RootSpec):
    """``payment(id:)``: its buyer, its merchant and operators read it; anyone else gets null."""

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        decoded = decode_id(args["id"], "Payment")
        return NULL if decoded is None else _payment(planner, nodes, decoded[1])


def _payment(planner: Planner, nodes: list[FieldNode], pk: int) -> str:
    alias = planner.scope.aliases()
    readable = payment_readable(planner, alias)
    if readable is None:
        return NULL
    built = planner.object(_type(planner, "Payment"), nodes, Row(alias))
    source = one_payment(planner.params.add(pk, "bigint"), alias)
    return f"coalesce((SELECT {built} FROM {source} AND {readable}), {NULL})"


def payment_readable(planner: Planner, alias: str) -> str | None:
    """``access.may_read_payment`` as SQL on the payment row ``alias``: operators, else its
    buyer or merchant. None: this principal reads no payment. A test holds it to the Python
    rule. A partner's payment read is logged against the payment's merchant, known only
    once the row is read: those take the standard path."""
    principal = planner.principal
    if principal.is_partner:
        raise Fallback("a partner's read of a payment by id")
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
        if decoded is None and id_type(args["id"]) is None:
            return NULL
        if decoded is None or decoded[0] not in ("Merchant", "Consumer", "Payment"):
            # A party's wallet, line, holding, a fund, a partner: read by their resolvers.
            raise Fallback("node(id:) of an object the compiled path does not refetch")
        type_name, pk = decoded
        if type_name == "Payment":
            return _payment(planner, nodes, pk)
        return _party_by_id(planner, type_name, nodes, pk)


class Merchants(RootSpec):
    """``merchants``: a partner's lists only the merchants that granted it access, as
    ``schema.queries`` lists them, and each listed one is logged."""

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        query = planner.schema.query_type
        assert query is not None
        connection = query.fields["merchants"].type
        only = planner.granted if planner.principal.is_partner else None
        return planner.page(
            object_type(connection), nodes, args,
            lambda limit, before: parties_rows(PartyKind.MERCHANT, limit, before, only=only),
            planner.log(None),
        )


class Entities(RootSpec):
    """``_entities``: a router's batch, each representation answered as its type's
    ``resolve_reference`` answers it (``schema.entities._party``, ``readable_payment``):
    through the same ``_party_by_id`` and ``_payment`` as ``node``. A representation the
    standard path would refuse (``checked_representation``) makes the request fall back,
    so its error is the standard path's own."""

    def __init__(self) -> None:
        #: Entity types and their key fields, per schema (read off it once).
        self._keys: dict[int, tuple[GraphQLSchema, dict[str, frozenset[str]]]] = {}

    def build(self, planner: Planner, nodes: list[FieldNode], args: dict[str, Any]) -> str:
        keys = self.keys(planner.schema)
        checked = []
        for index, representation in enumerate(args["representations"]):
            fit = checked_representation(representation, index, keys)
            if not isinstance(fit, dict):
                raise Fallback(fit.message)
            checked.append(fit)
        if checked and all(c["__typename"] == "Merchant" for c in checked):
            return self._merchants(planner, nodes, [c["id"] for c in checked])
        return json_array([self._entity(planner, nodes, c["__typename"], c["id"]) for c in checked])

    @staticmethod
    def _merchants(planner: Planner, nodes: list[FieldNode], ids: list[str]) -> str:
        """A router's usual batch, merchants only: one subquery over the ids in order, so the
        statement (and PostgreSQL's plan of it) is MerchantView's, whatever the batch's size."""
        keys = []
        partner = planner.principal.is_partner
        for id_ in ids:
            decoded = decode_id(id_, "Merchant")
            if decoded is not None and not partner and not may_reach_merchant(planner.principal, decoded[1]):
                raise Fallback("this merchant did not grant access")
            keys.append(None if decoded is None else decoded[1])
        reads = planner.log(list(keys), batch=True)
        alias = planner.scope.aliases()
        built = planner.object(_type(planner, "Merchant"), nodes, Row(alias), reads)
        source = parties_at(PartyKind.MERCHANT, planner.params.add(keys, "bigint[]"), alias)
        # A partner's consent is asked in the statement (its grants as of now), before the row.
        refused = (f"WHEN {alias}_at.id IS NOT NULL AND NOT {planner.granted(f'{alias}_at.id')}"
                   f" THEN {DENIED_JSON} " if partner else "")
        merchant = f"CASE {refused}WHEN {alias}.id IS NULL THEN {NULL} ELSE {built} END"
        return f"(SELECT '[' || string_agg({merchant}, ',' ORDER BY {alias}_at.n) || ']' FROM {source})"

    @staticmethod
    def _entity(planner: Planner, nodes: list[FieldNode], type_name: str, id_: str) -> str:
        decoded = decode_id(id_, type_name)
        if decoded is None:
            return NULL
        if type_name == "Payment":
            return _payment(planner, nodes, decoded[1])
        if type_name in ("Merchant", "Consumer"):
            return _party_by_id(planner, type_name, nodes, decoded[1])
        raise NotCompilable(f"entity {type_name}")

    def keys(self, schema: GraphQLSchema) -> dict[str, frozenset[str]]:
        known = self._keys.get(id(schema))
        if known is None or known[0] is not schema:
            known = self._keys[id(schema)] = (schema, entity_keys_of(schema))
        return known[1]


#: Root fields the federation library adds to ``Query`` (no metadata can sit on them).
FEDERATION_ROOTS: dict[str, RootSpec] = {"_entities": Entities()}
