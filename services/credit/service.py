"""Credit use cases. Each runs on a connection inside the caller's transaction.

Money moves only through the payments ledger (``post_entry``/``move``) on the same
connection, so a drawdown and its disbursement commit or roll back together.

Ledger accounts (see README.md): a draw moves LOAN_BOOK -> wallet (the loan book goes
negative by what borrowers owe); an accrual posts LOAN_BOOK -> INTEREST_INCOME (interest
receivable grows the book, income is recognised when charged); a repayment moves wallet
-> LOAN_BOOK for everything it pays (principal, interest and penalty clear the receivable).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import asyncpg

from services.credit import accrual, repository
from services.credit.errors import invalid_input, invalid_state, limit_exceeded, no_credit_line
from services.credit.models import (
    DEFAULT_TERM_DAYS,
    PENALTY_MULTIPLIER,
    Accrual,
    CreditLine,
    CreditProfile,
    LineStatus,
    Repayment,
)
from services.credit.scoring import CreditFacts, credit_profile
from services.kernel.clock import BUSINESS_TZ, business_date
from services.kernel.errors import DomainError, ErrorCode
from services.kernel.money import Money
from services.kernel.text import check_visible
from services.payments import (
    PartyKind,
    PaymentStatus,
    SystemAccount,
    move,
    parties_by_ids,
    payment_history_by_party_ids,
    payments_by_ids,
    post_entry,
    system,
    wallet_code,
)

_LOAN_BOOK = SystemAccount.LOAN_BOOK.code()

#: Default limits by band (fen) before 10% of the 90-day volume is added; E gets no line.
_BAND_LIMITS = {"A": 5_000_000, "B": 2_000_000, "C": 1_000_000, "D": 500_000}
_BAND_RATES = {"A": Decimal("0.0003"), "B": Decimal("0.0004"), "C": Decimal("0.0005"), "D": Decimal("0.0006")}
_MAX_DEFAULT_LIMIT = 20_000_000


async def credit_profiles(
    conn: asyncpg.Connection, party_ids: Sequence[int], *, now: datetime
) -> dict[int, CreditProfile]:
    """Profiles of a page of parties in three queries (parties, payment history, credit records)."""
    parties = {p.id: p for p in await parties_by_ids(conn, party_ids)}
    history = await payment_history_by_party_ids(conn, list(parties), now=now)
    today = business_date(now)
    records = await repository.credit_records_by_party_ids(conn, list(parties), today=today)
    profiles = {}
    for pid, party in parties.items():
        h, r = history.get(pid), records[pid]
        facts = CreditFacts(
            party_id=pid, is_merchant=party.kind is PartyKind.MERCHANT, certified=party.certified,
            real_name_verified=party.real_name_verified, created_at=party.created_at,
            payments=h.count if h else 0, released_payments=h.released_count if h else 0,
            refunded_payments=h.refunded_count if h else 0, volume_fen=h.volume_fen if h else 0,
            ratings=r["ratings"], stars=r["stars"], on_time_repayments=r["on_time"],
            late_repayments=r["repaid_late"], overdue_now=r["overdue_now"],
        )
        profiles[pid] = credit_profile(facts, now=now)
    return profiles


async def open_credit_line(
    conn: asyncpg.Connection, *, party_id: int, limit: Money | None, daily_rate: Decimal | None, now: datetime
) -> CreditLine:
    """Open a line; limit and rate default from the score band and the 90-day volume."""
    if daily_rate is not None and not (Decimal(0) <= daily_rate < Decimal("0.01")):
        raise invalid_input("dailyRate must be at least 0 and below 0.01 (1% a day)", field="dailyRate")
    if daily_rate is not None and daily_rate.as_tuple().exponent < -8:  # type: ignore[operator]
        raise invalid_input("dailyRate has more than 8 decimals", field="dailyRate")
    profiles = await credit_profiles(conn, [party_id], now=now)
    if party_id not in profiles:
        raise DomainError(ErrorCode.NOT_FOUND, "no such party", field="partyId")
    band = profiles[party_id].band
    if limit is None or daily_rate is None:
        if band not in _BAND_LIMITS:
            raise invalid_state(f"score band {band} gets no default line: give limit and dailyRate", field="partyId")
        history = (await payment_history_by_party_ids(conn, [party_id], now=now)).get(party_id)
        volume = history.volume_90d_fen if history else 0
        limit = limit or Money(min(_MAX_DEFAULT_LIMIT, _BAND_LIMITS[band] + volume // 10))
        daily_rate = daily_rate if daily_rate is not None else _BAND_RATES[band]
    line = await repository.insert_line(
        conn, party_id=party_id, limit_fen=limit.fen, daily_rate=daily_rate, term_days=DEFAULT_TERM_DAYS, now=now
    )
    if line is None:
        raise invalid_state("this party already has a credit line", field="partyId")
    return line


async def draw_credit(
    conn: asyncpg.Connection, *, party_id: int, amount: Money, now: datetime, reference: str = ""
) -> CreditLine:
    """Disburse ``amount`` to the wallet: LOAN_BOOK -> wallet, with a drawdown due after the term."""
    line = await repository.line_for_update(conn, party_id)
    if line is None:
        raise no_credit_line()
    if line.status is not LineStatus.ACTIVE:
        raise invalid_state(f"the credit line is {line.status.value}")
    if amount.fen > line.available.fen:
        raise limit_exceeded(str(line.available.amount))
    today = business_date(now)
    await repository.insert_drawdown(
        conn, line_id=line.id, amount=amount.fen, due_date=today + timedelta(days=line.term_days),
        reference=reference or f"party:{party_id}", now=now,
    )
    await move(conn, kind="CREDIT_DRAW", reference=reference or f"credit-line:{line.id}", source=_LOAN_BOOK,
               target=wallet_code(party_id), amount=amount, now=now)
    return await _line(conn, party_id)


async def repay_credit(
    conn: asyncpg.Connection, *, party_id: int, amount: Money, now: datetime, reference: str = "",
    at_most_owed: bool = False,
) -> tuple[Repayment, CreditLine]:
    """Pay penalty interest, then interest, then principal (oldest drawdown first) from the wallet.

    ``at_most_owed``: cap the amount at what is owed (a refund of a credit payment) instead of refusing.
    """
    line = await repository.line_for_update(conn, party_id)
    if line is None:
        raise no_credit_line()
    owed = line.accrued_penalty.fen + line.accrued_interest.fen + line.outstanding_principal.fen
    if amount.fen > owed:
        if not at_most_owed:
            raise DomainError(ErrorCode.INVALID_AMOUNT, f"only {Money(owed).amount} is owed", field="amount")
        amount = Money(owed)
    left = amount.fen
    penalty = min(left, line.accrued_penalty.fen)
    left -= penalty
    interest = min(left, line.accrued_interest.fen)
    left -= interest
    allocations: list[tuple[int, int]] = []
    for drawdown in await repository.open_drawdowns_for_update(conn, line.id) if left else []:
        share = min(left, drawdown.outstanding.fen)
        if share:
            allocations.append((drawdown.id, share))
            left -= share
    principal = sum(a[1] for a in allocations)
    assert left == 0, "line totals disagree with its drawdowns"
    repayment_id = 0
    if amount.fen:
        repayment_id = await repository.record_repayment(
            conn, line_id=line.id, penalty=penalty, interest=interest, principal=principal,
            allocations=allocations, now=now,
        )
        await move(conn, kind="CREDIT_REPAY", reference=reference or f"credit-line:{line.id}",
                   source=wallet_code(party_id), target=_LOAN_BOOK, amount=amount, now=now)
    repayment = Repayment(id=repayment_id, line_id=line.id, amount=amount, penalty_paid=Money(penalty),
                          interest_paid=Money(interest), principal_paid=Money(principal))
    return repayment, await _line(conn, party_id)


async def _line(conn: asyncpg.Connection, party_id: int) -> CreditLine:
    lines = await repository.lines_by_party_ids(conn, [party_id])
    return lines[0]


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=BUSINESS_TZ)


async def accrue_daily_interest(conn: asyncpg.Connection, *, day: date, now: datetime) -> Accrual:
    """Charge one calendar day's interest on every line, set-based, at most once per date.

    Exact interest (NUMERIC) plus the line's carried residue is charged rounded down to the
    fen; what is below a fen carries to the next day. A second run of a date changes nothing
    and returns ``already_accrued``.
    """
    if day >= business_date(now):
        raise invalid_state(f"{day} has not ended yet in Asia/Shanghai", field="date")
    row = await accrual.accrue_day(
        conn, day=day, day_ends=end_of_day(day), now=now, penalty_multiplier=PENALTY_MULTIPLIER
    )
    if not row["claimed"]:
        done = await repository.accrual_of(conn, day)
        assert done is not None
        return Accrual(date=day, lines=done["lines"], total_interest=Money(done["interest"]),
                       total_penalty=Money(done["penalty"]), residue=done["residue"], already_accrued=True)
    charged = int(row["interest"]) + int(row["penalty"])
    if charged:
        await post_entry(conn, kind="CREDIT_INTEREST_ACCRUAL", reference=f"credit-accrual:{day.isoformat()}",
                         legs=[system(SystemAccount.LOAN_BOOK, -charged),
                               system(SystemAccount.INTEREST_INCOME, charged)], now=now)
    return Accrual(date=day, lines=row["lines"], total_interest=Money(int(row["interest"])),
                   total_penalty=Money(int(row["penalty"])), residue=row["residue"], already_accrued=False)


async def rate_merchant(
    conn: asyncpg.Connection, *, buyer_id: int, payment_id: int, stars: int, comment: str, now: datetime
) -> None:
    if not 1 <= stars <= 5:
        raise invalid_input("stars must be 1 to 5", field="stars")
    if len(comment) > 500:
        raise invalid_input("comment must be at most 500 characters", field="comment")
    check_visible(comment, field="comment", multiline=True)
    payments = await payments_by_ids(conn, [payment_id])
    if not payments or payments[0].buyer_id != buyer_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such payment", field="paymentId")
    payment = payments[0]
    if payment.status is not PaymentStatus.RELEASED:
        raise invalid_state(f"only a released payment can be rated; this one is {payment.status.value}",
                            field="paymentId")
    if not await repository.insert_rating(conn, payment_id=payment_id, merchant_id=payment.merchant_id,
                                          buyer_id=buyer_id, stars=stars, comment=comment, now=now):
        raise invalid_state("this payment has already been rated", field="paymentId")


class CreditFundingProvider:
    """``FundingSource.CREDIT``: draw on the buyer's line; a refund repays the line first."""

    async def fund_payment(
        self, conn: asyncpg.Connection, *, party_id: int, amount: Money, reference: str, now: datetime
    ) -> None:
        await draw_credit(conn, party_id=party_id, amount=amount, now=now, reference=reference)

    async def refund_payment(
        self, conn: asyncpg.Connection, *, party_id: int, amount: Money, reference: str, now: datetime
    ) -> None:
        if await repository.line_for_update(conn, party_id) is None:
            return
        await repay_credit(conn, party_id=party_id, amount=amount, now=now, reference=reference, at_most_owed=True)


