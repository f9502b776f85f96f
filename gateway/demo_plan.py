"""What the demo data set holds: parties, top-ups, and payments with their whole story.

Pure and deterministic: the same seed and the same cut-off give the same plan, so the
same ``FINGRAPH_NOW`` always loads the same data. Everything happens before the
cut-off (midnight starting the clock's business day): history up to the day before
"now", nothing later. Amounts are integer fen drawn with integer arithmetic only.

A payment's story follows the escrow rules: created (HELD); maybe refunded in part or
in full while held; released by the buyer's confirmation or automatically after the
confirmation window; maybe refunded in part or in full after release. Events that
would fall after the cut-off have not happened yet, so recent payments are still
HELD or PARTIALLY_REFUNDED.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from gateway.demo_names import consumer_names, merchant_profiles
from schema.operations import payments
from services.kernel.money import Money

#: How far back the payments go (about six months).
HISTORY = timedelta(days=183)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
#: Relative activity per hour of the day (Asia/Shanghai): quiet nights, busy evenings.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 12, 10, 9, 9, 10, 11, 12, 14, 16, 16, 12, 6)
_REASONS = ("not as described", "out of stock", "damaged in transit", "changed my mind", "size does not fit",
            "late delivery", "duplicate order")


@dataclass(frozen=True, slots=True)
class PlannedParty:
    name: str
    #: real-name verified (consumers) or certified (merchants)
    verified: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PlannedTopUp:
    consumer: int
    fen: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PlannedRefund:
    fen: int
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class PlannedPayment:
    seq: int
    order_ref: str
    buyer: int
    merchant: int
    fen: int
    created_at: datetime
    refund_while_held: PlannedRefund | None = None
    released_at: datetime | None = None
    refund_after_release: PlannedRefund | None = None

    def shipped_at(self, cutoff: datetime) -> datetime | None:
        """When the merchant ships (within a day of the payment), or None if nothing ships.

        Taken from the amount, not the random stream, so the rest of the data set stays
        what the seed makes it. Nothing ships after the buyer confirmed, after a full refund
        while held, or after the cut-off; a payment still held at the cut-off with a shipment
        has its confirm window running, and the scheduler releases it when it ends.
        """
        at = self.created_at + timedelta(minutes=30 + (self.fen * 7_919) % 1_410)
        held_refund = self.refund_while_held
        if held_refund is not None and held_refund.fen == self.fen and held_refund.at <= at:
            return None
        if (self.released_at is not None and self.released_at <= at) or at >= cutoff:
            return None
        return at

    @property
    def status(self) -> payments.PaymentStatus:
        """The status this story ends in, by the payments service's own rule."""
        refunded = sum(r.fen for r in (self.refund_while_held, self.refund_after_release) if r is not None)
        return payments.payment_status(
            amount=Money(self.fen), refunded=Money(refunded), released=self.released_at is not None
        )


@dataclass(frozen=True)
class DemoPlan:
    cutoff: datetime
    consumers: list[PlannedParty]
    merchants: list[PlannedParty]
    top_ups: list[PlannedTopUp]
    payments: list[PlannedPayment]


