"""A refund after release gives the merchant back the same share of the platform's fee (ADR 022).

At 0.60%, a 333.33 payment released pays the merchant 331.34 and the platform 1.99. Refunding
all of it used to cost the merchant 333.33, 1.99 out of its own pocket; now the platform returns
its fee: the merchant pays 331.34 and ends where it started. A partial refund returns the fee
on that part, rounded down to the fen; the last refund returns what is left, so the fee
returned adds up to the fee taken. The trial balance stays zero throughout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from services.kernel import Clock
from tests.conftest import START, Server, running_app
from tests.support import CONFIRM_RECEIPT, REFUND_PAYMENT, TRIAL_BALANCE, Api, Party, new_key

FEE = """query($id: ID!) { payment(id: $id) { status fee { amount } refundedAmount { amount } } }"""


@pytest.fixture
async def fee_api(server: Server) -> AsyncIterator[Api]:
    """The app over the same database, charging a 60 basis-point platform fee on release."""
    async with running_app(replace(server.settings, platform_fee_bps=60), Clock(START)) as charging, \
            httpx.AsyncClient(base_url=charging.url, timeout=60) as http:
        yield Api(http=http, server_token=charging.token)


async def fee_income(api: Api) -> str:
    balance = (await api.gql(TRIAL_BALANCE, api.operator))["trialBalance"]
    assert balance["total"]["amount"] == "0.00"
    found = [a["balance"]["amount"] for a in balance["accounts"] if a["code"] == "FEE_INCOME:CNY"]
    return found[0] if found else "0.00"


async def released(api: Api, amount: str) -> tuple[Party, Party, str]:
    buyer, merchant = await api.consumer(balance=amount), await api.merchant()
    payment_id: str = (await api.pay(buyer, merchant, amount))["payment"]["id"]
    confirmed = (await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment_id, k=new_key()))["confirmReceipt"]
    assert confirmed["userErrors"] == []
    return buyer, merchant, payment_id


async def refund(api: Api, merchant: Party, payment_id: str, amount: str) -> None:
    refunded = (await api.gql(REFUND_PAYMENT, merchant.token, p=payment_id, a=amount, k=new_key()))["refundPayment"]
    assert refunded["userErrors"] == []


async def test_a_full_refund_after_release_returns_the_whole_fee(fee_api: Api) -> None:
    before = await fee_income(fee_api)
    buyer, merchant, payment_id = await released(fee_api, "333.33")
    assert await fee_api.balance(merchant) == "331.34"
    assert (await fee_api.gql(FEE, fee_api.operator, id=payment_id))["payment"]["fee"] == {"amount": "1.99"}
    await refund(fee_api, merchant, payment_id, "333.33")
    assert (await fee_api.balance(merchant), await fee_api.balance(buyer)) == ("0.00", "333.33")
    assert (await fee_api.gql(FEE, fee_api.operator, id=payment_id))["payment"] == {
        "status": "REFUNDED", "fee": {"amount": "0.00"}, "refundedAmount": {"amount": "333.33"}}
    assert await fee_income(fee_api) == before


async def test_partial_refunds_return_the_fee_on_each_part_rounded_down(fee_api: Api) -> None:
    before = await fee_income(fee_api)
    buyer, merchant, payment_id = await released(fee_api, "333.33")
    await refund(fee_api, merchant, payment_id, "100.00")  # 1.99 x 100.00 / 333.33 = 0.597: 0.59 back
    assert await fee_api.balance(merchant) == "231.93"  # 331.34 - (100.00 - 0.59)
    assert (await fee_api.gql(FEE, fee_api.operator, id=payment_id))["payment"]["fee"] == {"amount": "1.40"}
    await refund(fee_api, merchant, payment_id, "233.33")  # all that is left: the 1.40 left comes back
    assert (await fee_api.balance(merchant), await fee_api.balance(buyer)) == ("0.00", "333.33")
    assert await fee_income(fee_api) == before


async def test_a_refund_before_release_charges_no_fee_and_returns_none(fee_api: Api) -> None:
    buyer, merchant = await fee_api.consumer(balance="333.33"), await fee_api.merchant()
    payment_id = (await fee_api.pay(buyer, merchant, "333.33"))["payment"]["id"]
    await refund(fee_api, merchant, payment_id, "33.33")
    assert (await fee_api.gql(CONFIRM_RECEIPT, buyer.token, p=payment_id, k=new_key()))["confirmReceipt"][
        "userErrors"] == []
    assert await fee_api.balance(merchant) == "298.20"  # 300.00 less 0.60% = 1.80
    await refund(fee_api, merchant, payment_id, "300.00")
    assert (await fee_api.balance(merchant), await fee_api.balance(buyer)) == ("0.00", "333.33")
