"""A varied data set for the differential tests, written through the API as its users would.

Merchants and consumers with payments in every status (and paid from the wallet, the
fund and credit), credit lines with drawdowns, accrued interest and a repayment, Yu'e
Bao holdings with confirmed, pending and redeeming units and eight published days of
income, ratings, and partners with full, partial and no consent.

The database is shared with the rest of the suite, and fund income and credit interest
are published per date for everyone: the data set lives on its own business days,
after every date any test has published or accrued so far (and the clock the two apps
share is left on the last of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import asyncpg

from gateway.auth import issue_token
from services.kernel.clock import BUSINESS_TZ, Clock
from services.kernel.graph.pagination import encode_cursor
from services.kernel.principal import Principal, Role
from tests.conftest import SECRET, START
from tests.credit.test_credit_flow import ACCRUE, DRAW, OPEN_LINE, REPAY
from tests.credit.test_credit_reads import RATE
from tests.e2e.test_partners import CREATE_PARTNER, GRANT
from tests.funds.support import PUBLISH, REDEEM, SUBSCRIBE
from tests.support import CONFIRM_RECEIPT, CREATE_PAYMENT, MARK_SHIPPED, REFUND_PAYMENT, Api, Party, new_key

ALL_SCOPES = ["payments:read", "credit:read", "funds:read"]
#: Every kind of caller the differential tests ask as (``DataSet.tokens`` keys).
VIEWERS = (
    "operator", "consumer itself", "another consumer", "merchant itself", "another merchant",
    "partner with full consent", "partner with partial scopes", "partner without consent", "anonymous",
)
#: With the three below, more than two pages of MerchantsPage (20 a page) on an empty database.
_FILLER_MERCHANTS = 41


@dataclass(frozen=True)
class DataSet:
    #: Bearer token per viewer (None: no Authorization header).
    tokens: dict[str, str | None]
    consumer: Party
    other_consumer: Party
    merchant: Party
    other_merchant: Party
    #: Typed ids worth asking for: the parties' and payments' own, and ids that name nothing.
    ids: tuple[str, ...]
    #: Cursors for ``after``: real positions, and strings that are not cursors.
    cursors: tuple[str, ...]
    #: A cursor after which ``merchants(first: 20)`` has fewer than 20 merchants left.
    last_page_cursor: str

    def __repr__(self) -> str:
        # Hypothesis prints its arguments on failure: the tokens would bury the request.
        return f"DataSet(consumer={self.consumer.id}, merchant={self.merchant.id}, ...)"


@dataclass(frozen=True)
class _Cast:
    merchant: Party
    other_merchant: Party
    #: A merchant only the partner with partial scopes may read, with all three scopes.
    m3: Party
    #: The oldest of the merchants, past the first two pages of MerchantsPage, with one payment.
    filler: Party
    consumer: Party
    other_consumer: Party
    c3: Party
    c4: Party


async def build_data_set(api: Api, clock: Clock, database_url: str) -> DataSet:
    """Write the data set on fresh business days, and leave ``clock`` on the last of them."""
    first_day = await _first_free_monday(database_url)
    clock.set(_at(first_day, 10))
    cast = await _parties(api)
    payments = await _first_day(api, cast)
    partners = await _partners_with_consent(api, cast)
    await _eight_days_of_income_and_interest(api, clock, first_day, cast)
    clock.set(_at(first_day + timedelta(days=9), 10))
    await api.gql(REDEEM, cast.consumer.token, f="YEB", a="100.00", m="STANDARD", k=new_key())
    await api.gql(SUBSCRIBE, cast.consumer.token, f="YEB", a="100.00", k=new_key())  # pending until tomorrow
    await api.gql(SUBSCRIBE, cast.c3.token, f="YEB", a="300.00", k=new_key())
    await api.gql(REPAY, cast.other_consumer.token, a="100.00", k=new_key())
    payments.append(await _payment(api, cast.consumer, cast.other_merchant, "50.00", "FUND", 0))
    clock.set(_at(first_day + timedelta(days=9), 10, 30))

    parties = [cast.merchant, cast.other_merchant, cast.m3, cast.filler, cast.consumer, cast.other_consumer, cast.c3]
    return DataSet(
        tokens=_tokens(clock, cast, partners), consumer=cast.consumer, other_consumer=cast.other_consumer,
        merchant=cast.merchant, other_merchant=cast.other_merchant,
        ids=(*(p.id for p in parties), *(p for p, _ in payments[::5]), payments[-1][0],
             f"mer_{cast.merchant.pk:06d}", "mer_99999999999", "con_0", "pay_x", "nope", ""),
        cursors=(encode_cursor(cast.merchant.pk), encode_cursor(cast.filler.pk + 3),
                 encode_cursor(int(payments[9][0].split("_")[1])), encode_cursor(1),
                 encode_cursor(99_999_999_999_999_999_999), "bm9wZQ==", "not a cursor", ""),
        last_page_cursor=await _last_page_cursor(database_url),
    )


async def _parties(api: Api) -> _Cast:
    # Fillers first: the three merchants with the most data are the newest, on the first page.
    fillers = [await api.merchant(f"Filler {n}") for n in range(_FILLER_MERCHANTS)]
    m3, other_merchant, merchant = [await api.merchant(name) for name in ("West Lake Tea", "Jade Bakery", "Silk Road Co.")]
    consumer, other_consumer, c3, c4 = [
        await api.consumer(name, balance="5000.00") for name in ("Li Lei", "Han Meimei", "Wang Fang", "Zhao Lei")
    ]
    return _Cast(merchant, other_merchant, m3, fillers[0], consumer, other_consumer, c3, c4)


async def _first_day(api: Api, cast: _Cast) -> list[tuple[str, int]]:
    """Credit lines and drawdowns, subscriptions, payments in every status from every source, ratings."""
    for party, limit in ((cast.consumer, "3000.00"), (cast.other_consumer, "1000.00"), (cast.merchant, "8000.00")):
        await api.gql(OPEN_LINE, api.operator, p=party.id, l=limit, r="0.0005")
    await api.gql(DRAW, cast.consumer.token, a="1000.00", k=new_key())
    await api.gql(DRAW, cast.merchant.token, a="200.00", k=new_key())
    await api.gql(SUBSCRIBE, cast.consumer.token, f="YEB", a="2000.00", k=new_key())
    await api.gql(SUBSCRIBE, cast.other_consumer.token, f="YEB", a="500.00", k=new_key())
    payments = []
    for n in range(24):  # more than a page of MerchantView (20) and of ConsumerHome (10)
        buyer = cast.consumer if n % 3 != 2 else cast.c4
        source = "CREDIT" if buyer is cast.consumer and n % 5 == 1 else "WALLET"
        payments.append(await _payment(api, buyer, cast.merchant, f"{20 + 3 * n}.{n:02d}", source, n % 4,
                                       shipped=n % 8 != 0))
    others = [(cast.other_consumer, cast.other_merchant), (cast.consumer, cast.other_merchant), (cast.c3, cast.m3),
              (cast.other_consumer, cast.m3), (cast.c3, cast.filler)]
    for n, (buyer, seller) in enumerate(others):
        payments.append(await _payment(api, buyer, seller, f"{15 + n}.50", "WALLET", n % 4))
    released = [p for p, status in payments if status == 1]
    await api.gql(RATE, cast.consumer.token, p=released[0], s=4)
    await api.gql(RATE, cast.c4.token, p=released[1], s=2)
    return payments


async def _partners_with_consent(api: Api, cast: _Cast) -> dict[str, str]:
    """Partner ids: ``full`` (two merchants, every scope), ``partial`` (one scope of ours, all of m3's), ``none``."""
    partners = {name: await _partner(api, name) for name in ("full", "partial", "none")}
    for party, partner, scopes in ((cast.merchant, "full", ALL_SCOPES), (cast.other_merchant, "full", ALL_SCOPES),
                                   (cast.merchant, "partial", ["payments:read"]), (cast.m3, "partial", ALL_SCOPES)):
        await api.gql(GRANT, party.token, p=partners[partner], s=scopes)
    return partners


async def _eight_days_of_income_and_interest(api: Api, clock: Clock, first_day: date, cast: _Cast) -> None:
    """Eight published days give a 7-day yield and a yesterday's income; eight accrued days, interest."""
    clock.set(_at(first_day + timedelta(days=1), 10))
    await api.gql(SUBSCRIBE, cast.merchant.token, f="YEB", a="120.00", k=new_key())
    await api.gql(DRAW, cast.other_consumer.token, a="300.00", k=new_key())
    for n in range(1, 9):
        day = first_day + timedelta(days=n)
        clock.set(_at(day + timedelta(days=1), 9))
        await api.gql(PUBLISH, api.operator, f="YEB", d=day.isoformat(), e=f"1.{5000 + 123 * n}")
        await api.gql(ACCRUE, api.operator, d=day.isoformat())


def _tokens(clock: Clock, cast: _Cast, partners: dict[str, str]) -> dict[str, str | None]:
    tokens: dict[str, str | None] = {
        "operator": _token(clock, Principal(Role.OPERATOR)),
        "consumer itself": cast.consumer.token,
        "another consumer": cast.other_consumer.token,
        "merchant itself": cast.merchant.token,
        "another merchant": cast.other_merchant.token,
        "anonymous": None,
    }
    for viewer, partner, scopes in (("partner with full consent", "full", ALL_SCOPES),
                                    ("partner with partial scopes", "partial", ["payments:read", "credit:read"]),
                                    ("partner without consent", "none", ALL_SCOPES)):
        partner_pk = int(partners[partner].split("_")[1])
        tokens[viewer] = _token(clock, Principal(Role.PARTNER, partner_id=partner_pk, scopes=frozenset(scopes)))
    return tokens


async def _payment(
    api: Api, buyer: Party, seller: Party, amount: str, source: str, status: int, *, shipped: bool = True
) -> tuple[str, int]:
    """A payment left HELD (0), RELEASED (1), REFUNDED (2) or PARTIALLY_REFUNDED (3), shipped first
    unless ``shipped`` is false (then a HELD one has no deadline yet)."""
    data = await api.gql(CREATE_PAYMENT, buyer.token, m=seller.id, a=amount, s=source, k=new_key())
    payment = data["createPayment"]["payment"]
    assert payment is not None, data
    payment_id: str = payment["id"]
    if shipped:
        await api.gql(MARK_SHIPPED, seller.token, p=payment_id, k=new_key())
    if status == 1:
        await api.gql(CONFIRM_RECEIPT, buyer.token, p=payment_id, k=new_key())
    elif status in (2, 3):
        refund = amount if status == 2 else "1.25"
        await api.gql(REFUND_PAYMENT, seller.token, p=payment_id, a=refund, k=new_key())
    return payment_id, status


async def _partner(api: Api, name: str) -> str:
    data = await api.gql(CREATE_PARTNER, api.operator, n=f"Partner ({name} consent)")
    partner_id: str = data["createPartner"]["partner"]["id"]
    return partner_id


def _token(clock: Clock, principal: Principal) -> str:
    return issue_token(principal, secret=SECRET, now=clock.now(), ttl=timedelta(days=365))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BUSINESS_TZ)


async def _first_free_monday(database_url: str) -> date:
    """A Monday after every date Yu'e Bao income was published for or credit interest accrued on."""
    conn = await asyncpg.connect(database_url)
    try:
        latest: date = await conn.fetchval(
            """SELECT greatest($1::date,
                      (SELECT max(y.date) FROM funds.daily_yields y JOIN funds.funds f ON f.id = y.fund_id
                        WHERE f.code = 'YEB'),
                      (SELECT max(date) FROM credit.accruals))""",
            START.date(),
        )
    finally:
        await conn.close()
    day = latest + timedelta(days=3)
    return day + timedelta(days=-day.weekday() % 7)


async def _last_page_cursor(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        ids = await conn.fetch("SELECT id FROM payments.parties WHERE kind = 'MERCHANT' ORDER BY id LIMIT 11")
    finally:
        await conn.close()
    return encode_cursor(int(ids[-1]["id"]))
