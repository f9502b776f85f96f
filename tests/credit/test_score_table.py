"""docs/credit-score.md row by row: each factor's mover, its step and its cap, and the real
ceiling of each kind of party (pure: ``scoring.credit_profile`` on hand-made facts)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from services.credit.models import BASE_SCORE, MAX_SCORE, SCORE_CEILING
from services.credit.scoring import CreditFacts, credit_profile

pytestmark = pytest.mark.unit

NOW = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
NONE = CreditFacts(
    party_id=1, is_merchant=False, certified=False, real_name_verified=False, created_at=NOW, payments=0,
    released_payments=0, refunded_payments=0, volume_fen=0, ratings=0, stars=0, on_time_repayments=0,
    late_repayments=0, overdue_now=0,
)


def points(facts: CreditFacts, factor: str) -> int:
    return next(f.points for f in credit_profile(facts, now=NOW).factors if f.name == factor)


def score(facts: CreditFacts) -> int:
    return credit_profile(facts, now=NOW).score


# -- PAYMENT_HISTORY --

def test_each_completed_payment_adds_2_up_to_100() -> None:
    assert points(replace(NONE, payments=1, released_payments=1), "PAYMENT_HISTORY") == 2
    assert points(replace(NONE, payments=49, released_payments=49), "PAYMENT_HISTORY") == 98
    assert points(replace(NONE, payments=50, released_payments=50), "PAYMENT_HISTORY") == 100
    assert points(replace(NONE, payments=80, released_payments=80), "PAYMENT_HISTORY") == 100


def test_each_full_thousand_of_volume_adds_1_up_to_100() -> None:
    assert points(replace(NONE, volume_fen=99_999), "PAYMENT_HISTORY") == 0
    assert points(replace(NONE, volume_fen=100_000), "PAYMENT_HISTORY") == 1
    assert points(replace(NONE, volume_fen=9_999_999), "PAYMENT_HISTORY") == 99
    assert points(replace(NONE, volume_fen=10**12), "PAYMENT_HISTORY") == 100


def test_refunds_granted_cost_their_rate_and_the_factor_stops_at_zero() -> None:
    merchant = replace(NONE, is_merchant=True, payments=10, released_payments=10, volume_fen=1_000_000)
    assert points(merchant, "PAYMENT_HISTORY") == 20 + 10
    assert points(replace(merchant, refunded_payments=3), "PAYMENT_HISTORY") == 30 - 30
    assert points(replace(merchant, refunded_payments=1), "PAYMENT_HISTORY") == 30 - 10
    assert points(replace(merchant, payments=30, refunded_payments=1), "PAYMENT_HISTORY") == 30 - 3  # 100/30 = 3.3
    assert points(replace(merchant, refunded_payments=10), "PAYMENT_HISTORY") == 0


def test_the_payment_history_cap_is_200() -> None:
    assert points(replace(NONE, payments=500, released_payments=500, volume_fen=10**12), "PAYMENT_HISTORY") == 200


# -- REPAYMENT --

def test_no_drawdown_is_the_neutral_50() -> None:
    assert points(NONE, "REPAYMENT") == 50


def test_each_on_time_repayment_adds_10_up_to_150() -> None:
    assert [points(replace(NONE, on_time_repayments=n), "REPAYMENT") for n in (1, 2, 9, 10, 11, 40)] == [
        60, 70, 140, 150, 150, 150]


def test_each_late_repayment_takes_25_down_to_0() -> None:
    assert [points(replace(NONE, late_repayments=n), "REPAYMENT") for n in (1, 2, 3)] == [25, 0, 0]
    assert points(replace(NONE, on_time_repayments=3, late_repayments=1), "REPAYMENT") == 50 + 30 - 25


def test_a_drawdown_overdue_now_makes_the_factor_0_whatever_the_history() -> None:
    assert points(replace(NONE, overdue_now=1), "REPAYMENT") == 0
    assert points(replace(NONE, overdue_now=1, on_time_repayments=20), "REPAYMENT") == 0
    assert "1 overdue now" in credit_profile(replace(NONE, overdue_now=1), now=NOW).factors[1].detail


def test_overdue_now_below_repaid_late_below_no_history_below_on_time() -> None:
    overdue, late = replace(NONE, overdue_now=1), replace(NONE, late_repayments=1)
    on_time = replace(NONE, on_time_repayments=1)
    assert [points(f, "REPAYMENT") for f in (overdue, late, NONE, on_time)] == [0, 25, 50, 60]
    assert score(overdue) < score(late) < score(NONE) < score(on_time)


# -- RATINGS --

def test_no_rating_is_the_neutral_50_and_a_rating_is_20_per_average_star() -> None:
    assert points(NONE, "RATINGS") == 50
    merchant = replace(NONE, is_merchant=True)
    assert points(replace(merchant, ratings=1, stars=1), "RATINGS") == 20
    assert points(replace(merchant, ratings=3, stars=11), "RATINGS") == 73  # 20 x 11/3 = 73.3, rounded down
    assert points(replace(merchant, ratings=4, stars=20), "RATINGS") == 100


# -- CERTIFICATION --

def test_certified_adds_60_and_real_name_verified_40() -> None:
    assert points(replace(NONE, certified=True), "CERTIFICATION") == 60
    assert points(replace(NONE, real_name_verified=True), "CERTIFICATION") == 40
    assert points(replace(NONE, certified=True, real_name_verified=True), "CERTIFICATION") == 100


# -- ACCOUNT_AGE --

def test_a_point_per_full_week_up_to_50() -> None:
    aged = [points(replace(NONE, created_at=NOW - timedelta(days=d)), "ACCOUNT_AGE") for d in (6, 7, 349, 350, 900)]
    assert aged == [0, 1, 49, 50, 50]


# -- the range and the real ceilings --

def _best(*, is_merchant: bool) -> CreditFacts:
    """The best profile a party of this kind can really have: a consumer can only be
    real-name verified and is never rated; a merchant can only be certified."""
    return replace(
        NONE, is_merchant=is_merchant, certified=is_merchant, real_name_verified=not is_merchant,
        created_at=NOW - timedelta(days=10_000), payments=500, released_payments=500, volume_fen=10**12,
        ratings=100 if is_merchant else 0, stars=500 if is_merchant else 0, on_time_repayments=100,
    )


def test_the_real_ceilings_are_840_for_a_consumer_and_910_for_a_merchant() -> None:
    assert score(_best(is_merchant=False)) == SCORE_CEILING["CONSUMER"] == 840
    assert score(_best(is_merchant=True)) == SCORE_CEILING["MERCHANT"] == 910
    every_cap = replace(_best(is_merchant=True), certified=True, real_name_verified=True)
    assert score(every_cap) == MAX_SCORE == 950
    assert score(replace(NONE, overdue_now=1)) == BASE_SCORE + 50  # RATINGS' neutral 50 alone
