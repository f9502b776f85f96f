"""Escrow arithmetic without a database: what a payment still holds, the platform's fee, ledger legs.

Guaranteed transaction (DIGEST.md): the buyer's money is held until the buyer confirms,
then released to the merchant less the platform's fee; refunds come out of what is held.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel import MAX_AMOUNT_FEN, Money
from services.payments import FundingSource, Leg, Payment, PaymentStatus, SystemAccount, system, wallet, wallet_code
from services.payments.service import fee_refund, platform_fee

pytestmark = pytest.mark.unit

CREATED = datetime(2026, 11, 20, 2, tzinfo=UTC)


def _payment(status: PaymentStatus, amount: int, refunded: int = 0) -> Payment:
    return Payment(
        id=9, buyer_id=5, merchant_id=3, amount=Money(amount), refunded=Money(refunded), fee=Money(0),
        status=status, funding_source=FundingSource.WALLET, order_ref="order-1", created_at=CREATED,
        released_at=None,
    )


@pytest.mark.parametrize(
    ("status", "amount", "refunded", "held"),
    [
        (PaymentStatus.HELD, 10_000, 0, 10_000),
        (PaymentStatus.PARTIALLY_REFUNDED, 10_000, 2_550, 7_450),
        (PaymentStatus.RELEASED, 10_000, 0, 0),
        (PaymentStatus.RELEASED, 10_000, 2_550, 0),  # released after a partial refund: nothing left
        (PaymentStatus.REFUNDED, 10_000, 10_000, 0),
    ],
)
def test_what_a_payment_still_holds(status: PaymentStatus, amount: int, refunded: int, held: int) -> None:
    assert _payment(status, amount, refunded).held == Money(held)


@pytest.mark.parametrize(
    ("status", "refunded", "confirm_by"),
    [
        (PaymentStatus.HELD, 0, CREATED + timedelta(days=10)),
        (PaymentStatus.PARTIALLY_REFUNDED, 2_550, CREATED + timedelta(days=10)),
        (PaymentStatus.RELEASED, 0, None),
        (PaymentStatus.REFUNDED, 10_000, None),
    ],
)
def test_escrow_releases_itself_ten_days_after_payment_while_it_holds_money(
    status: PaymentStatus, refunded: int, confirm_by: datetime | None
) -> None:
    assert _payment(status, 10_000, refunded).confirm_by == confirm_by


def test_every_status_is_named_in_the_held_table() -> None:
    holding = {status for status in PaymentStatus if _payment(status, 100, 1).held.fen}
    assert holding == {PaymentStatus.HELD, PaymentStatus.PARTIALLY_REFUNDED}


@pytest.mark.parametrize(
    ("held", "bps", "fee"),
    [
        (10_000, 60, 60),  # 100.00 at 0.6% is 0.60
        (199, 60, 1),  # 1.194 fen rounds down to 1
        (166, 60, 0),  # 0.996 fen: no fee at all
        (10_000, 0, 0),
        (10_000, 10_000, 10_000),
        (MAX_AMOUNT_FEN, 60, MAX_AMOUNT_FEN * 60 // 10_000),
    ],
)
def test_the_fee_is_basis_points_rounded_down_to_the_fen(held: int, bps: int, fee: int) -> None:
    assert platform_fee(Money(held), bps) == Money(fee)


@given(st.integers(0, MAX_AMOUNT_FEN), st.integers(0, 10_000))
def test_the_merchant_and_the_platform_share_exactly_what_was_held(held: int, bps: int) -> None:
    fee = platform_fee(Money(held), bps)
    assert 0 <= fee.fen <= held
    # Rounded down: the fee never exceeds the exact share, and misses it by less than a fen.
    assert fee.fen * 10_000 <= held * bps < (fee.fen + 1) * 10_000
    legs = [system(SystemAccount.ESCROW, -held), wallet(3, held - fee.fen), system(SystemAccount.FEE_INCOME, fee.fen)]
    assert sum(leg.fen for leg in legs) == 0


def test_ledger_legs_name_their_accounts() -> None:
    assert wallet(7, 1_000) == Leg("WALLET:7:CNY", 1_000)
    assert wallet_code(7, "USD") == "WALLET:7:USD"
    assert system(SystemAccount.ESCROW, -1_000) == Leg("ESCROW:CNY", -1_000)
    assert SystemAccount.FUND_CUSTODY.code() == "FUND_CUSTODY:CNY"
    codes = {account.code() for account in SystemAccount}
    assert len(codes) == len(SystemAccount) and not any(code.startswith("WALLET:") for code in codes)


def test_a_refund_after_release_returns_its_share_of_the_fee_rounded_down() -> None:
    fee, refundable = Money(199), Money(33333)
    assert fee_refund(fee=fee, refundable=refundable, refund=Money(33333)) == Money(199)
    assert fee_refund(fee=fee, refundable=refundable, refund=Money(10000)) == Money(59)  # 59.7 fen
    assert fee_refund(fee=Money(140), refundable=Money(23333), refund=Money(23333)) == Money(140)
    with pytest.raises(ValueError, match="exceed"):
        fee_refund(fee=fee, refundable=refundable, refund=Money(33334))


@given(st.integers(1, MAX_AMOUNT_FEN), st.integers(0, 10_000), st.lists(st.integers(1, 100), min_size=1, max_size=6))
def test_refunds_after_release_return_exactly_the_fee_taken(released: int, bps: int, parts: list[int]) -> None:
    """However a released payment is refunded in parts, the fee returned adds up to the fee taken,
    and each part's share is at most the exact share (rounded down)."""
    fee = platform_fee(Money(released), bps)
    kept, refundable = fee, Money(released)
    cuts = [*sorted({released * p // 101 for p in parts} - {0}), released]
    done = 0
    for cut in cuts:
        part = Money(cut - done)
        if not part.fen:
            continue
        back = fee_refund(fee=kept, refundable=refundable, refund=part)
        assert 0 <= back.fen * refundable.fen <= kept.fen * part.fen
        kept, refundable, done = kept - back, refundable - part, cut
    assert kept == Money(0) and refundable == Money(0)
