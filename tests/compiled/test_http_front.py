"""The compiled path's own handling of a POST (``FingraphGraphQL._compiled_answer``) answers as the view does.

It reads a plain JSON body itself and hands anything unusual to Strawberry's view:
other Accept or Content-Type headers, keys it does not read (``extensions``), values
of the wrong type, numbers ``orjson`` does not take. Each case goes to both apps
(``Pair.compare``), which must answer with the same status, content type and bytes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.compiled.dataset import DataSet
from tests.compiled.differential import Pair
from tests.support import CONSUMER_HOME, MERCHANTS_PAGE

_PAGE: dict[str, Any] = {"query": MERCHANTS_PAGE}
_HOME: dict[str, Any] = {"query": CONSUMER_HOME, "operationName": "ConsumerHome"}

#: (case, body, headers, the path the compiled app must take or None for either)
CASES: list[Any] = [
    pytest.param(_PAGE, {"Accept": "application/graphql-response+json, application/json;q=0.9"}, "compiled",
                 id="accept both, the new type first"),
    pytest.param(_PAGE, {"Accept": "application/json;q=0.5, application/graphql-response+json"}, "compiled",
                 id="accept both by q-value"),
    pytest.param(_PAGE, {"Accept": "*/*"}, "compiled", id="accept anything"),
    pytest.param(_PAGE, {"Accept": "text/event-stream"}, None, id="accept an event stream"),
    pytest.param(_PAGE, {"Accept": "multipart/mixed"}, None, id="accept multipart"),
    pytest.param(_PAGE, {"Content-Type": "application/json; charset=utf-8"}, "compiled", id="json with a charset"),
    pytest.param(_PAGE, {"Content-Type": "Application/JSON"}, None, id="json in capitals (the view refuses it)"),
    pytest.param(_PAGE, {"Content-Type": "text/plain"}, None, id="not json"),
    pytest.param({**_PAGE, "extensions": {}}, {}, None, id="with extensions"),
    pytest.param({**_PAGE, "unknown": 1}, {}, None, id="an unknown key"),
    pytest.param({**_PAGE, "operationName": 5}, {}, None, id="an operation name that is a number"),
    pytest.param({**_PAGE, "variables": []}, {}, None, id="variables that are a list"),
    pytest.param({**_PAGE, "variables": {"after": 10**30}}, {}, None, id="a number past 64 bits"),
    pytest.param({**_PAGE, "variables": {"after": "bad cursor"}}, {}, None, id="a bad cursor"),
    pytest.param({**_HOME, "variables": None}, {}, None, id="null variables"),
    pytest.param({**_HOME, "operationName": None}, {}, None, id="a null operation name"),
]


@pytest.mark.parametrize(("body", "headers", "path"), CASES)
async def test_the_compiled_front_answers_as_the_view(
    pair: Pair, data_set: DataSet, body: dict[str, Any], headers: dict[str, str], path: str | None
) -> None:
    token = data_set.tokens["operator"]
    outcome = await pair.compare(body, token, kind="HTTP front of the compiled path", headers=headers)
    if path is not None:
        assert outcome.read_path == path
