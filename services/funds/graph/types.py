"""GraphQL types of the funds slice. Their roots are the domain's frozen values."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import strawberry
from graphql import GraphQLError

from services.funds.graph.compiled import FUND, HOLDING, LATEST_EARNINGS, SEVEN_DAY_YIELD
from services.funds.graph.loaders import (
    FundByCodeLoader,
    FundByIdLoader,
    HoldingByFundAndPartyLoader,
    IncomeHistoryByHoldingLoader,
    PendingRedemptionsByHoldingLoader,
    YieldsByFundIdLoader,
)
from services.funds.models import (
    DailyYield,
    Distribution,
    Fund,
    Holding,
    IncomeDay,
    PendingRedemption,
    days_missing_a_yield,
)
from services.funds.yields import seven_day_annualized_yield
from services.kernel.graph import Info, MoneyType, Node, require_operator, require_private_access
from services.kernel.graph.compiled import Leaf, money, sql, standard_only, typed_id
from services.kernel.graph.directives import private
from services.kernel.ids import PREFIXES, encode_id
from services.kernel.money import Money
from services.payments import Party

_SCOPE = "funds:read"
_MAX_DAYS = 366


def _days(days: int) -> int:
    if not 1 <= days <= _MAX_DAYS:
        raise GraphQLError(f"days must be between 1 and {_MAX_DAYS}", extensions={"code": "BAD_USER_INPUT"})
    return days


async def _yields(info: Info, fund: Fund) -> list[DailyYield]:
    rows: list[DailyYield] = await info.context.loader(YieldsByFundIdLoader).load(fund.id)
    return rows


@strawberry.type(name="FundYieldDay", description="One published day of a fund.")
class FundYieldDayType:
    date: date
    earnings_per_10k: Decimal = strawberry.field(description="Income per 10,000 units that day.")


@strawberry.type(name="Fund", description="A money-market fund (NAV fixed at 1.00).")
class FundType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Fund)

    @strawberry.field(metadata=sql(Leaf(lambda row: typed_id("Fund", row["id"]))))  # type: ignore[misc]  # Node's id
    def id(self, root: Fund) -> strawberry.ID:
        return strawberry.ID(encode_id("Fund", root.id))

    @strawberry.field(metadata=sql(Leaf(lambda row: row["code"])))
    def code(self, root: Fund) -> str:
        return root.code

    @strawberry.field(metadata=sql(Leaf(lambda row: row["name"])))
    def name(self, root: Fund) -> str:
        return root.name

    @strawberry.field(metadata=sql(Leaf(lambda row: row["manager"])))
    def manager(self, root: Fund) -> str:
        return root.manager

    @strawberry.field(description="Income per 10,000 units on the latest published day.", metadata=sql(LATEST_EARNINGS))
    async def earnings_per_10k(self, root: Fund, info: Info) -> Decimal | None:
        days = await _yields(info, root)
        return days[0].earnings_per_10k if days else None

    @strawberry.field(
        description="7-day annualised yield in percent (compound, 4 decimals); null before 7 days.",
        metadata=sql(SEVEN_DAY_YIELD),
    )
    async def seven_day_annualized_yield(self, root: Fund, info: Info) -> Decimal | None:
        days = await _yields(info, root)
        return seven_day_annualized_yield([d.earnings_per_10k for d in days[:7]])

    @strawberry.field(
        description="The last `days` published days, newest first.",
        metadata=standard_only("no contract read selects it; a list of Date leaves has no SQL twin yet"),
    )
    async def yield_history(self, root: Fund, info: Info, days: int = 30) -> list[FundYieldDayType]:
        rows = (await _yields(info, root))[: _days(days)]
        return [FundYieldDayType(date=d.date, earnings_per_10k=d.earnings_per_10k) for d in rows]

    @strawberry.field(
        description=(
            "Operators only: days that have ended (Asia/Shanghai) since the fund's first publication with no "
            "yield published, oldest first (within the last 366 days). Each must be published, in date order, "
            "before any later day."
        ),
        metadata=standard_only("an operator's check, read where the standard path checks the operator"),
    )
    async def missing_yield_dates(self, root: Fund, info: Info) -> list[date] | None:
        require_operator(info)
        days = await _yields(info, root)
        return days_missing_a_yield((d.date for d in days), today=info.context.clock.today())


@strawberry.type(name="FundIncomeDay", description="A holder's income of one day.")
class FundIncomeDayType:
    date: date
    income: MoneyType


@strawberry.type(name="FundPendingRedemption", description="Standard redemptions waiting to be paid out.")
class FundPendingRedemptionType:
    units: Decimal = strawberry.field(description="Units redeemed (1 unit = 1.00 paid to the wallet).")
    payout_date: date = strawberry.field(
        description=(
            "The business day (Asia/Shanghai) the money reaches the wallet: the settlement run at the start of "
            "that day pays it. A date already past means the payout is due and not yet posted."
        )
    )


@strawberry.type(name="FundHolding", description="A party's units of a fund (1 unit = 1.00).")
class FundHoldingType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Holding)

    @strawberry.field(  # type: ignore[misc]  # Node's id
        description="The fund and the party: a holding has its id before the first subscription.",
        metadata=sql(Leaf(lambda row: f"'{PREFIXES['FundHolding']}_' || {row['fund_id']} || '_' || {row['party_id']}")),
    )
    def id(self, root: Holding) -> strawberry.ID:
        return strawberry.ID(encode_id("FundHolding", root.fund_id, root.party_id))

    @strawberry.field(
        description="Confirmed units: they earn income and can be redeemed or spent.",
        metadata=sql(Leaf(lambda row: f"({row['units']})::text")),
    )
    def units(self, root: Holding) -> Decimal:
        return root.units

    @strawberry.field(
        description="Subscribed units waiting for confirmation (no income yet).",
        metadata=sql(Leaf(lambda row: f"({row['pending_units']})::text")),
    )
    def pending_units(self, root: Holding) -> Decimal:
        return root.pending_units

    @strawberry.field(
        description="Units of standard redemptions waiting to be paid out.",
        metadata=sql(Leaf(lambda row: f"({row['redeeming_units']})::text")),
    )
    def redeeming_units(self, root: Holding) -> Decimal:
        return root.redeeming_units

    @strawberry.field(
        description="Standard redemptions not paid out yet, by payout date (their units are in redeemingUnits).",
        metadata=standard_only("no contract read selects it; a list of dated values has no SQL twin yet"),
    )
    async def pending_redemptions(self, root: Holding, info: Info) -> list[FundPendingRedemptionType]:
        rows: list[PendingRedemption] = await info.context.loader(PendingRedemptionsByHoldingLoader).load(
            (root.fund_id, root.party_id)
        )
        return [FundPendingRedemptionType(units=r.units, payout_date=r.payout_date) for r in rows]

    @strawberry.field(description="Confirmed units x NAV 1.00.", metadata=sql(money("({units} * 100)::bigint")))
    def value(self, root: Holding) -> MoneyType:
        return root.value  # type: ignore[return-value]

    @strawberry.field(
        description="Income of yesterday (Asia/Shanghai), 0.00 if none was published.",
        metadata=sql(money("({yesterday_income} * 100)::bigint")),
    )
    def yesterday_income(self, root: Holding) -> MoneyType:
        return root.income_on(root.as_of - timedelta(days=1))  # type: ignore[return-value]

    @strawberry.field(
        description="All income ever received from this fund.", metadata=sql(money("({total_income} * 100)::bigint"))
    )
    def total_income(self, root: Holding) -> MoneyType:
        return Money(int(root.total_income * 100))  # type: ignore[return-value]

    @strawberry.field(
        description="Daily incomes of the last `days` days, newest first.",
        metadata=standard_only("no contract read selects it; a list of Date leaves has no SQL twin yet"),
    )
    async def income_history(self, root: Holding, info: Info, days: int = 30) -> list[FundIncomeDayType]:
        rows: list[IncomeDay] = await info.context.loader(IncomeHistoryByHoldingLoader).load(
            (root.fund_id, root.party_id, _days(days))
        )
        return [FundIncomeDayType(date=r.date, income=r.income) for r in rows]  # type: ignore[arg-type]

    @strawberry.field(metadata=sql(FUND))
    async def fund(self, root: Holding, info: Info) -> FundType:
        fund: Fund = await info.context.loader(FundByIdLoader).load(root.fund_id)
        return fund  # type: ignore[return-value]


@strawberry.type(name="FundDistribution", description="One day's income paid to a fund's holders.")
class DistributionType:
    date: date
    fund_code: str
    earnings_per_10k: Decimal
    holders: int
    total_income: MoneyType
    residue: Decimal = strawberry.field(description="Exact income minus what was paid (stays with the fund).")
    already_published: bool = strawberry.field(description="True if this date was published before: nothing changed.")

    @staticmethod
    def of(d: Distribution) -> DistributionType:
        return DistributionType(
            date=d.date, fund_code=d.fund_code, earnings_per_10k=d.earnings_per_10k, holders=d.holders,
            total_income=d.total_income, residue=d.residue, already_published=d.already_published,  # type: ignore[arg-type]
        )


def empty_holding(fund: Fund, party_id: int, as_of: date) -> Holding:
    zero = Decimal("0.00")
    return Holding(fund_id=fund.id, party_id=party_id, units=zero, pending_units=zero, redeeming_units=zero,
                   total_income=zero, last_income_date=None, last_income=zero, as_of=as_of)


async def fund_holding(info: Info, party: Party, fund_code: str, what: str) -> FundHoldingType | None:
    require_private_access(info, party.id, what, scope=_SCOPE)
    fund: Fund | None = await info.context.loader(FundByCodeLoader).load(fund_code)
    if fund is None:
        return None
    holding: Holding | None = await info.context.loader(HoldingByFundAndPartyLoader).load((fund.id, party.id))
    return (holding or empty_holding(fund, party.id, info.context.clock.today()))  # type: ignore[return-value]


@strawberry.type
class ConsumerFundsFields:
    """The funds service's fields of ``Consumer`` (joined in ``schema.entities``)."""

    @strawberry.field(description="This consumer's holding of a fund (zero if none).", directives=private(_SCOPE),
                      metadata=sql(HOLDING))
    async def fund_holding(self, root: Party, info: Info, fund_code: str = "YEB") -> FundHoldingType | None:
        return await fund_holding(info, root, fund_code, "Consumer.fundHolding")


@strawberry.type
class MerchantFundsFields:
    """The funds service's fields of ``Merchant`` (joined in ``schema.entities``)."""

    @strawberry.field(description="This merchant's holding of a fund (zero if none).", directives=private(_SCOPE),
                      metadata=sql(HOLDING))
    async def fund_holding(self, root: Party, info: Info, fund_code: str = "YEB") -> FundHoldingType | None:
        return await fund_holding(info, root, fund_code, "Merchant.fundHolding")
