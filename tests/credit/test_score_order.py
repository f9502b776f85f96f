"""The score over GraphQL moves the way a lender expects (docs/credit-score.md): overdue now <
repaid late < no history < repaid on time, and a refund the merchant grants never lowers the
buyer's score (it lowers the merchant's)."""

from __future__ import annotations

from typing import Any

from services.kernel.principal import Role
from tests.conftest import Server
from tests.credit.test_credit_flow import DRAW, REPAY, Y, borrower
from tests.funds.support import clock_at
from tests.support import CONFIRM_RECEIPT, REFUND_PAYMENT, Api, Party, new_key

PROFILE = """{ me { ... on Consumer { creditProfile { score factors { name points } } }
  ... on Merchant { creditProfile { score factors { name points } } } } }"""


def now_token(server: Server, party: Party) -> str:
    """The party's token minted at the server's clock as it stands (a token expires: the clock moves by days)."""
    return server.token(Role.CONSUMER, party.pk)


async def profile(api: Api, party: Party, token: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = (await api.gql(PROFILE, token or party.token))["me"]["creditProfile"]
    return {"score": found["score"], **{f["name"]: f["points"] for f in found["factors"]}}


async def test_overdue_now_below_repaid_late_below_no_history_below_repaid_on_time(api: Api, server: Server) -> None:
    with clock_at(server, f"{Y}-05-01 10:00"):
        overdue, late, unknown, punctual = [await borrower(api) for _ in range(4)]
        for party in (overdue, late, punctual):
            assert (await api.gql(DRAW, party.token, a="300.00", k=new_key()))["drawCredit"]["userErrors"] == []
    with clock_at(server, f"{Y}-05-20 10:00"):  # due 05-31
        assert (await api.gql(REPAY, now_token(server, punctual), a="300.00", k=new_key()))["repayCredit"]["userErrors"] == []
    with clock_at(server, f"{Y}-06-03 10:00"):
        assert (await api.gql(REPAY, now_token(server, late), a="300.00", k=new_key()))["repayCredit"]["userErrors"] == []
    with clock_at(server, f"{Y}-06-04 10:00"):
        seen = [await profile(api, party, now_token(server, party)) for party in (overdue, late, unknown, punctual)]
    assert [p["REPAYMENT"] for p in seen] == [0, 25, 50, 60]
    assert seen[0]["score"] < seen[1]["score"] < seen[2]["score"] < seen[3]["score"]
    # Everything but REPAYMENT is the same for the four: the score differs by that factor only.
    assert [p["score"] - p["REPAYMENT"] for p in seen] == [seen[0]["score"]] * 4


async def test_a_refund_the_merchant_grants_never_lowers_the_buyers_score(api: Api) -> None:
    buyer, merchant = await api.consumer("Refunded Buyer", balance="9000.00"), await api.merchant("Refunding Shop")
    paid = []
    for amount in ("2000.00", "2000.00", "3000.00"):
        payment = await api.pay(buyer, merchant, amount)
        paid.append(payment["payment"]["id"])
    held_refund = paid[2]  # refunded while still held, then never released
    for payment_id in paid[:2]:
        assert (await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment_id, k=new_key()))["confirmReceipt"]["userErrors"] == []
    before, merchant_before = await profile(api, buyer), await profile(api, merchant)
    assert before["PAYMENT_HISTORY"] == 2 * 2 + 4  # 2 released payments, 4,000.00 released

    async def refund(payment_id: str, amount: str) -> None:
        refunded = (await api.gql(REFUND_PAYMENT, merchant.token, p=payment_id, a=amount, k=new_key()))["refundPayment"]
        assert refunded["userErrors"] == []
        assert await profile(api, buyer) == before

    await refund(held_refund, "3000.00")  # before release
    await refund(paid[0], "500.00")  # part, after release
    await refund(paid[1], "2000.00")  # all of it, after release
    merchant_after = await profile(api, merchant)
    assert merchant_after["PAYMENT_HISTORY"] < merchant_before["PAYMENT_HISTORY"]
    assert merchant_after["score"] < merchant_before["score"]
