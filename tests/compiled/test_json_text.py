"""The compiled statement writes the response body itself (ADR 021): its JSON text is sent as is.

PostgreSQL builds the JSON by concatenating text, with ``to_json`` escaping each string,
and the gateway puts ``{"data":`` ... ``}`` around it without parsing or re-encoding it.
So the text must already be what the standard path's encoder (orjson) writes, byte for
byte, including for names JSON must escape. This test reads a merchant with such a name
through ``CompiledReads.answer`` and holds the body it would send to the standard app's.
"""

from __future__ import annotations

from types import SimpleNamespace

import asyncpg
import orjson

from gateway.app import create_app
from gateway.settings import Settings
from schema.compiled import CompiledReads
from services.kernel.clock import Clock
from services.kernel.principal import Principal, Role
from tests.compiled.dataset import DataSet
from tests.compiled.differential import Pair
from tests.conftest import SECRET, START
from tests.support import CREATE_MERCHANT

#: Quotes, a backslash, a slash, CJK, an emoji, the separators JavaScript once choked on.
AWKWARD_NAME = 'Tea "House" \\ West/Lake 西湖龙井 🍵 \u2028\u2029 end'

#: Everything here is built in SQL (no computed field is left to Python).
MERCHANT = """query Awkward($id: ID!) { merchant(id: $id) { __typename id name certified
  wallet { balance { amount currency } }
  receivedPayments(first: 5) { edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } } }"""


async def test_the_statement_writes_the_body_the_standard_path_encodes(
    pair: Pair, data_set: DataSet, database_url: str,
) -> None:
    operator = data_set.tokens["operator"]
    assert operator is not None
    headers = {"Authorization": f"Bearer {operator}"}
    created = await pair.standard.post("/graphql", json={"query": CREATE_MERCHANT, "variables": {"n": AWKWARD_NAME}},
                                       headers=headers)
    merchant_id = created.json()["data"]["createMerchant"]["merchant"]["id"]
    body = {"query": MERCHANT, "variables": {"id": merchant_id}}
    standard = await pair.standard.post("/graphql", json=body, headers=headers)
    assert standard.status_code == 200 and standard.json()["data"]["merchant"]["name"] == AWKWARD_NAME

    compiled: CompiledReads = create_app(Settings(database_url=database_url, jwt_secret=SECRET)).state.compiled_reads
    compiled.validated(MERCHANT)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        context = SimpleNamespace(pool=pool, clock=Clock(START), principal=Principal(Role.OPERATOR))
        answer = await compiled.answer(context, query=MERCHANT, operation_name=None,
                                       variables={"id": merchant_id})
    finally:
        await pool.close()
    assert answer is not None and answer.text is not None, "the statement built all of it: no Python left"
    assert answer.text == orjson.dumps(orjson.loads(answer.text)).decode(), "not the compact form orjson writes"
    assert answer.body() == standard.content
