"""Funds use cases. Each runs on a connection inside the caller's transaction.

Money moves only through the payments ledger: wallet <-> FUND_CUSTODY for orders,
FUND_INCOME -> FUND_CUSTODY for the income paid to holders. Lock order: the fund row
(FOR SHARE by investors, FOR UPDATE by a yield publish), the party's due orders, the
holding, then the wallet (inside the ledger).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import asyncpg

from services.funds import calendar, distribution, repository
from services.funds.errors import (
    fund_not_found,
    instant_limit_exceeded,
    insufficient_units,
    invalid_input,
    invalid_state,
)
from services.funds.models import (
    INSTANT_DAILY_LIMIT,
    MISSING_YIELD_WINDOW_DAYS,
    Distribution,
    Fund,
    Holding,
    RedemptionMode,
    days_missing_a_yield,
    money_to_units,
    units_to_money,
)
from services.kernel.clock import BUSINESS_TZ, business_date
from services.kernel.money import Money
from services.payments import SystemAccount, move, post_entry, system, wallet, wallet_code

_CUSTODY = SystemAccount.FUND_CUSTODY
#: pg_advisory_xact_lock key of whole-book settlements ("fundsetl").
_SETTLE_ALL_LOCK = 0x66756E647365746C


def _day(now: datetime) -> date:
    return business_date(now)


async def settle_fund_orders(
    conn: asyncpg.Connection, *, as_of: date, now: datetime, party_id: int | None = None
) -> int:
    """Confirm subscriptions and pay out standard redemptions due on or before ``as_of``.

    Set-based: one statement settles the orders and moves the units, one ledger entry
    pays every due redemption (custody -> wallets). Returns how many orders settled.
    """
    if party_id is None:
        # Whole-book settlements (batches, publishes of different funds) take turns, so
        # two of them never lock the same orders in different orders.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SETTLE_ALL_LOCK)
    rows = await repository.settle_due_orders(conn, as_of=as_of, now=now, party_id=party_id)
    payouts = [(row["party_id"], units_to_money(row["redeemed"], row["currency"])) for row in rows if row["redeemed"]]
    if payouts:
        total = sum(amount.fen for _, amount in payouts)
        legs = [system(_CUSTODY, -total)] + [wallet(party, amount.fen) for party, amount in payouts]
        await post_entry(conn, kind="FUND_REDEMPTION_PAYOUT", reference=f"fund-settle:{as_of}", legs=legs, now=now)
    return sum(int(row["orders"]) for row in rows)


async def settle_due_fund_orders(conn: asyncpg.Connection, *, now: datetime) -> int:
    """Settle every order due on or before today (Asia/Shanghai): what the scheduler runs at the
    start of each business day, so a standard redemption reaches the wallet on its payout date.

    Idempotent: an order settles once (status PENDING -> SETTLED in the statement that pays
    it), so a second run the same day, or a run after a missed day, pays only what is still
    due; returns how many orders it settled.
    """
    return await settle_fund_orders(conn, as_of=_day(now), now=now)


async def _open(conn: asyncpg.Connection, fund_code: str, party_id: int, now: datetime) -> tuple[Fund, Holding]:
    fund = await repository.fund_for_share(conn, fund_code)
    if fund is None:
        raise fund_not_found()
    today = _day(now)
    await settle_fund_orders(conn, as_of=today, now=now, party_id=party_id)
    return fund, await repository.holding_for_update(conn, fund_id=fund.id, party_id=party_id, as_of=today)


async def subscribe(
    conn: asyncpg.Connection, *, fund_code: str, party_id: int, amount: Money, now: datetime,
    reference: str | None = None,
) -> Holding:
    """Wallet -> custody now; the units are pending until the trading day after T.

    ``reference``: the payment a refund returns to the fund for (ADR 022: by the original
    route, as an ordinary subscription).
    """
    fund, _ = await _open(conn, fund_code, party_id, now)
    units = money_to_units(amount)
    await move(
        conn, kind="FUND_SUBSCRIPTION", reference=reference or f"fund:{fund.code}:party:{party_id}",
        source=wallet_code(party_id), target=_CUSTODY.code(fund.currency), amount=amount, now=now,
    )
    await repository.insert_order(
        conn, fund_id=fund.id, party_id=party_id, kind="SUBSCRIBE", mode=None, units=units, placed_at=now,
        placed_day=_day(now), trade_date=calendar.trade_date(now), settle_date=calendar.confirmation_date(now),
        settled=False, reference=reference,
    )
    return await repository.change_holding(conn, fund_id=fund.id, party_id=party_id, pending=units, as_of=_day(now))


async def redeem(
    conn: asyncpg.Connection, *, fund_code: str, party_id: int, amount: Money, mode: RedemptionMode, now: datetime
) -> Holding:
    """INSTANT: custody -> wallet now (capped per day). STANDARD: paid on the trading day after T."""
    fund, holding = await _open(conn, fund_code, party_id, now)
    units = money_to_units(amount)
    if units > holding.units:
        raise insufficient_units()
    today = _day(now)
    if mode is RedemptionMode.INSTANT:
        used = await repository.instant_redeemed_on(conn, fund_id=fund.id, party_id=party_id, day=today)
        left = INSTANT_DAILY_LIMIT.amount - used
        if units > left:
            raise instant_limit_exceeded(str(max(left, Decimal("0.00"))))
        await move(
            conn, kind="FUND_INSTANT_REDEMPTION", reference=f"fund:{fund.code}:party:{party_id}",
            source=_CUSTODY.code(fund.currency), target=wallet_code(party_id), amount=amount, now=now,
        )
        settle_date, redeeming = today, Decimal(0)
    else:
        settle_date, redeeming = calendar.confirmation_date(now), units
    await repository.insert_order(
        conn, fund_id=fund.id, party_id=party_id, kind="REDEEM", mode=mode.value, units=units, placed_at=now,
        placed_day=today, trade_date=calendar.trade_date(now), settle_date=settle_date,
        settled=mode is RedemptionMode.INSTANT,
    )
    return await repository.change_holding(
        conn, fund_id=fund.id, party_id=party_id, units=-units, redeeming=redeeming, as_of=today
    )


async def redeem_for_payment(
    conn: asyncpg.Connection, *, fund_code: str, party_id: int, amount: Money, reference: str, now: datetime
) -> Holding:
    """Units -> wallet for a payment (the payment then holds it in escrow); not under the instant cap."""
    fund, holding = await _open(conn, fund_code, party_id, now)
    units = money_to_units(amount)
    if units > holding.units:
        raise insufficient_units()
    await move(
        conn, kind="FUND_PAYMENT_REDEMPTION", reference=reference, source=_CUSTODY.code(fund.currency),
        target=wallet_code(party_id), amount=amount, now=now,
    )
    await repository.insert_order(
        conn, fund_id=fund.id, party_id=party_id, kind="REDEEM", mode="PAYMENT", units=units, placed_at=now,
        placed_day=_day(now), trade_date=calendar.trade_date(now), settle_date=_day(now), settled=True,
        reference=reference,
    )
    return await repository.change_holding(conn, fund_id=fund.id, party_id=party_id, units=-units, as_of=_day(now))


def _validate_rate(earnings_per_10k: Decimal) -> Decimal:
    if not earnings_per_10k.is_finite() or earnings_per_10k < 0 or earnings_per_10k > 100:
        raise invalid_input("earningsPer10k must be between 0 and 100", field="earningsPer10k")
    if earnings_per_10k != earnings_per_10k.quantize(Decimal("0.0001")):
        raise invalid_input("earningsPer10k has at most 4 decimals", field="earningsPer10k")
    return earnings_per_10k.quantize(Decimal("0.0001"))


async def publish_fund_yield(
    conn: asyncpg.Connection, *, fund_code: str, day: date, earnings_per_10k: Decimal, now: datetime
) -> Distribution:
    """Pay one day's income to every holder in one set-based pass; idempotent per date.

    Refuses a day that has not ended (Asia/Shanghai), a day before the latest one
    already published (income compounds in date order), and a day already published at
    another rate; the same rate again is ``already_published``. The income paid moves
    FUND_INCOME -> FUND_CUSTODY so that units x 1.00 always equal the custody balance;
    the residue (exact income minus what was paid, each holder rounded down to the fen)
    stays with the fund and is recorded on the day's row.
    """
    rate = _validate_rate(earnings_per_10k)
    if day >= _day(now):
        raise invalid_state(f"{day} has not ended yet: publish a day only after it is over", field="date")
    fund = await repository.fund_for_update(conn, fund_code)
    if fund is None:
        raise fund_not_found()
    existing = await repository.daily_yield_row(conn, fund_id=fund.id, day=day)
    if existing is not None:
        # A re-run is a success only if it asks for what was paid: holders' income was
        # credited at the stored rate and cannot be paid again at another (ADR 003).
        if existing["earnings_per_10k"] != rate:
            raise invalid_state(
                f"{fund.code} {day} was already published at {existing['earnings_per_10k']} per 10k, not {rate}: "
                "a published yield cannot be changed", field="earningsPer10k",
            )
        return _distribution(fund, existing, already_published=True)
    latest = await repository.latest_published_date(conn, fund.id)
    if latest is not None and day < latest:
        raise invalid_state(f"{fund.code} is already published up to {latest}", field="date")
    if latest is not None and day > latest + timedelta(days=1):
        # The fund earns every calendar day: a skipped day would be lost for good (and the
        # 7-day yield would span 8 days). The first publication of a fund may start anywhere.
        missing = latest + timedelta(days=1)
        raise invalid_state(
            f"{fund.code} has no yield for {missing}: publish {missing} first (a money-market fund earns "
            "every calendar day, in date order)", field="date",
        )
    await settle_fund_orders(conn, as_of=_day(now), now=now)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BUSINESS_TZ)
    result = await distribution.distribute_daily_income(
        conn, fund_id=fund.id, day=day, earnings_per_10k=rate, day_end=day_end
    )
    total = units_to_money(result["total_income"], fund.currency)
    if total.fen:
        await move(
            conn, kind="FUND_DAILY_INCOME", reference=f"fund:{fund.code}:income:{day}",
            source=SystemAccount.FUND_INCOME.code(fund.currency), target=_CUSTODY.code(fund.currency),
            amount=total, now=now,
        )
    gross = result["base_units"] * rate / 10_000  # exact: a product and a division by a power of ten
    await repository.insert_daily_yield(
        conn, fund_id=fund.id, day=day, earnings_per_10k=rate, holders=result["holders"],
        base_units=result["base_units"], gross_income=gross, total_income=result["total_income"], now=now,
    )
    row = await repository.daily_yield_row(conn, fund_id=fund.id, day=day)
    assert row is not None
    return _distribution(fund, row, already_published=False)


async def missing_yield_dates(conn: asyncpg.Connection, *, fund_code: str, now: datetime) -> list[date]:
    """Days that have ended (Asia/Shanghai) since the fund's first publication with no yield.

    For the operator (``Fund.missingYieldDates``) and the scheduler's check that
    yesterday's yield is in: a read, it changes nothing.
    """
    funds = await repository.funds_by_codes(conn, [fund_code])
    if not funds:
        raise fund_not_found()
    rows = await repository.recent_yields(conn, [funds[0].id], limit=MISSING_YIELD_WINDOW_DAYS)
    return days_missing_a_yield((row["date"] for row in rows), today=_day(now))


def _distribution(fund: Fund, row: asyncpg.Record, *, already_published: bool) -> Distribution:
    return Distribution(
        fund_code=fund.code, date=row["date"], earnings_per_10k=row["earnings_per_10k"], holders=row["holders"],
        total_income=units_to_money(row["total_income"], fund.currency), gross_income=row["gross_income"],
        residue=row["residue"], already_published=already_published,
    )


async def funds_missing_yield(conn: asyncpg.Connection, *, day: date) -> list[str]:
    """The funds whose yield for ``day`` is not published, among those already publishing.

    A money-market fund earns every calendar day, so a fund that has published before
    and lacks ``day`` leaves its holders without that day's income: the scheduler flags
    it to the operator. A fund that never published (just created) is not flagged.
    """
    return await repository.funds_without_yield(conn, day=day)
