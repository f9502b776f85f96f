"""Units being redeemed earn nothing on the order day (ADR 022), whatever the mode or the cut-off.

A day's income is paid on the units confirmed at the end of that day: a redemption leaves
``units`` when it is placed (a standard one waits in ``redeemingUnits`` for its payout,
earning nothing), so the order day earns on what is left, even after the 15:00 cut-off
when the order counts for the next trading day. As Yu'e Bao states it: money transferred
out earns no income from the day it is transferred out.
"""

from __future__ import annotations

import asyncpg

from services.kernel.principal import Role
from tests.conftest import Server
from tests.funds.support import HOLDING, PUBLISH, REDEEM, clock_at, private_fund, subscribe
from tests.support import Api, new_key


async def test_a_redemption_placed_after_the_cut_off_earns_nothing_on_its_order_day(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    fund = await private_fund(db)
    saver = await api.consumer(balance="10000.00")
    with clock_at(server, "2026-11-23 10:00"):
        await subscribe(api, saver, fund, "10000.00")  # confirmed Tuesday 11-24
    with clock_at(server, "2026-11-24 16:00"):  # after 15:00: T is 11-25, payout 11-26
        token = server.token(Role.CONSUMER, saver.pk)
        standard = await api.gql(REDEEM, token, f=fund, a="4000.00", m="STANDARD", k=new_key())
        assert standard["redeemFund"]["holding"] == {"units": "6000.00", "redeemingUnits": "4000.00"}
        instant = await api.gql(REDEEM, token, f=fund, a="1000.00", m="INSTANT", k=new_key())
        assert instant["redeemFund"]["holding"] == {"units": "5000.00", "redeemingUnits": "4000.00"}
    with clock_at(server, "2026-11-25 10:00"):
        published = await api.gql(PUBLISH, api.operator, f=fund, d="2026-11-24", e="2.0000")
        assert published["publishFundYield"]["distribution"]["totalIncome"] == {"amount": "1.00"}
        token = server.token(Role.CONSUMER, saver.pk)
        seen = (await api.gql(HOLDING, token, f=fund))["me"]["fundHolding"]
    # 5000.00 units earned 2.0000 per 10k: 1.00; the 5000.00 redeemed that day earned nothing.
    assert seen["yesterdayIncome"] == {"amount": "1.00"}
    assert (seen["units"], seen["redeemingUnits"]) == ("5001.00", "4000.00")
