"""The credit score without a database: 350 base plus five explained factors (services/credit/README.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.credit.models import BASE_SCORE, MAX_SCORE
from services.credit.scoring import CreditFacts, band_of, credit_profile

pytestmark = pytest.mark.unit

NOW = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
NEWCOMER = CreditFacts(
    party_id=5, is_merchant=False, certified=False, real_name_verified=False, created_at=NOW, payments=0,
    released_payments=0, refunded_payments=0, volume_fen=0, ratings=0, stars=0, on_time_repayments=0,
    late_repayments=0, overdue_now=0,
)


def _points(facts: CreditFacts) -> dict[str, int]:
    return {factor.name: factor.points for factor in credit_profile(facts, now=NOW).factors}


def test_a_newcomer_scores_the_base_plus_two_neutral_factors() -> None:
    profile = credit_profile(NEWCOMER, now=NOW)
    assert profile.party_id == 5
    assert _points(NEWCOMER) == {"PAYMENT_HISTORY": 0, "REPAYMENT": 50, "RATINGS": 50, "CERTIFICATION": 0,
                                 "ACCOUNT_AGE": 0}
    assert (profile.score, profile.band) == (450, "E")
    assert "no credit history yet" in profile.factors[1].detail


def test_a_seasoned_merchant() -> None:
    merchant = replace(
        NEWCOMER, is_merchant=True, certified=True, real_name_verified=True, created_at=NOW - timedelta(days=200),
        payments=40, released_payments=36, refunded_payments=4, volume_fen=6_543_210, ratings=30, stars=132,
        on_time_repayments=6, late_repayments=1, overdue_now=0,
    )
    assert _points(merchant) == {
        "PAYMENT_HISTORY": 72 + 65 - 10,  # 2 per release; a point per 1,000.00; 4/40 refunded costs 10
        "REPAYMENT": 50 + 60 - 25,  # neutral 50, +10 per on-time repayment, -25 per late one
        "RATINGS": 88,  # 20 x 132/30 = 88.0
        "CERTIFICATION": 100,
        "ACCOUNT_AGE": 28,  # 200 days // 7
    }
    profile = credit_profile(merchant, now=NOW)
    assert (profile.score, profile.band) == (350 + 127 + 85 + 88 + 100 + 28, "B") == (778, "B")
    assert profile.factors[0].detail == "36 released payments (+72), volume 65432 CNY (+65), 4/40 refunded (-10)"


def test_every_factor_has_its_cap() -> None:
    best = replace(
        NEWCOMER, certified=True, real_name_verified=True, created_at=NOW - timedelta(days=10_000), payments=500,
        released_payments=500, volume_fen=10**12, ratings=10, stars=50, on_time_repayments=100,
    )
    assert _points(best) == {"PAYMENT_HISTORY": 200, "REPAYMENT": 150, "RATINGS": 100, "CERTIFICATION": 100,
                             "ACCOUNT_AGE": 50}
    assert credit_profile(best, now=NOW).score == MAX_SCORE == 950


def test_penalties_stop_at_zero() -> None:
    worst = replace(NEWCOMER, payments=10, released_payments=0, refunded_payments=10, late_repayments=3,
                    overdue_now=2, ratings=4, stars=4)
    assert _points(worst) == {"PAYMENT_HISTORY": 0, "REPAYMENT": 0, "RATINGS": 20, "CERTIFICATION": 0,
                              "ACCOUNT_AGE": 0}
    assert credit_profile(worst, now=NOW).score == BASE_SCORE + 20


def test_an_account_created_in_the_future_counts_no_days() -> None:
    assert _points(replace(NEWCOMER, created_at=NOW + timedelta(days=30)))["ACCOUNT_AGE"] == 0
    assert _points(replace(NEWCOMER, created_at=NOW - timedelta(days=6, hours=23)))["ACCOUNT_AGE"] == 0
    assert _points(replace(NEWCOMER, created_at=NOW - timedelta(days=7)))["ACCOUNT_AGE"] == 1


@pytest.mark.parametrize(
    ("score", "band"),
    [(950, "A"), (800, "A"), (799, "B"), (700, "B"), (699, "C"), (600, "C"), (599, "D"), (500, "D"), (499, "E"),
     (350, "E")],
)
def test_bands(score: int, band: str) -> None:
    assert band_of(score) == band


@st.composite
def credit_facts(draw: st.DrawFn) -> CreditFacts:
    payments = draw(st.integers(0, 2_000))
    released = draw(st.integers(0, payments))
    ratings = draw(st.integers(0, 500))
    return CreditFacts(
        party_id=draw(st.integers(1, 10**6)), is_merchant=draw(st.booleans()), certified=draw(st.booleans()),
        real_name_verified=draw(st.booleans()),
        created_at=NOW - timedelta(seconds=draw(st.integers(-10**7, 10**9))),
        payments=payments, released_payments=released, refunded_payments=draw(st.integers(0, payments - released)),
        volume_fen=draw(st.integers(0, 10**13)), ratings=ratings, stars=draw(st.integers(ratings, 5 * ratings)),
        on_time_repayments=draw(st.integers(0, 200)), late_repayments=draw(st.integers(0, 50)),
        overdue_now=draw(st.integers(0, 10)),
    )


@given(credit_facts())
def test_the_score_is_the_sum_of_its_explained_factors_within_bounds(facts: CreditFacts) -> None:
    profile = credit_profile(facts, now=NOW)
    assert profile.score == BASE_SCORE + sum(factor.points for factor in profile.factors)
    assert BASE_SCORE <= profile.score <= MAX_SCORE
    assert profile.band == band_of(profile.score)
    assert [factor.name for factor in profile.factors] == [
        "PAYMENT_HISTORY", "REPAYMENT", "RATINGS", "CERTIFICATION", "ACCOUNT_AGE"]
    assert all(factor.points >= 0 and factor.detail for factor in profile.factors)


@given(credit_facts())
def test_more_good_history_never_lowers_the_score(facts: CreditFacts) -> None:
    before = credit_profile(facts, now=NOW).score
    better = [
        replace(facts, certified=True),
        replace(facts, real_name_verified=True),
        replace(facts, on_time_repayments=facts.on_time_repayments + 1),
        replace(facts, volume_fen=facts.volume_fen + 100_000),
        replace(facts, created_at=facts.created_at - timedelta(days=7)),
    ]
    assert all(credit_profile(other, now=NOW).score >= before for other in better)
    # Without any repayment record the factor is a neutral 50, below the 100 a first record
    # starts from: a late first repayment (80) still scores above no history (README).
    if facts.on_time_repayments + facts.late_repayments + facts.overdue_now:
        worse = [
            replace(facts, late_repayments=facts.late_repayments + 1),
            replace(facts, overdue_now=facts.overdue_now + 1),
        ]
        assert all(credit_profile(other, now=NOW).score <= before for other in worse)
