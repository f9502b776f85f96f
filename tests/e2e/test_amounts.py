"""Amounts are exact: bad ones are refused clearly (userErrors or GraphQL validation), never rounded, never a 500."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import Server
from tests.fuzz.judge import verdict
from tests.support import Api, Party, footprint, new_key


@dataclass
class Scene:
    buyer: Party
    merchant: Party
    other: Party
    payment_id: str


@dataclass(frozen=True)
class Operation:
    name: str
    #: The mutation with ``AMOUNT`` where the amount goes and ``VARS`` for the extra variable definitions.
    template: str
    acting: str  # which party of the scene sends it

    def document(self, amount: str | None) -> str:
        """With ``amount`` None the amount is the variable ``$a``; else that literal text."""
        definitions = "$k: String!" + (", $target: ID!" if "$target" in self.template else "")
        definitions += ", $a: Decimal!" if amount is None else ""
        body = self.template.replace("AMOUNT", "$a" if amount is None else amount)
        return f"mutation({definitions}) {{ {body} }}"

    def variables(self, scene: Scene) -> dict[str, Any]:
        target = {"createPayment": scene.merchant.id, "transfer": scene.other.id, "refundPayment": scene.payment_id}
        variables: dict[str, Any] = {"k": new_key()}
        if self.name in target:
            variables["target"] = target[self.name]
        return variables


_ERRORS = "userErrors { code field message }"
OPERATIONS = [
    Operation("topUp", f"topUp(input: {{amount: AMOUNT, idempotencyKey: $k}}) {{ {_ERRORS} }}", "buyer"),
    Operation("withdraw", f"withdraw(input: {{amount: AMOUNT, idempotencyKey: $k}}) {{ {_ERRORS} }}", "buyer"),
    Operation(
        "createPayment",
        f"createPayment(input: {{merchantId: $target, amount: AMOUNT, idempotencyKey: $k}}) {{ {_ERRORS} }}",
        "buyer",
    ),
    Operation(
        "refundPayment",
        f"refundPayment(input: {{paymentId: $target, amount: AMOUNT, idempotencyKey: $k}}) {{ {_ERRORS} }}",
        "merchant",
    ),
    Operation(
        "transfer", f"transfer(input: {{toPartyId: $target, amount: AMOUNT, idempotencyKey: $k}}) {{ {_ERRORS} }}",
        "buyer",
    ),
]
IDS = [op.name for op in OPERATIONS]


@pytest.fixture(scope="module")
async def scene(server: Server, http: httpx.AsyncClient) -> Scene:
    # One scene for the module: every test here must leave it exactly as it found it.
    api = Api(http=http, server_token=server.token)
    buyer = await api.consumer(balance="100.00")
    merchant = await api.merchant()
    other = await api.consumer("Other")
    payment = await api.pay(buyer, merchant, "50.00")
    return Scene(buyer, merchant, other, payment["payment"]["id"])


def _token(scene: Scene, op: Operation) -> str:
    party: Party = getattr(scene, op.acting)
    return party.token


async def _state(db: asyncpg.Pool, scene: Scene) -> dict[str, Any]:
    return await footprint(db, scene.buyer.pk, scene.merchant.pk, scene.other.pk)


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
@pytest.mark.parametrize("amount", ["-1", "0", "1.001", "1.000", "-0.00", "1000000000.01", "99999999999999999999"])
async def test_out_of_range_amounts_are_invalid_amount_user_errors(
    api: Api, db: asyncpg.Pool, scene: Scene, op: Operation, amount: str
) -> None:
    before = await _state(db, scene)

    response = await api.post(op.document(None), _token(scene, op), a=amount, **op.variables(scene))

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    [error] = body["data"][op.name]["userErrors"]
    assert error["code"] == "INVALID_AMOUNT"
    assert error["field"] == "amount"
    assert error["message"]
    assert await _state(db, scene) == before


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
@pytest.mark.parametrize("value", ["abc", "1e9999", 1.5, "NaN", "Infinity", " 1.00", "1,00", True, "123456789012345678901"])
async def test_malformed_amount_variables_are_validation_errors(
    api: Api, db: asyncpg.Pool, scene: Scene, op: Operation, value: object
) -> None:
    before = await _state(db, scene)

    response = await api.post(op.document(None), _token(scene, op), a=value, **op.variables(scene))

    # Legacy application/json clients get 200; the operation never ran, so there is no data.
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert "$a" in error["message"] and "Decimal" in error["message"], error
    assert repr(value) in error["message"] or json.dumps(value) in error["message"] or str(value) in error["message"]
    assert await _state(db, scene) == before


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
@pytest.mark.parametrize("literal", ['"abc"', '"1e9999"', "1.5", '"NaN"', "1e9999", "true"])
async def test_malformed_amount_literals_are_validation_errors(
    api: Api, db: asyncpg.Pool, scene: Scene, op: Operation, literal: str
) -> None:
    before = await _state(db, scene)

    response = await api.post(op.document(literal), _token(scene, op), **op.variables(scene))

    assert response.status_code == 200
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert "Decimal" in error["message"], error
    assert await _state(db, scene) == before


async def test_validation_errors_are_400_for_graphql_response_json_clients(api: Api, scene: Scene) -> None:
    op = OPERATIONS[0]
    response = await api.http.post(
        "/graphql", json={"query": op.document(None), "variables": {"a": "abc", **op.variables(scene)}},
        headers={"Authorization": f"Bearer {scene.buyer.token}", "Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_the_maximum_amount_itself_is_a_valid_amount(api: Api, scene: Scene) -> None:
    # 1,000,000,000.00 passes the amount rules; the wallet is what refuses it.
    data = await api.gql(OPERATIONS[1].document(None), scene.buyer.token, a="1000000000.00", **OPERATIONS[1].variables(scene))
    assert data["withdraw"]["userErrors"][0]["code"] == "INSUFFICIENT_FUNDS"


async def test_integer_and_two_decimal_amounts_are_exact(api: Api) -> None:
    party = await api.consumer()
    for amount in ("1", "0.01", "12.3", "99999.99"):
        await api.gql(OPERATIONS[0].document(None), party.token, a=amount, k=new_key())
    assert await api.balance(party) == "100013.30"


async def test_insufficient_funds_changes_nothing(api: Api, db: asyncpg.Pool, scene: Scene) -> None:
    before = await _state(db, scene)
    op = OPERATIONS[2]
    data = await api.gql(op.document(None), scene.buyer.token, a="50.01", **op.variables(scene))
    [error] = data["createPayment"]["userErrors"]
    assert (error["code"], error["field"]) == ("INSUFFICIENT_FUNDS", "amount")
    assert await _state(db, scene) == before
    assert await api.balance(scene.buyer) == "50.00"


# --- Generated amounts: only strings of ASCII digits are Decimals (ADR 006, 016) --------------

_PLAIN = st.from_regex(r"[1-9][0-9]{0,5}(\.[0-9]{1,2})?", fullmatch=True)
#: Every character Python's ``\\d`` and ``Decimal()`` read as a digit, but 0-9: full-width,
#: Arabic-Indic, Devanagari, mathematical digits...
_FOREIGN_DIGIT = st.characters(categories=["Nd"]).filter(lambda c: not "0" <= c <= "9")
_SPACE = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "\u2003", "\u200b", "\ufeff"])


def _with_foreign_digit(parts: tuple[str, str, int]) -> str:
    plain, digit, at = parts
    at %= len(plain) + 1
    return plain[:at] + digit + plain[at + 1:]


HOSTILE_AMOUNTS: st.SearchStrategy[object] = st.one_of(
    st.tuples(_PLAIN, _FOREIGN_DIGIT, st.integers(0, 9)).map(_with_foreign_digit),
    st.text(_FOREIGN_DIGIT, min_size=1, max_size=6),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.tuples(_PLAIN, st.sampled_from(["e", "E"]), st.integers(-3, 3)).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
    st.tuples(_PLAIN, _SPACE, st.booleans()).map(lambda t: t[1] + t[0] if t[2] else t[0] + t[1]),
    st.tuples(st.sampled_from(["+", "--", "\u2212", "+-", "\uff0b", "\uff0d"]), _PLAIN).map("".join),
)
GENERATED: dict[str, Any] = {
    "deadline": None, "derandomize": True, "database": None, "phases": (Phase.explicit, Phase.generate),
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


def _literal(value: object) -> str:
    """``value`` written into the document: a string literal for a string, the number itself for a number."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


@settings(max_examples=120, **GENERATED)
@given(amount=HOSTILE_AMOUNTS, as_variable=st.booleans())
async def test_generated_non_ascii_digits_numbers_exponents_spaces_and_signs_are_refused(
    api: Api, db: asyncpg.Pool, scene: Scene, amount: object, as_variable: bool
) -> None:
    op = OPERATIONS[0]  # topUp: a Decimal read as money would add it to the wallet
    before = await _state(db, scene)

    document = op.document(None if as_variable else _literal(amount))
    variables = {"a": amount} if as_variable else {}
    response = await api.post(document, _token(scene, op), **variables, **op.variables(scene))

    assert response.status_code == 200 and verdict(response) is None, response.text
    body = response.json()
    assert "data" not in body, (amount, body)
    assert "Decimal" in body["errors"][0]["message"] or "literal" in body["errors"][0]["message"], body
    assert await _state(db, scene) == before
