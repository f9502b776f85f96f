"""A paid-out standard redemption is never invisible: the holding and the wallet agree with the calendar.

Redeemed on Tuesday 11-24 (T), a standard redemption pays out on Wednesday 11-25. Until the
settlement posts it, the holding keeps the units as ``redeemingUnits`` with the payout date
in ``pendingRedemptions`` (a read moves no money, ADR 022); ``settle_due_fund_orders``, the
function the scheduler runs at the start of each business day, pays it once, whichever day
it runs.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.funds import settle_due_fund_orders
from services.kernel.principal import Role
from tests.conftest import Server
from tests.funds.support import REDEEM, at, clock_at, private_fund, subscribe
from tests.support import TRIAL_BALANCE, Api, Party, new_key

SEEN = """query($f: String!) { me { ... on Consumer { wallet { balance { amount } }
  fundHolding(fundCode: $f) { units pendingUnits redeemingUnits pendingRedemptions { units payoutDate } } } } }"""


async def seen(api: Api, server: Server, party: Party, fund: str) -> dict[str, Any]:
    token = server.token(Role.CONSUMER, party.pk)
    me: dict[str, Any] = (await api.gql(SEEN, token, f=fund))["me"]
    assert (await api.gql(SEEN, token, f=fund))["me"] == me  # the compiled path reads the same
    return {"wallet": me["wallet"]["balance"]["amount"], **me["fundHolding"]}


def owned(view: dict[str, Any]) -> Decimal:
    """What the investor owns in all, as the reads show it: nothing may drop out of sight."""
    return Decimal(view["wallet"]) + Decimal(view["units"]) + Decimal(view["pendingUnits"]) + Decimal(
        view["redeemingUnits"])


async def settle_at(db: asyncpg.Pool, instant: datetime) -> int:
    async with db.acquire() as conn, conn.transaction():
        return await settle_due_fund_orders(conn, now=instant)


async def test_a_due_redemption_stays_in_sight_until_the_settlement_pays_it_once(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    fund = await private_fund(db)
    saver = await api.consumer(balance="3000.00")
    with clock_at(server, "2026-11-23 10:00"):  # Monday: confirmed Tuesday
        assert (await subscribe(api, saver, fund, "3000.00"))["userErrors"] == []
    with clock_at(server, "2026-11-24 10:00"):
        token = server.token(Role.CONSUMER, saver.pk)
        redeemed = await api.gql(REDEEM, token, f=fund, a="1000.00", m="STANDARD", k=new_key())
        assert redeemed["redeemFund"]["userErrors"] == []
        on_t = await seen(api, server, saver, fund)
    assert on_t == {"wallet": "0.00", "units": "2000.00", "pendingUnits": "0.00", "redeemingUnits": "1000.00",
                    "pendingRedemptions": [{"units": "1000.00", "payoutDate": "2026-11-25"}]}
    with clock_at(server, "2026-11-30 10:00"):  # nobody settled since: still in sight, marked due since 11-25
        late = await seen(api, server, saver, fund)
        assert late == on_t and owned(late) == Decimal("3000.00")
        assert await settle_at(db, at("2026-11-30 10:00")) >= 1  # the whole book: other tests' orders too
        paid = await seen(api, server, saver, fund)
        assert paid == {"wallet": "1000.00", "units": "2000.00", "pendingUnits": "0.00", "redeemingUnits": "0.00",
                        "pendingRedemptions": []}
        await settle_at(db, at("2026-11-30 10:05"))  # once only
        assert await seen(api, server, saver, fund) == paid
        assert (await api.gql(TRIAL_BALANCE, api.operator))["trialBalance"]["total"]["amount"] == "0.00"


async def test_the_settlement_at_the_start_of_the_payout_day_pays_it_that_day(
    api: Api, server: Server, db: asyncpg.Pool
) -> None:
    fund = await private_fund(db)
    saver = await api.consumer(balance="500.00")
    with clock_at(server, "2026-11-23 10:00"):
        await subscribe(api, saver, fund, "500.00")
    with clock_at(server, "2026-11-24 16:00"):  # after the 15:00 cut-off: T is 11-25, payout 11-26
        token = server.token(Role.CONSUMER, saver.pk)
        assert (await api.gql(REDEEM, token, f=fund, a="200.00", m="STANDARD", k=new_key()))["redeemFund"][
            "userErrors"] == []
    await settle_at(db, at("2026-11-25 23:59"))  # the eve of the payout day: not yet
    with clock_at(server, "2026-11-26 00:00"):
        assert (await seen(api, server, saver, fund))["pendingRedemptions"] == [
            {"units": "200.00", "payoutDate": "2026-11-26"}]
        assert (await seen(api, server, saver, fund))["wallet"] == "0.00"
        assert await settle_at(db, at("2026-11-26 00:00")) >= 1
        assert (await seen(api, server, saver, fund))["wallet"] == "200.00"
