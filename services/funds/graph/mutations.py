"""Mutations of the funds slice: subscribe, redeem, publish a day's yield, settle due orders.

Money-moving mutations: who may do it, parse the amount, then one idempotent
transaction around one service call (``run_idempotent``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import asyncpg
import strawberry

from services.funds import service
from services.funds.errors import invalid_state
from services.funds.graph.loaders import OwnerByPartyIdLoader
from services.funds.graph.types import DistributionType, FundHoldingType
from services.funds.models import Distribution, Holding, RedemptionMode
from services.kernel.errors import DomainError
from services.kernel.graph import Info, UserError, require_operator, require_party, run_idempotent, run_once, user_error
from services.kernel.graph.owner import PayloadOwners
from services.kernel.money import parse_amount
from services.kernel.principal import Role

RedemptionModeEnum = strawberry.enum(
    RedemptionMode, description="INSTANT: to the wallet now (capped per day); STANDARD: next trading day, no cap."
)


@strawberry.input
class SubscribeFundInput:
    fund_code: str
    amount: Decimal
    idempotency_key: str


@strawberry.input
class RedeemFundInput:
    fund_code: str
    amount: Decimal
    mode: RedemptionModeEnum = RedemptionMode.INSTANT  # type: ignore[valid-type]
    idempotency_key: str


@strawberry.input
class PublishFundYieldInput:
    fund_code: str
    date: date
    earnings_per_10k: Decimal


@strawberry.input
class SettleFundOrdersInput:
    as_of: date | None = strawberry.field(default=None, description="Business date; default today.")


@strawberry.type
class FundHoldingPayload(PayloadOwners):
    owner_loader = OwnerByPartyIdLoader
    holding: FundHoldingType | None
    user_errors: list[UserError]

    def owner_ids(self) -> list[int]:
        holding: Holding | None = self.holding  # type: ignore[assignment]  # the domain value is the root
        return [] if holding is None else [holding.party_id]


@strawberry.type
class PublishFundYieldPayload:
    distribution: DistributionType | None
    user_errors: list[UserError]


@strawberry.type
class SettleFundOrdersPayload:
    settled_count: int
    user_errors: list[UserError]


@strawberry.type
class FundsMutation:
    @strawberry.mutation(description="Move wallet money into a fund; units are pending until the next trading day.")
    async def subscribe_fund(self, info: Info, input: SubscribeFundInput) -> FundHoldingPayload:
        party_id = require_party(info, Role.CONSUMER, Role.MERCHANT)
        try:
            amount = parse_amount(input.amount)
        except DomainError as error:
            return FundHoldingPayload(holding=None, user_errors=[user_error(error)])

        async def effect(conn: asyncpg.Connection) -> Holding:
            return await service.subscribe(
                conn, fund_code=input.fund_code, party_id=party_id, amount=amount, now=info.context.clock.now()
            )

        holding, errors = await run_idempotent(
            info, operation="subscribeFund", key=input.idempotency_key,
            request={"fund": input.fund_code, "amount": amount.fen}, effect=effect, result_type=Holding,
        )
        return FundHoldingPayload(holding=holding, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Redeem units: INSTANT to the wallet now (10000.00 a day), STANDARD next trading day."
    )
    async def redeem_fund(self, info: Info, input: RedeemFundInput) -> FundHoldingPayload:
        party_id = require_party(info, Role.CONSUMER, Role.MERCHANT)
        mode = RedemptionMode(input.mode)
        try:
            amount = parse_amount(input.amount)
        except DomainError as error:
            return FundHoldingPayload(holding=None, user_errors=[user_error(error)])

        async def effect(conn: asyncpg.Connection) -> Holding:
            return await service.redeem(
                conn, fund_code=input.fund_code, party_id=party_id, amount=amount, mode=mode,
                now=info.context.clock.now(),
            )

        holding, errors = await run_idempotent(
            info, operation="redeemFund", key=input.idempotency_key,
            request={"fund": input.fund_code, "amount": amount.fen, "mode": mode.value}, effect=effect,
            result_type=Holding,
        )
        return FundHoldingPayload(holding=holding, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Operator: pay one day's income to every holder (idempotent per date).")
    async def publish_fund_yield(self, info: Info, input: PublishFundYieldInput) -> PublishFundYieldPayload:
        require_operator(info)

        async def effect(conn: asyncpg.Connection) -> Distribution:
            return await service.publish_fund_yield(
                conn, fund_code=input.fund_code, day=input.date, earnings_per_10k=input.earnings_per_10k,
                now=info.context.clock.now(),
            )

        distribution, errors = await run_once(info, effect)
        return PublishFundYieldPayload(
            distribution=DistributionType.of(distribution) if distribution else None, user_errors=errors
        )

    @strawberry.mutation(description="Operator: confirm due subscriptions and pay out due standard redemptions.")
    async def settle_fund_orders(self, info: Info, input: SettleFundOrdersInput) -> SettleFundOrdersPayload:
        require_operator(info)
        today = info.context.clock.today()

        async def effect(conn: asyncpg.Connection) -> int:
            as_of = input.as_of or today
            if as_of > today:
                raise invalid_state("asOf is in the future", field="asOf")
            return await service.settle_fund_orders(conn, as_of=as_of, now=info.context.clock.now())

        settled, errors = await run_once(info, effect)
        return SettleFundOrdersPayload(settled_count=settled or 0, user_errors=errors)