def plan_demo(*, consumers: int, merchants: int, payments: int, random_seed: int, cutoff: datetime) -> DemoPlan:
    """The demo data set: index 0 of each kind is the demo party (Li Lei, Hangzhou Tea Co.)."""
    if consumers < 1 or merchants < 1 or payments < 0:
        raise ValueError("the demo needs at least one consumer and one merchant")
    rng = random.Random(random_seed)
    start = cutoff - HISTORY
    founding = start - 75 * DAY  # the demo consumer and merchant are the oldest parties
    people = [
        PlannedParty(name, i == 0 or rng.randrange(100) < 85,
                     founding if i == 0 else _moment(rng, start - 60 * DAY, cutoff - 5 * DAY))
        for i, name in enumerate(consumer_names(consumers, rng))
    ]
    shops = merchant_profiles(merchants, rng)
    stores = [
        PlannedParty(shop.name, i == 0 or rng.randrange(100) < 70,
                     founding + HOUR if i == 0 else _moment(rng, start - 70 * DAY, start + 120 * DAY))
        for i, shop in enumerate(shops)
    ]
    popularity = [10 if i == 0 else rng.randint(1, 10) for i in range(merchants)]
    stories = _scripted_stories(start, cutoff)[:payments]
    by_age_consumers = sorted(range(consumers), key=lambda i: people[i].created_at)
    by_age_merchants = sorted(range(merchants), key=lambda i: stores[i].created_at)
    consumer_since = [people[i].created_at + HOUR for i in by_age_consumers]
    merchant_since = [stores[i].created_at + HOUR for i in by_age_merchants]
    merchant_weights = list(accumulate(popularity[i] for i in by_age_merchants))
    day_weights = list(accumulate(100 + day for day in range(HISTORY.days)))
    hour_weights = list(accumulate(_HOUR_WEIGHTS))
    for _ in range(payments - len(stories)):
        day = bisect_right(day_weights, rng.randrange(day_weights[-1]))
        hour = bisect_right(hour_weights, rng.randrange(hour_weights[-1]))
        at = start + day * DAY + hour * HOUR + timedelta(seconds=rng.randrange(3600))
        eligible = bisect_right(consumer_since, at)
        if rng.randrange(100) < 3:
            buyer = 0
        elif rng.randrange(2):  # long-standing customers buy more often
            buyer = by_age_consumers[min(rng.randrange(eligible), rng.randrange(eligible))]
        else:
            buyer = by_age_consumers[rng.randrange(eligible)]
        shops_open = bisect_right(merchant_since, at)
        merchant = by_age_merchants[bisect_right(merchant_weights, rng.randrange(merchant_weights[shops_open - 1]))]
        quantity = 1 if rng.randrange(100) < 70 else rng.choice((1, 2, 2, 3, 5))
        fen = rng.choice(shops[merchant].prices) * quantity
        stories.append(_story(rng, buyer, merchant, fen, at, cutoff))
    stories.sort(key=lambda p: p.created_at)
    planned = [
        PlannedPayment(seq, f"DEMO-{p.created_at:%Y%m%d}-{seq:06d}", p.buyer, p.merchant, p.fen, p.created_at,
                       p.refund_while_held, p.released_at, p.refund_after_release)
        for seq, p in enumerate(stories, start=1)
    ]
    return DemoPlan(cutoff, people, stores, _top_ups(rng, people, planned, cutoff), planned)


def _moment(rng: random.Random, earliest: datetime, latest: datetime) -> datetime:
    return earliest + timedelta(seconds=rng.randrange(int((latest - earliest).total_seconds())))


