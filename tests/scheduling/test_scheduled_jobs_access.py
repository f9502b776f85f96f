"""``scheduledJobs`` is the operator's: FORBIDDEN to consumers, merchants and partners,
UNAUTHENTICATED without a token, on every transport (POST, GET, a batch item, WebSocket)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gateway.auth import issue_token
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, Server
from tests.protocols.ws_client import TransportWs, codes
from tests.scheduling.support import SCHEDULED_JOBS
from tests.support import Api

JOB_NAMES = ["releaseDuePayments", "settleFundOrders", "accrueCreditInterest", "flagMissingFundYields"]


async def _tokens(api: Api, server: Server) -> dict[str, str | None]:
    consumer, merchant = await api.consumer(), await api.merchant()
    data = await api.gql('mutation { createPartner(input: {name: "Jobs ERP"}) { partner { id } } }', api.operator)
    partner_pk = int(data["createPartner"]["partner"]["id"].split("_")[1])
    partner = Principal(Role.PARTNER, partner_id=partner_pk, scopes=frozenset({"payments:read", "credit:read"}))
    return {
        "operator": api.operator, "consumer": consumer.token, "merchant": merchant.token,
        "partner": issue_token(partner, secret=SECRET, now=server.clock.now(), ttl=timedelta(days=1)),
        "anonymous": None,
    }


def _code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


EXPECTED = {"operator": None, "consumer": "FORBIDDEN", "merchant": "FORBIDDEN", "partner": "FORBIDDEN",
            "anonymous": "UNAUTHENTICATED"}


async def test_scheduled_jobs_by_role_over_post_get_and_batches(api: Api, server: Server) -> None:
    tokens = await _tokens(api, server)
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        post = (await api.http.post("/graphql", json={"query": SCHEDULED_JOBS}, headers=headers)).json()
        get = (await api.http.get("/graphql", params={"query": SCHEDULED_JOBS}, headers=headers)).json()
        batch = (await api.http.post(
            "/graphql", json=[{"query": "{ __typename }"}, {"query": SCHEDULED_JOBS}], headers=headers
        )).json()
        for transport, body in [("POST", post), ("GET", get), ("batch", batch[1])]:
            assert _code(body) == EXPECTED[role], (role, transport, body)
            if EXPECTED[role] is None:
                assert [job["name"] for job in body["data"]["scheduledJobs"]] == JOB_NAMES
            else:
                assert body["data"] is None, (role, transport)


@pytest.mark.parametrize("role", ["consumer", "merchant", "partner", "operator"])
async def test_scheduled_jobs_by_role_over_websocket(api: Api, server: Server, role: str) -> None:
    token = (await _tokens(api, server))[role]
    async with TransportWs.connect(server.url, token) as ws:
        answer = await ws.answer(SCHEDULED_JOBS)
    if role == "operator":
        assert [job["name"] for job in answer["data"]["scheduledJobs"]] == JOB_NAMES, answer
    else:
        assert codes(answer) == ["FORBIDDEN"], answer
