"""``financialProfile`` of Consumer and Merchant: the customer portrait (客户画像) in the graph.

Read by the party itself, operators, and (a merchant's) partners it granted
``profile:read`` (``EXPOSURES``: private). The figures are ``services.credit.portrait``'s;
the loader and the compiled read path gather the same facts with the same SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError

from services.credit import portrait, repository
from services.credit.portrait import CashFlow, ConsumerPortrait, MerchantPortrait, MonthFigures
from services.kernel.graph import Info, MoneyType, require_private_access
from services.kernel.graph.compiled import ComputeContext, Computed, Row, Scope, sql
from services.kernel.graph.directives import private
from services.kernel.graph.loader import RequestLoader
from services.payments import Party

PROFILE_SCOPE = "profile:read"

CashFlowKindEnum = strawberry.enum(portrait.CashFlowKind, name="CashFlowKind")


def _window(value: int, name: str, most: int) -> int:
    if not 1 <= value <= most:
        raise GraphQLError(f"{name} must be between 1 and {most}, got {value}", extensions={"code": "BAD_USER_INPUT"})
    return value


@strawberry.type(name="CashFlowOfKind", description="Money in and out of one kind over the window.")
class FlowType:
    kind: CashFlowKindEnum  # type: ignore[valid-type]
    inflow: MoneyType
    outflow: MoneyType


@strawberry.type(name="CashFlow",
                 description="Money in and out over the last `days` days (Asia/Shanghai, today included).")
class CashFlowType:
    days: int
    inflow: MoneyType
    outflow: MoneyType
    by_kind: list[FlowType]

    @staticmethod
    def of(flow: CashFlow) -> CashFlowType:
        return CashFlowType(days=flow.days, inflow=flow.inflow, outflow=flow.outflow,  # type: ignore[arg-type]
                            by_kind=[FlowType(kind=f.kind, inflow=f.inflow, outflow=f.outflow)  # type: ignore[arg-type]
                                     for f in flow.by_kind])


@strawberry.type(name="MonthlyPayments", description="Payments a consumer made in one calendar month (YYYY-MM).")
class MonthlyPaymentsType:
    month: str
    payments: int
    amount: MoneyType


@strawberry.type(name="MonthlySales", description="A merchant's sales in one calendar month (YYYY-MM).")
class MonthlySalesType:
    month: str
    payments: int
    sales: MoneyType = strawberry.field(description="Gross sales (GMV): payments made to the merchant that month.")
    refunds: MoneyType = strawberry.field(description="Refunds given that month, whatever month the payment was.")
    net_sales: MoneyType = strawberry.field(description="sales - refunds.")

    @staticmethod
    def of(m: MonthFigures) -> MonthlySalesType:
        return MonthlySalesType(month=m.month, payments=m.payments, sales=m.amount, refunds=m.refunded,  # type: ignore[arg-type]
                                net_sales=m.net)  # type: ignore[arg-type]


@strawberry.type(name="MerchantRatings", description="Ratings buyers gave the merchant.")
class RatingsType:
    count: int
    average_stars: Decimal | None = strawberry.field(description="Mean stars, 2 places, half to even.")


_RATE = "4 places, rounded half to even; null when nothing to divide by."


@strawberry.type(name="ConsumerFinancialProfile",
                 description="A consumer's portrait, from running aggregates (the same cost for any history).")
class ConsumerProfileType:
    @strawberry.field(description="wallet + fund value - credit owed (principal, interest and penalty).")
    def net_worth(self, root: ConsumerPortrait) -> MoneyType:
        return root.net_worth  # type: ignore[return-value]

    @strawberry.field
    def wallet_balance(self, root: ConsumerPortrait) -> MoneyType:
        return root.wallet  # type: ignore[return-value]

    @strawberry.field(description="Confirmed, pending and redeeming fund units at NAV 1.00.")
    def fund_value(self, root: ConsumerPortrait) -> MoneyType:
        return root.fund_value  # type: ignore[return-value]

    @strawberry.field(description="Principal, interest and penalty interest not yet repaid.")
    def credit_owed(self, root: ConsumerPortrait) -> MoneyType:
        return root.credit_owed  # type: ignore[return-value]

    @strawberry.field(description=f"fund value / (wallet + fund value): idle cash held in the fund; {_RATE}")
    def idle_cash_in_fund(self, root: ConsumerPortrait) -> Decimal | None:
        return root.idle_cash_in_fund

    @strawberry.field(description=f"Outstanding principal / credit limit; null without a line; {_RATE}")
    def credit_utilization(self, root: ConsumerPortrait) -> Decimal | None:
        return root.credit_utilization

    @strawberry.field(description="Money in and out by kind over the last `days` days (1..90).")
    def cash_flow(self, root: ConsumerPortrait, days: int = 30) -> CashFlowType:
        return CashFlowType.of(root.cash_flow(_window(days, "days", portrait.MAX_CASH_FLOW_DAYS)))

    @strawberry.field(description="Payments made by month, the last `months` months (1..12), oldest first.")
    def monthly_payments(self, root: ConsumerPortrait, months: int = 12) -> list[MonthlyPaymentsType]:
        return [MonthlyPaymentsType(month=m.month, payments=m.payments, amount=m.amount)  # type: ignore[arg-type]
                for m in root.monthly_payments(_window(months, "months", portrait.MAX_MONTHS))]


@strawberry.type(name="MerchantFinancialProfile",
                 description="A merchant's portrait, from running aggregates (the same cost for any history).")
class MerchantProfileType:
    @strawberry.field(description="Gross sales (GMV) of all time.")
    def sales(self, root: MerchantPortrait) -> MoneyType:
        return root.sales  # type: ignore[return-value]

    @strawberry.field(description="Payments received, all time.")
    def payments(self, root: MerchantPortrait) -> int:
        return root.payments

    @strawberry.field(description=f"Payments with any refund / payments; {_RATE}")
    def refund_rate(self, root: MerchantPortrait) -> Decimal | None:
        return root.refund_rate

    @strawberry.field(description=f"Payments with a dispute / payments; {_RATE}")
    def dispute_rate(self, root: MerchantPortrait) -> Decimal | None:
        return root.dispute_rate

    @strawberry.field(description="sales / payments, rounded down to the fen; null without payments.")
    def average_ticket(self, root: MerchantPortrait) -> MoneyType | None:
        return root.average_ticket  # type: ignore[return-value]

    @strawberry.field(description=f"Buyers with two payments or more / buyers; {_RATE}")
    def repeat_buyer_share(self, root: MerchantPortrait) -> Decimal | None:
        return root.repeat_buyer_share

    @strawberry.field(description="Money of its payments still held in escrow.")
    def escrow_held(self, root: MerchantPortrait) -> MoneyType:
        return root.escrow_held  # type: ignore[return-value]

    @strawberry.field(description="Median whole days from payment to release (exact: .5 between two); null if none.")
    def median_days_to_release(self, root: MerchantPortrait) -> Decimal | None:
        return root.median_days_to_release

    @strawberry.field
    def ratings(self, root: MerchantPortrait) -> RatingsType:
        return RatingsType(count=root.ratings, average_stars=root.average_stars)

    @strawberry.field(description="Sales and net sales by month, the last `months` months (1..12), oldest first.")
    def monthly_sales(self, root: MerchantPortrait, months: int = 12) -> list[MonthlySalesType]:
        return [MonthlySalesType.of(m) for m in root.monthly_sales(_window(months, "months", portrait.MAX_MONTHS))]


async def _portraits(loader: RequestLoader, keys: Sequence[int], facts_sql: Callable[[str, str], str],
                     build: Callable[[list[Any], date], Any]) -> list[Any]:
    today = loader.clock.today()
    async with loader.pool.acquire() as conn:
        facts = await repository.portrait_facts(conn, facts_sql, keys, today=today)
    return [build(facts[key], today) if key in facts else None for key in keys]


class ConsumerPortraitByPartyIdLoader(RequestLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[ConsumerPortrait | None]:
        return await _portraits(self, keys, portrait.consumer_facts_sql, portrait.consumer_portrait)


class MerchantPortraitByPartyIdLoader(RequestLoader):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[MerchantPortrait | None]:
        return await _portraits(self, keys, portrait.merchant_facts_sql, portrait.merchant_portrait)


def _facts(facts_sql: Callable[[str, str], str]) -> Callable[[Row, Scope], str]:
    def inputs(row: Row, scope: Scope) -> str:
        return facts_sql(row["id"], scope.today)
    return inputs


def _finish(build: Callable[[list[Any], date], Any]) -> Callable[[list[Any], ComputeContext], Any]:
    def finish(facts: list[Any], context: ComputeContext) -> Any:
        return build(facts, context.today)
    return finish


#: The compiled path's ``financialProfile``: the loader's SQL, then the domain's function.
CONSUMER_PROFILE = Computed(_facts(portrait.consumer_facts_sql), _finish(portrait.consumer_portrait))
MERCHANT_PROFILE = Computed(_facts(portrait.merchant_facts_sql), _finish(portrait.merchant_portrait))


@strawberry.type
class ConsumerPortraitFields:
    @strawberry.field(description="The consumer's financial portrait: the consumer and operators only.",
                      directives=private(PROFILE_SCOPE), metadata=sql(CONSUMER_PROFILE))
    async def financial_profile(self, root: Party, info: Info) -> ConsumerProfileType | None:
        require_private_access(info, root.id)
        return await info.context.loader(ConsumerPortraitByPartyIdLoader).load(root.id)  # type: ignore[no-any-return]


@strawberry.type
class MerchantPortraitFields:
    @strawberry.field(description="The merchant's portrait: itself, operators, partners granted profile:read.",
                      directives=private(PROFILE_SCOPE), metadata=sql(MERCHANT_PROFILE))
    async def financial_profile(self, root: Party, info: Info) -> MerchantProfileType | None:
        require_private_access(info, root.id)
        return await info.context.loader(MerchantPortraitByPartyIdLoader).load(root.id)  # type: ignore[no-any-return]


__all__ = ["ConsumerPortraitFields", "MerchantPortraitFields"]
