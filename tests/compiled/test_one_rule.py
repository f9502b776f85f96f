"""Each rule the SQL and the Python both need is checked against its one definition (issue 14, item 2).

Payment statuses and "held" (``models.PaymentStatus``, ``HELD_STATUSES``) against the
migrations' CHECK and partial indexes; the Payment JSON of ``payments.payment_json``
against the Python model; the compiled path's SQL guard against ``services.kernel.access``.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import asyncpg
import orjson
import pytest
from graphql import OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values

from schema import build_schema
from schema.compiled import specs_of
from schema.compiled.access_log import PartnerReads
from schema.compiled.planner import DENIED, Planner
from schema.compiled.roots import payment_readable
from services.kernel.access import EXPOSURES, Exposure, may_read_consumer_field, may_read_payment
from services.kernel.graph.compiled import Row
from services.kernel.principal import Principal, Role
from services.kernel.sql_call import json_adapter
from services.partners import grants_of
from services.payments import lifecycle
from services.payments.models import (
    HELD_STATUSES,
    OPEN_DISPUTE_STATUSES,
    DisputeStatus,
    PartyKind,
    Payment,
    PaymentEventKind,
    PaymentStatus,
)
from services.payments.repository import (
    _PAYMENT_COLUMNS,
    HELD_STATUSES_SQL,
    OPEN_DISPUTE_STATUSES_SQL,
    payment_from_row,
)
from tests.e2e.test_partners import CREATE_PARTNER, GRANT
from tests.support import Api

SCHEMA = build_schema()._schema
SPECS = specs_of(SCHEMA)


def _literals(sql: str) -> set[str]:
    return set(re.findall(r"'([A-Z_]+)'", sql))


async def test_the_party_kind_check_allows_exactly_the_party_kinds(db: asyncpg.Pool) -> None:
    definitions = await db.fetch(
        "SELECT pg_get_constraintdef(oid) AS sql FROM pg_constraint"
        " WHERE conrelid = 'payments.parties'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%kind%'"
    )
    assert len(definitions) == 1, definitions
    assert _literals(definitions[0]["sql"]) == {kind.value for kind in PartyKind}


async def test_the_repository_reads_every_column_of_a_payment(db: asyncpg.Pool) -> None:
    columns = {row["column_name"] for row in await db.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'payments' AND table_name = 'payments'"
    )}
    read = {column.strip() for column in _PAYMENT_COLUMNS.split(",")}
    assert read == columns
    # every column but the currency (which each Money carries) is a field of the model
    assert columns - {"currency"} == {f.name for f in dataclasses.fields(Payment)}


async def _check(db: asyncpg.Pool, table: str, name: str) -> str:
    definition: str | None = await db.fetchval(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2",
        f"payments.{table}", name,
    )
    assert definition is not None, (table, name)
    return definition


async def test_the_status_check_allows_exactly_the_payment_statuses(db: asyncpg.Pool) -> None:
    assert _literals(await _check(db, "payments", "payments_status_check")) == {s.value for s in PaymentStatus}
    # and a deadline only while held (the lifecycle's one timed stage is a held one)
    timed = await _check(db, "payments", "payments_confirm_by_while_held")
    assert _literals(timed) == {status.value for status in HELD_STATUSES}
    assert all(lifecycle.STAGE_STATUSES[stage] <= HELD_STATUSES for stage in lifecycle.TIMED_STAGES)


@pytest.mark.parametrize("index", ["payments_held", "payments_held_by_merchant", "payments_confirm_due"])
async def test_the_held_indexes_cover_exactly_the_held_statuses(db: asyncpg.Pool, index: str) -> None:
    definition = await db.fetchval("SELECT pg_get_indexdef(('payments.' || $1)::regclass)", index)
    predicate = definition.split(" WHERE ", 1)[1]
    held = {status.value for status in HELD_STATUSES}
    assert _literals(predicate) == held
    # the repository's and the compiled path's spelling is the same list, so the indexes still match
    assert _literals(HELD_STATUSES_SQL) == held


async def test_the_dispute_checks_are_the_lifecycle_table(db: asyncpg.Pool) -> None:
    statuses = {status.value for status in DisputeStatus}
    assert _literals(await _check(db, "disputes", "disputes_status_check")) == statuses
    # every dispute status the table moves to or from is allowed, and no other
    moved = {s.value for (s, _), to in lifecycle.DISPUTE_TRANSITIONS.items()} | {
        to.value for to in lifecycle.DISPUTE_TRANSITIONS.values()}
    assert moved == statuses
    # "open" (the timer stopped, no closing time) is the same set in SQL and Python
    opened = {status.value for status in OPEN_DISPUTE_STATUSES}
    assert _literals(await _check(db, "disputes", "disputes_closed_when_settled")) == opened
    assert _literals(OPEN_DISPUTE_STATUSES_SQL) == opened
    predicate = (await db.fetchval("SELECT pg_get_indexdef('payments.disputes_open'::regclass)")).split(" WHERE ")[1]
    assert _literals(predicate) == opened
    # the open statuses are exactly those of the dispute stages
    stages = {lifecycle.Stage.IN_DISPUTE: DisputeStatus.OPEN, lifecycle.Stage.WITH_OPERATOR: DisputeStatus.REJECTED}
    assert set(stages.values()) == OPEN_DISPUTE_STATUSES
    # a history step is a dispute step of the table, by one of its actors
    dispute_steps = set(lifecycle.DISPUTE_STEPS)
    assert {s for (_, s) in lifecycle.DISPUTE_TRANSITIONS} | {lifecycle.Step.OPEN_DISPUTE} == dispute_steps
    assert _literals(await _check(db, "dispute_steps", "dispute_steps_action_check")) == {s.value for s in dispute_steps}
    actors = {actor.value for step in dispute_steps for actor in lifecycle.actors_of(step)}
    assert _literals(await _check(db, "dispute_steps", "dispute_steps_actor_check")) == actors


async def test_the_event_kind_check_allows_exactly_the_event_kinds(db: asyncpg.Pool) -> None:
    definition = await _check(db, "payment_events", "payment_events_kind_check")
    assert _literals(definition) == {kind.value for kind in PaymentEventKind}


async def test_payment_json_is_the_python_payment(api: Api, db: asyncpg.Pool) -> None:
    buyer = await api.consumer(balance="80.00")
    merchant = await api.merchant()
    paid = await api.pay(buyer, merchant, "12.34")
    assert not paid["userErrors"], paid
    pk = int(paid["payment"]["id"].split("_")[1])
    async with db.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM payments.payments WHERE id = $1", pk)
        text = await conn.fetchval("SELECT payments.payment_json(p)::text FROM payments.payments p WHERE id = $1", pk)
    shape = orjson.loads(text)
    assert set(shape) == {f.name for f in dataclasses.fields(Payment)}
    assert json_adapter(Payment).validate_json(text) == payment_from_row(row)


def _planner(principal: Principal) -> Planner:
    operation = parse("{ __typename }").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    variables = get_variable_values(SCHEMA, (), {})
    assert not isinstance(variables, list)
    return Planner(SCHEMA, SPECS, operation=operation, fragments={}, variables=variables, principal=principal,
                   today=date(2026, 11, 30), resolvable=lambda _type, _field: True)


async def test_the_compiled_guard_answers_as_the_read_rule(api: Api, db: asyncpg.Pool) -> None:
    # given a consumer who paid one merchant and not another
    consumer = await api.consumer(balance="10.00")
    paid = await api.merchant("Paid Co.")
    stranger = await api.merchant("Stranger Co.")
    other = await api.consumer("Han Meimei")
    assert not (await api.pay(consumer, paid, "1.00"))["userErrors"]
    principals = {
        "operator": Principal(Role.OPERATOR),
        "itself": Principal(Role.CONSUMER, consumer.pk),
        "another consumer": Principal(Role.CONSUMER, other.pk),
        "counterparty": Principal(Role.MERCHANT, paid.pk),
        "stranger": Principal(Role.MERCHANT, stranger.pk),
    }
    counterparty = {"counterparty": True}
    # then every Consumer field's SQL guard lets in exactly whom the Python rule lets in
    for who, principal in principals.items():
        for field, exposure in EXPOSURES["Consumer"].items():
            planner = _planner(principal)
            row = Row(columns={"id": planner.params.add(consumer.pk, "bigint")})
            sql = planner.guarded(SPECS.guards.get(("Consumer", field)), row, "'read'::text")
            answer = await db.fetchval(f"SELECT ({sql})::text WHERE {row['id']} IS NOT NULL", *planner.params.values)
            allowed = may_read_consumer_field(principal, consumer.pk, exposure, counterparty=counterparty.get(who, False))
            assert (answer != f'"{DENIED}"') == allowed, (who, field, answer)
        for field, exposure in EXPOSURES["Merchant"].items():
            planner = _planner(principal)
            row = Row(columns={"id": planner.params.add(paid.pk, "bigint")})
            sql = planner.guarded(SPECS.guards.get(("Merchant", field)), row, "'read'::text")
            answer = await db.fetchval(f"SELECT ({sql})::text WHERE {row['id']} IS NOT NULL", *planner.params.values)
            allowed = exposure is Exposure.PUBLIC or principal.may_read(paid.pk, "any:read")
            assert (answer != f'"{DENIED}"') == allowed, (who, field, answer)


async def test_the_compiled_partner_guard_answers_as_the_read_rule(api: Api, db: asyncpg.Pool) -> None:
    """A partner's SQL guard (its grants, read in the statement, and its token's scopes) against
    ``Principal.may_read`` with the scope the field declares (``field_scope``, as
    ``require_private_access`` reads it) and the grants the guard pipeline reads."""
    # given a merchant that granted the partner two scopes, one of them missing from its token
    granting, silent = await api.merchant("Granting Co."), await api.merchant("Silent Co.")
    consumer = await api.consumer()
    created = await api.gql(CREATE_PARTNER, api.operator, n="Guarded partner")
    partner_id = created["createPartner"]["partner"]["id"]
    await api.gql(GRANT, granting.token, p=partner_id, s=["payments:read", "credit:read"])
    partner_pk = int(partner_id.split("_")[1])
    partner = Principal(Role.PARTNER, partner_id=partner_pk, scopes=frozenset({"payments:read", "funds:read"}),
                        grants=await grants_of(db, partner_pk))
    checked = set()
    for type_name, party in (("Merchant", granting), ("Merchant", silent), ("Consumer", consumer)):
        for field, exposure in EXPOSURES[type_name].items():
            planner = _planner(partner)
            row = Row(columns={"id": planner.params.add(party.pk, "bigint")})
            sql = planner.partner_guarded(type_name, field, row, "'read'::text", PartnerReads("x", [party.pk]))
            answer = await db.fetchval(f"SELECT ({sql})::text WHERE {row['id']} IS NOT NULL", *planner.params.values)
            scope = SPECS.scopes.get((type_name, field))
            if type_name == "Consumer":
                allowed = may_read_consumer_field(partner, party.pk, exposure)
            else:
                allowed = partner.may_read(party.pk, scope) if scope is not None else exposure is Exposure.PUBLIC
            assert (answer != f'"{DENIED}"') == allowed, (type_name, field, party.pk, answer)
            checked.add((type_name, field, allowed))
    # then the case covers a read let in, a scope the token lacks, one never granted, and a public field
    assert {("Merchant", "wallet", True), ("Merchant", "creditLine", False), ("Merchant", "fundHolding", False),
            ("Merchant", "name", True), ("Consumer", "name", False)} <= checked


async def test_the_compiled_payment_rule_answers_as_the_read_rule(api: Api, db: asyncpg.Pool) -> None:
    buyer = await api.consumer(balance="10.00")
    merchant = await api.merchant()
    other_consumer, other_merchant = await api.consumer("Han Meimei"), await api.merchant("Stranger Co.")
    paid = await api.pay(buyer, merchant, "1.00")
    pk = int(paid["payment"]["id"].split("_")[1])
    for principal in (Principal(Role.OPERATOR), Principal(Role.CONSUMER, buyer.pk), Principal(Role.MERCHANT, merchant.pk),
                      Principal(Role.CONSUMER, other_consumer.pk), Principal(Role.MERCHANT, other_merchant.pk)):
        planner = _planner(principal)
        readable = payment_readable(planner, "p")
        sql = "false" if readable is None else readable
        payment = planner.params.add(pk, "bigint")
        statement = f"SELECT {sql} FROM payments.payments p WHERE p.id = {payment}"  # noqa: S608 (the planner's own SQL)
        answer = await db.fetchval(statement, *planner.params.values)
        assert answer == may_read_payment(principal, buyer_id=buyer.pk, merchant_id=merchant.pk), principal
