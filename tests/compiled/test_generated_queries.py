"""Generated requests (tests/compiled/generate.py), as every kind of caller: both apps answer alike.

Hypothesis draws a request, a viewer, GET or POST and an ``Accept`` header; both apps must
answer with the same status, content type and bytes. The first test draws over the
whole schema, flaws included; the second stays where the compiled path is meant to
answer (its roots and described fields, parties and operators, valid documents), so
that most of its examples exercise the compiled SQL rather than the fallback. The
examples are derandomised: CI sees the same corpus every run. The share of requests the
compiled path answered is printed in the test summary. The third draws the same compilable
requests as partners and also holds the access-log rows each app's answer wrote to be the
same (ADR 020).
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from schema import build_schema
from schema.compiled import specs_of
from tests.compiled.dataset import VIEWERS, DataSet
from tests.compiled.differential import LogRow, Pair, logged
from tests.compiled.generate import ROOTS, GeneratedRequest, Shape, Vocabulary, requests

SCHEMA = build_schema()._schema
ACCEPT = (None, "application/json", "application/graphql-response+json")
_SPECS = specs_of(SCHEMA)
_DESCRIBED = _SPECS.fields.keys()
COMPILED_ROOTS = _SPECS.roots.keys()


def _compiled_field(type_name: str, field_name: str) -> bool:
    """Fields the services describe in SQL, and the connections' own (which the planner builds)."""
    return (type_name, field_name) in _DESCRIBED or type_name.endswith(("Connection", "Edge")) or type_name == "PageInfo"


#: The same corpus every run, no deadline (HTTP round trips), and no shrinking: a failing
#: request is already small (40 fields at most) and shrinking one over HTTP outlasts the
#: suite's 300 s timeout.
RUN: dict[str, Any] = {
    "deadline": None, "derandomize": True, "database": None,
    "phases": (Phase.explicit, Phase.generate),
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
COMPILED_SHAPE = Shape(roots=tuple(sorted(set(ROOTS) & set(COMPILED_ROOTS))), flaws=(None,), selectable=_compiled_field)
PARTIES_AND_OPERATORS = ("operator", "consumer itself", "another consumer", "merchant itself", "another merchant")
PARTNERS = ("partner with full consent", "partner with partial scopes", "partner without consent")
_log_requests = itertools.count(1)


async def _compare(pair: Pair, data_set: DataSet, data: st.DataObject, request: GeneratedRequest, viewer: str,
                   *, kind: str) -> None:
    method = data.draw(st.sampled_from(["POST", "POST", "GET"]), label="method")
    accept = data.draw(st.sampled_from(ACCEPT), label="accept")
    headers = {"Accept": accept} if accept else {}
    await pair.compare(request.body(), data_set.tokens[viewer], kind=kind, method=method, headers=headers)


@settings(max_examples=400, **RUN)
@given(data=st.data())
async def test_any_request_as_anyone(pair: Pair, data_set: DataSet, data: st.DataObject) -> None:
    vocabulary = Vocabulary(ids=data_set.ids, cursors=data_set.cursors)
    request = data.draw(requests(SCHEMA, vocabulary), label="request")
    viewer = data.draw(st.sampled_from(VIEWERS), label="viewer")
    await _compare(pair, data_set, data, request, viewer, kind="generated: any request, any viewer")


@settings(max_examples=300, **RUN)
@given(data=st.data())
async def test_compilable_requests_as_parties_and_operators(pair: Pair, data_set: DataSet, data: st.DataObject) -> None:
    vocabulary = Vocabulary(ids=data_set.ids, cursors=data_set.cursors)
    request = data.draw(requests(SCHEMA, vocabulary, COMPILED_SHAPE), label="request")
    viewer = data.draw(st.sampled_from(PARTIES_AND_OPERATORS), label="viewer")
    await _compare(pair, data_set, data, request, viewer, kind="generated: compiled subset, parties and operators")


@settings(max_examples=150, **RUN)
@given(data=st.data())
async def test_compilable_requests_as_partners_read_and_log_alike(
    pair: Pair, data_set: DataSet, database_url: str, data: st.DataObject
) -> None:
    vocabulary = Vocabulary(ids=data_set.ids, cursors=data_set.cursors)
    request = data.draw(requests(SCHEMA, vocabulary, COMPILED_SHAPE), label="request")
    viewer = data.draw(st.sampled_from(PARTNERS), label="viewer")
    token = data_set.tokens[viewer]
    assert token is not None
    await _compare(pair, data_set, data, request, viewer, kind="generated: compiled subset, partners")
    request_id = f"generated-partner-{next(_log_requests)}"
    standard, _ = await logged(database_url, pair.standard, request.body(), token, request_id)
    compiled, read_path = await logged(database_url, pair.compiled, request.body(), token, request_id)
    if read_path == "compiled":
        assert compiled == standard
    else:  # both standard: two roots' reads interleave as their loaders answer, so no order is owed
        assert _unordered(compiled) == _unordered(standard)


def _unordered(rows: list[LogRow]) -> list[tuple[Any, ...]]:
    return sorted((*row[:3], tuple(sorted(row[3])), row[4]) for row in rows)
