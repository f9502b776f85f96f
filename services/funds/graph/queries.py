"""Public queries of the funds slice: the funds and the earnings comparison."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from graphql import GraphQLError

from services.funds import repository
from services.funds.graph.loaders import FundByCodeLoader
from services.funds.graph.types import FundType
from services.funds.models import EarningsComparison, Fund
from services.funds.yields import compare_earnings
from services.kernel.errors import DomainError
from services.kernel.graph import Info, MoneyType
from services.kernel.graph.compiled import standard_only


@strawberry.type(
    name="EarningsComparison", description="What an amount earns in the fund vs a bank deposit (simple interest)."
)
class EarningsComparisonType:
    fund_earnings: MoneyType = strawberry.field(description="Rounded down to the fen.")
    bank_earnings: MoneyType = strawberry.field(description="Rounded down to the fen.")
    ratio: Decimal | None = strawberry.field(
        description="fundEarnings / bankEarnings, half-up to 2 decimals; null when the bank earns nothing."
    )


@strawberry.type
class FundsQuery:
    @strawberry.field(
        description="A fund by its code, e.g. YEB (public).",
        metadata=standard_only("no contract read starts here; funds are read as a party's holding"),
    )
    async def fund(self, info: Info, code: str) -> FundType | None:
        fund: Fund | None = await info.context.loader(FundByCodeLoader).load(code)
        return fund  # type: ignore[return-value]

    @strawberry.field(
        description="Every fund (public).",
        metadata=standard_only("no contract read starts here; funds are read as a party's holding"),
    )
    async def funds(self, info: Info) -> list[FundType]:
        async with info.context.pool.acquire() as conn:
            return await repository.all_funds(conn)  # type: ignore[return-value]

    @strawberry.field(
        description="Compare a fund's annual yield with a bank rate over `days` days (public, exact).",
        metadata=standard_only("computed from its arguments alone, with no data to read in SQL"),
    )
    def earnings_comparison(
        self, amount: Decimal, fund_annual_yield_percent: Decimal, bank_rate_percent: Decimal, days: int = 365
    ) -> EarningsComparisonType:
        try:
            result: EarningsComparison = compare_earnings(amount, fund_annual_yield_percent, bank_rate_percent, days)
        except DomainError as error:
            raise GraphQLError(error.message, extensions={"code": "BAD_USER_INPUT", "field": error.field}) from error
        return EarningsComparisonType(
            fund_earnings=result.fund_earnings, bank_earnings=result.bank_earnings, ratio=result.ratio,  # type: ignore[arg-type]
        )