def _part(rng: random.Random, fen: int) -> int:
    """A partial refund: 10-60 % of ``fen``, at least one fen and less than all of it."""
    return max(1, min(fen - 1, fen * rng.randint(10, 60) // 100))


def _story(rng: random.Random, buyer: int, merchant: int, fen: int, at: datetime, cutoff: datetime) -> PlannedPayment:
    held_refund, released, after = _events(rng, fen, at)
    # What would fall after the cut-off has not happened yet, nor anything that follows it.
    if held_refund is not None and held_refund.at >= cutoff:
        held_refund, released, after = None, None, None
    if released is not None and released >= cutoff:
        released, after = None, None
    if after is not None and after.at >= cutoff:
        after = None
    return PlannedPayment(0, "", buyer, merchant, fen, at, held_refund, released, after)


def _events(
    rng: random.Random, fen: int, at: datetime
) -> tuple[PlannedRefund | None, datetime | None, PlannedRefund | None]:
    """Refund while held, release, refund after release: what would happen given all the time in the world."""
    roll = rng.randrange(100)
    if roll < 4:  # refunded in full while held
        return PlannedRefund(fen, _moment(rng, at + HOUR, at + 5 * DAY), rng.choice(_REASONS)), None, None
    held_refund = None
    if roll < 9 and fen >= 2:  # partly refunded while held, the rest released later
        held_refund = PlannedRefund(_part(rng, fen), _moment(rng, at + HOUR, at + 4 * DAY), rng.choice(_REASONS))
    if rng.randrange(100) < 65:  # the buyer confirms receipt
        released = _moment(rng, at + 6 * HOUR, at + 9 * DAY)
    else:  # nobody confirms: released automatically after the confirmation window
        released = _moment(rng, at + payments.CONFIRMATION_WINDOW, at + payments.CONFIRMATION_WINDOW + 6 * HOUR)
    if held_refund is not None:
        released = max(released, held_refund.at + HOUR)
    remaining = fen - (held_refund.fen if held_refund else 0)
    if 9 <= roll < 16 and remaining >= 2:  # refunded after release: in part, or (rolls 14, 15) in full
        refund = remaining if roll >= 14 else _part(rng, remaining)
        return held_refund, released, PlannedRefund(
            refund, _moment(rng, released + DAY, released + 20 * DAY), rng.choice(_REASONS)
        )
    return held_refund, released, None


def _scripted_stories(start: datetime, cutoff: datetime) -> list[PlannedPayment]:
    """Li Lei's purchases at Hangzhou Tea Co.: one of every status, whatever the seed."""
    def day(days_ago: int, hour: int) -> datetime:
        return cutoff - days_ago * DAY + hour * HOUR

    def refund(fen: int, at: datetime) -> PlannedRefund:
        return PlannedRefund(fen, at, "not as described")

    assert cutoff - 60 * DAY > start
    return [
        PlannedPayment(0, "", 0, 0, 12_800, day(2, 14)),  # HELD
        PlannedPayment(0, "", 0, 0, 25_800, day(4, 10), refund(5_000, day(3, 9))),  # PARTIALLY_REFUNDED
        PlannedPayment(0, "", 0, 0, 49_900, day(20, 20), released_at=day(17, 9)),  # RELEASED
        PlannedPayment(0, "", 0, 0, 6_800, day(30, 11), refund(6_800, day(29, 15))),  # REFUNDED
        PlannedPayment(0, "", 0, 0, 88_800, day(45, 21), released_at=day(41, 10),
                       refund_after_release=refund(20_000, day(35, 16))),  # released, then partly refunded
        PlannedPayment(0, "", 0, 0, 38_400, day(60, 13), refund(10_000, day(59, 10)),
                       released_at=day(55, 18)),  # partly refunded while held, then released
    ]


def _top_ups(
    rng: random.Random, people: list[PlannedParty], payments: list[PlannedPayment], cutoff: datetime
) -> list[PlannedTopUp]:
    """Money in before it is spent: a sign-up top-up for most, and more whenever a payment needs it.

    Refunds are not counted as spendable, so every payment is covered even if the
    refunds land in another order.
    """
    top_ups: list[PlannedTopUp] = []
    balance = [0] * len(people)
    last = [p.created_at for p in people]
    for i, person in enumerate(people):
        if i == 0 or rng.randrange(100) < 60:
            fen = 100_000 if i == 0 else rng.choice((10_000, 20_000, 50_000, 100_000))
            # Within the hour after sign-up: no payment is planned earlier than that.
            at = person.created_at + timedelta(seconds=rng.randrange(60, 3_000))
            top_ups.append(PlannedTopUp(i, fen, at))
            balance[i], last[i] = fen, at
    for payment in payments:
        buyer = payment.buyer
        if balance[buyer] < payment.fen:
            fen = max(-(-payment.fen // 10_000) * 10_000, rng.choice((20_000, 50_000, 100_000, 200_000)))
            at = max(last[buyer], payment.created_at - timedelta(seconds=rng.randrange(60, 3_600)))
            top_ups.append(PlannedTopUp(buyer, fen, at))
            balance[buyer] += fen
        balance[buyer] -= payment.fen
        last[buyer] = payment.created_at
    assert all(t.at < cutoff for t in top_ups)
    return top_ups


# --- Credit and funds: who has a line, who holds Yu'e Bao, who rated what ----------------
#
# Derived from the payments plan by arithmetic on indices and sequence numbers (no
# random draws), so adding these never changes the payments of a seed. Index 0 of each
# kind is the demo party; every 5th consumer and every 3rd merchant get a credit line,
# every 4th consumer and every 2nd merchant hold Yu'e Bao; buyers rate two released
# payments in three. Everything is dated before the cut-off, after the party signed up.

#: Parties this young at the cut-off get no line or holding (their story would not fit).
_SERVICE_MIN_AGE = 60 * DAY


@dataclass(frozen=True, slots=True)
class PlannedCreditLine:
    merchant: bool
    index: int
    opened_at: datetime
    #: (fen, at), positive for a drawdown, negative for a repayment, in time order
    moves: tuple[tuple[int, datetime], ...]


@dataclass(frozen=True, slots=True)
class PlannedHolding:
    merchant: bool
    index: int
    #: topped up and subscribed at the same instant, so no earlier balance is relied on
    fen: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PlannedRating:
    payment_seq: int
    stars: int
    at: datetime


@dataclass(frozen=True)
class ServicesPlan:
    credit_lines: list[PlannedCreditLine]
    holdings: list[PlannedHolding]
    ratings: list[PlannedRating]


def plan_services(plan: DemoPlan) -> ServicesPlan:
    """Credit lines, Yu'e Bao holdings and ratings for a payments plan (deterministic)."""
    cutoff = plan.cutoff
    lines: list[PlannedCreditLine] = []
    holdings: list[PlannedHolding] = []
    for merchant, parties, line_every, hold_every in ((False, plan.consumers, 5, 4), (True, plan.merchants, 3, 2)):
        for i, party in enumerate(parties):
            if cutoff - party.created_at < _SERVICE_MIN_AGE:
                continue
            if i % line_every == 0:
                lines.append(_credit_line(merchant, i, cutoff))
            if i % hold_every == 0:
                fen = (10_000_000 if merchant else 1_000_000) if i == 0 else 50_000 * (1 + (i * 7) % 10)
                holdings.append(PlannedHolding(merchant, i, fen, cutoff - (45 + i % 7) * DAY + (10 + i % 4) * HOUR))
    stars = (5, 4, 5, 3, 5, 4, 2, 5, 4, 1)
    ratings = [
        PlannedRating(p.seq, stars[p.seq % len(stars)], p.released_at + (2 + p.seq % 20) * HOUR)
        for p in plan.payments
        if p.status is payments.PaymentStatus.RELEASED and p.released_at is not None and p.seq % 3 != 0
        and p.released_at + (2 + p.seq % 20) * HOUR < cutoff
    ]
    return ServicesPlan(lines, holdings, ratings)


def _credit_line(merchant: bool, i: int, cutoff: datetime) -> PlannedCreditLine:
    """Opened about a month ago; a drawdown, a part repayment, and for some a second drawdown.

    The first drawdown falls due after the cut-off (30-day term): nobody is overdue.
    """
    opened = cutoff - (28 + i % 5) * DAY + 10 * HOUR
    first = (200_000 if i == 0 else 50_000 + (i * 7919) % 10 * 10_000) * (2 if merchant else 1)
    moves = [(first, opened + 3 * DAY + 4 * HOUR), (-(first // 4), opened + 14 * DAY + 20 * HOUR)]
    if i % 2 == 0:
        moves.append((first // 2, opened + 20 * DAY + 9 * HOUR))
    if i == 0:
        moves.append((-(first // 10), opened + 23 * DAY + 19 * HOUR))
    return PlannedCreditLine(merchant, i, opened, tuple(moves))
