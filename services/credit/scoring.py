"""The credit score: 350 base + five factor groups, each explained (docs/credit-score.md).

Pure function of the facts the loader gathers; deterministic, integer points only. The
factor table in docs/credit-score.md is this module in words, and tests/credit/
test_score_table.py checks it row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.credit.models import BASE_SCORE, CreditProfile, Factor


@dataclass(frozen=True, slots=True)
class CreditFacts:
    party_id: int
    is_merchant: bool
    certified: bool
    real_name_verified: bool
    created_at: datetime
    payments: int
    released_payments: int
    refunded_payments: int
    volume_fen: int
    ratings: int
    stars: int
    on_time_repayments: int
    late_repayments: int
    overdue_now: int


def _payment_history(f: CreditFacts) -> Factor:
    """Completed payments and volume; the refund rate counts the refunds a party granted as
    merchant only (``refunded_payments``), so a refund received never lowers a buyer's score."""
    count_pts = min(100, 2 * f.released_payments)
    volume_pts = min(100, f.volume_fen // 100_000)  # a point per 1,000.00 released
    refund_penalty = 100 * f.refunded_payments // f.payments if f.payments else 0
    points = max(0, count_pts + volume_pts - refund_penalty)
    return Factor("PAYMENT_HISTORY", points,
                  f"{f.released_payments} released payments (+{count_pts}), volume {f.volume_fen // 100} CNY "
                  f"(+{volume_pts}), {f.refunded_payments}/{f.payments} refunded (-{refund_penalty})")


#: REPAYMENT with no drawdown ever: neutral, between a late and an on-time record.
REPAYMENT_NEUTRAL = 50
REPAYMENT_PER_ON_TIME = 10
REPAYMENT_PER_LATE = 25
REPAYMENT_CAP = 150


def _repayment(f: CreditFacts) -> Factor:
    """Overdue now (0) < repaid late (25) < no history (50) < repaid on time (60), as a lender ranks them.

    A drawdown overdue now outweighs any history (0 until it is repaid); otherwise each
    drawdown repaid on time adds 10 and each repaid late takes 25, from the neutral 50.
    """
    if f.on_time_repayments + f.late_repayments + f.overdue_now == 0:
        return Factor("REPAYMENT", REPAYMENT_NEUTRAL, f"no credit history yet (neutral {REPAYMENT_NEUTRAL})")
    if f.overdue_now:
        return Factor("REPAYMENT", 0, f"{f.overdue_now} overdue now (0 until repaid), "
                                      f"{f.on_time_repayments} repaid on time, {f.late_repayments} repaid late")
    points = max(0, min(REPAYMENT_CAP, REPAYMENT_NEUTRAL + REPAYMENT_PER_ON_TIME * f.on_time_repayments
                        - REPAYMENT_PER_LATE * f.late_repayments))
    return Factor("REPAYMENT", points,
                  f"{f.on_time_repayments} repaid on time (+{REPAYMENT_PER_ON_TIME} each), {f.late_repayments} "
                  f"repaid late (-{REPAYMENT_PER_LATE} each), from {REPAYMENT_NEUTRAL}, within 0..{REPAYMENT_CAP}")


def _ratings(f: CreditFacts) -> Factor:
    if f.ratings == 0:
        return Factor("RATINGS", 50, "no ratings yet (neutral 50)")
    points = 20 * f.stars // f.ratings
    return Factor("RATINGS", points, f"{f.ratings} ratings, {f.stars} stars in all (20 per average star)")


def _certification(f: CreditFacts) -> Factor:
    points = (60 if f.certified else 0) + (40 if f.real_name_verified else 0)
    return Factor("CERTIFICATION", points,
                  f"certified: {'yes (+60)' if f.certified else 'no'}, "
                  f"real-name verified: {'yes (+40)' if f.real_name_verified else 'no'}")


def _account_age(f: CreditFacts, now: datetime) -> Factor:
    days = max(0, (now - f.created_at).days)
    points = min(50, days // 7)
    return Factor("ACCOUNT_AGE", points, f"{days} days on the platform (1 per week, at most 50)")


def band_of(score: int) -> str:
    for threshold, band in ((800, "A"), (700, "B"), (600, "C"), (500, "D")):
        if score >= threshold:
            return band
    return "E"


def credit_profile(facts: CreditFacts, *, now: datetime) -> CreditProfile:
    factors = (_payment_history(facts), _repayment(facts), _ratings(facts), _certification(facts),
               _account_age(facts, now))
    score = BASE_SCORE + sum(f.points for f in factors)
    return CreditProfile(party_id=facts.party_id, score=score, band=band_of(score), factors=factors)
