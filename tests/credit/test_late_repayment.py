"""A repayment is late by the business calendar (Asia/Shanghai), not by the database session's UTC.

A drawdown made on 03-01 with a 30-day term is due 03-31 and overdue from 04-01 00:00 Shanghai
time, which is 03-31 16:00 UTC: repaid at 00:30 or 07:59 Shanghai time on 04-01, it is late,
exactly as if repaid at noon that day; repaid at 23:59 on 03-31, it is on time.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.kernel.principal import Role
from tests.conftest import Server
from tests.credit.test_credit_flow import DRAW, REPAY, Y, borrower
from tests.funds.support import clock_at
from tests.support import Api, Party, new_key

PROFILE = """{ me { ... on Consumer { creditProfile { score factors { name points detail } } } } }"""


def now_token(server: Server, party: Party) -> str:
    """The party's token minted at the server's clock as it stands (a token expires: the clock moves by days)."""
    return server.token(Role.CONSUMER, party.pk)


async def _repaid_at(api: Api, server: Server, when: str) -> dict[str, Any]:
    """A fresh borrower who draws 1000.00 on 03-01 and repays it all at ``when`` (Shanghai wall clock)."""
    with clock_at(server, f"{Y}-03-01 10:00"):
        consumer = await borrower(api)
        assert (await api.gql(DRAW, consumer.token, a="1000.00", k=new_key()))["drawCredit"]["userErrors"] == []
    with clock_at(server, when):
        repaid = (await api.gql(REPAY, now_token(server, consumer), a="1000.00", k=new_key()))["repayCredit"]
        assert repaid["userErrors"] == [] and repaid["creditLine"]["outstandingPrincipal"]["amount"] == "0.00"
        profile: dict[str, Any] = (await api.gql(PROFILE, now_token(server, consumer)))["me"]["creditProfile"]
    return {f["name"]: f for f in profile["factors"]}


@pytest.mark.parametrize("small_hours", ["00:30", "07:59"])
async def test_a_repayment_in_the_small_hours_of_the_first_overdue_day_is_late(
    api: Api, server: Server, small_hours: str
) -> None:
    on_due_date = await _repaid_at(api, server, f"{Y}-03-31 23:59")
    at_noon_overdue = await _repaid_at(api, server, f"{Y}-04-01 12:00")
    in_small_hours = await _repaid_at(api, server, f"{Y}-04-01 {small_hours}")
    assert "1 repaid on time" in on_due_date["REPAYMENT"]["detail"]
    assert "1 repaid late" in at_noon_overdue["REPAYMENT"]["detail"]
    assert in_small_hours["REPAYMENT"] == at_noon_overdue["REPAYMENT"]
    assert in_small_hours["REPAYMENT"]["points"] < on_due_date["REPAYMENT"]["points"]
