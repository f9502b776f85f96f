"""Mutations of the credit slice: rate, open a line, draw, repay, accrue a day's interest.

Money-moving mutations: who may do it, parse the amount, then one idempotent
transaction around one service call (``run_idempotent``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import asyncpg
import strawberry

from services.credit import service
from services.credit.graph.loaders import OwnerByPartyIdLoader
from services.credit.graph.types import AccrualType, CreditLineType, RepaymentType
from services.credit.models import Accrual, CreditLine, Repayment
from services.kernel.errors import DomainError, ErrorCode
from services.kernel.graph import Info, UserError, require_operator, require_party, run_idempotent, run_once, user_error
from services.kernel.graph.owner import PayloadOwners
from services.kernel.ids import decode_id
from services.kernel.money import parse_amount
from services.kernel.principal import Role
from services.payments import party_of_kind, party_ref


@strawberry.input
class RateMerchantInput:
    payment_id: strawberry.ID
    stars: int
    comment: str = ""


@strawberry.input
class OpenCreditLineInput:
    party_id: strawberry.ID
    limit: Decimal | None = strawberry.field(default=None, description="Default: from score band and 90-day volume.")
    daily_rate: Decimal | None = strawberry.field(default=None, description="e.g. 0.0005; default from the band.")


@strawberry.input
class DrawCreditInput:
    amount: Decimal
    idempotency_key: str


@strawberry.input
class RepayCreditInput:
    amount: Decimal
    idempotency_key: str


@strawberry.input
class AccrueCreditInterestInput:
    date: date


@strawberry.type
class RateMerchantPayload:
    ok: bool
    user_errors: list[UserError]


@strawberry.type
class CreditLinePayload(PayloadOwners):
    owner_loader = OwnerByPartyIdLoader
    credit_line: CreditLineType | None
    user_errors: list[UserError]

    def owner_ids(self) -> list[int]:
        line: CreditLine | None = self.credit_line  # type: ignore[assignment]  # the domain value is the root
        return [] if line is None else [line.party_id]


@strawberry.type
class RepayCreditPayload(PayloadOwners):
    owner_loader = OwnerByPartyIdLoader
    repayment: RepaymentType | None
    credit_line: CreditLineType | None
    user_errors: list[UserError]

    def owner_ids(self) -> list[int]:
        line: CreditLine | None = self.credit_line  # type: ignore[assignment]
        return [] if line is None else [line.party_id]


@strawberry.type
class AccrueCreditInterestPayload:
    accrual: AccrualType | None
    user_errors: list[UserError]


@dataclass(frozen=True)
class RepaidLine:
    repayment: Repayment
    line: CreditLine


def _bad(error: DomainError) -> list[UserError]:
    return [user_error(error)]


@strawberry.type
class CreditMutation:
    @strawberry.mutation(description="Rate the merchant of a released payment you made (1-5 stars), once.")
    async def rate_merchant(self, info: Info, input: RateMerchantInput) -> RateMerchantPayload:
        buyer_id = require_party(info, Role.CONSUMER)
        decoded = decode_id(input.payment_id, "Payment")
        if decoded is None:
            return RateMerchantPayload(ok=False, user_errors=_bad(
                DomainError(ErrorCode.NOT_FOUND, "no such payment", field="paymentId")))

        async def effect(conn: asyncpg.Connection) -> bool:
            await service.rate_merchant(conn, buyer_id=buyer_id, payment_id=decoded[1], stars=input.stars,
                                        comment=input.comment, now=info.context.clock.now())
            return True

        ok, errors = await run_once(info, effect)
        return RateMerchantPayload(ok=bool(ok), user_errors=errors)

    @strawberry.mutation(description="Operator: open a credit line for a consumer or merchant.")
    async def open_credit_line(self, info: Info, input: OpenCreditLineInput) -> CreditLinePayload:
        require_operator(info)
        try:
            kind, party_id = party_ref(input.party_id, field="partyId")
            limit = parse_amount(input.limit, field="limit") if input.limit is not None else None
        except DomainError as error:
            return CreditLinePayload(credit_line=None, user_errors=_bad(error))

        async def effect(conn: asyncpg.Connection) -> CreditLine:
            await party_of_kind(conn, party_id, kind, field="partyId")  # con_5 never opens merchant 5's line
            return await service.open_credit_line(conn, party_id=party_id, limit=limit, daily_rate=input.daily_rate,
                                                  now=info.context.clock.now())

        line, errors = await run_once(info, effect)
        return CreditLinePayload(credit_line=line, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Draw on your credit line into your wallet (up to `available`).")
    async def draw_credit(self, info: Info, input: DrawCreditInput) -> CreditLinePayload:
        party_id = require_party(info, Role.CONSUMER, Role.MERCHANT)
        try:
            amount = parse_amount(input.amount)
        except DomainError as error:
            return CreditLinePayload(credit_line=None, user_errors=_bad(error))

        async def effect(conn: asyncpg.Connection) -> CreditLine:
            return await service.draw_credit(conn, party_id=party_id, amount=amount, now=info.context.clock.now())

        line, errors = await run_idempotent(info, operation="drawCredit", key=input.idempotency_key,
                                            request={"amount": amount.fen}, effect=effect, result_type=CreditLine)
        return CreditLinePayload(credit_line=line, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Repay from your wallet: penalty, then interest, then principal (oldest first).")
    async def repay_credit(self, info: Info, input: RepayCreditInput) -> RepayCreditPayload:
        party_id = require_party(info, Role.CONSUMER, Role.MERCHANT)
        try:
            amount = parse_amount(input.amount)
        except DomainError as error:
            return RepayCreditPayload(repayment=None, credit_line=None, user_errors=_bad(error))

        async def effect(conn: asyncpg.Connection) -> RepaidLine:
            repayment, line = await service.repay_credit(conn, party_id=party_id, amount=amount,
                                                         now=info.context.clock.now())
            return RepaidLine(repayment=repayment, line=line)

        done, errors = await run_idempotent(info, operation="repayCredit", key=input.idempotency_key,
                                            request={"amount": amount.fen}, effect=effect, result_type=RepaidLine)
        return RepayCreditPayload(repayment=done.repayment if done else None,  # type: ignore[arg-type]
                                  credit_line=done.line if done else None, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Operator: charge one ended day's interest on every line (idempotent per date).")
    async def accrue_credit_interest(self, info: Info, input: AccrueCreditInterestInput) -> AccrueCreditInterestPayload:
        require_operator(info)

        async def effect(conn: asyncpg.Connection) -> Accrual:
            return await service.accrue_daily_interest(conn, day=input.date, now=info.context.clock.now())

        accrual, errors = await run_once(info, effect)
        return AccrueCreditInterestPayload(accrual=AccrualType.of(accrual) if accrual else None, user_errors=errors)
