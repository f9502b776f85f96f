"""Mutations of the payments slice: money in and out, escrow payments, parties.

Each money-moving mutation reads: who may do it, parse the amount (the domain refuses
rather than rounds), then one idempotent transaction around one service call.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

import asyncpg
import strawberry

from services.kernel.graph import (
    Info,
    UserError,
    require_operator,
    require_party,
    run_idempotent,
    run_idempotent_call,
    run_once,
    user_error,
)
from services.kernel.graph.owner import PayloadOwners
from services.kernel.ids import decode_id
from services.kernel.money import Money, parse_amount
from services.kernel.principal import Role
from services.kernel.text import check_visible
from services.payments import service
from services.payments.errors import DomainError, no_such_merchant, payment_not_found
from services.payments.graph.entities import ConsumerEntity, MerchantEntity
from services.payments.graph.loaders import PartyByIdLoader
from services.payments.graph.types import FundingSourceEnum, PaymentType, WalletType
from services.payments.models import FundingSource, Party, PartyKind, Payment, Wallet
from services.payments.parties import party_ref


@strawberry.input
class MoneyMovementInput:
    amount: Decimal
    idempotency_key: str


@strawberry.input
class TransferInput:
    to_party_id: strawberry.ID
    amount: Decimal
    idempotency_key: str


@strawberry.input
class CreatePaymentInput:
    merchant_id: strawberry.ID
    amount: Decimal
    funding_source: FundingSourceEnum = FundingSource.WALLET  # type: ignore[valid-type]
    order_ref: str = ""
    idempotency_key: str


@strawberry.input
class ConfirmReceiptInput:
    payment_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class RefundPaymentInput:
    payment_id: strawberry.ID
    amount: Decimal
    reason: str = ""
    idempotency_key: str


@strawberry.input
class ReleaseDuePaymentsInput:
    as_of: datetime


@strawberry.input
class CreateConsumerInput:
    name: str
    real_name_verified: bool = False


@strawberry.input
class CreateMerchantInput:
    name: str
    certified: bool = False


@strawberry.type
class WalletPayload(PayloadOwners):
    owner_loader = PartyByIdLoader
    wallet: WalletType | None
    user_errors: list[UserError]

    def owner_ids(self) -> list[int]:
        wallet: Wallet | None = self.wallet  # type: ignore[assignment]  # the domain value is the type's root
        return [] if wallet is None else [wallet.party_id]


@strawberry.type
class PaymentPayload(PayloadOwners):
    owner_loader = PartyByIdLoader
    payment: PaymentType | None
    user_errors: list[UserError]

    def owner_ids(self) -> list[int]:
        payment: Payment | None = self.payment  # type: ignore[assignment]
        return [] if payment is None else [payment.buyer_id, payment.merchant_id]


@strawberry.type
class ReleaseDuePaymentsPayload:
    released_count: int
    user_errors: list[UserError]


@strawberry.type
class CreateConsumerPayload:
    consumer: ConsumerEntity | None
    user_errors: list[UserError]


@strawberry.type
class CreateMerchantPayload:
    merchant: MerchantEntity | None
    user_errors: list[UserError]


def _payment_pk(value: str) -> int:
    decoded = decode_id(value, "Payment")
    if decoded is None:
        raise payment_not_found()
    return decoded[1]


def _wallet_payload(result: tuple[Wallet | None, list[UserError]]) -> WalletPayload:
    return WalletPayload(wallet=result[0], user_errors=result[1])  # type: ignore[arg-type]


def _payment_payload(result: tuple[Payment | None, list[UserError]]) -> PaymentPayload:
    return PaymentPayload(payment=result[0], user_errors=result[1])  # type: ignore[arg-type]


class _BankMove(Protocol):
    async def __call__(self, conn: asyncpg.Connection, *, party_id: int, amount: Money, now: datetime) -> Wallet: ...


async def _bank_movement(info: Info, input: MoneyMovementInput, *, operation: str, move: _BankMove) -> WalletPayload:
    """topUp and withdraw: the party's own wallet against the bank settlement account."""
    party_id = require_party(info, Role.CONSUMER, Role.MERCHANT)
    try:
        amount = parse_amount(input.amount)
    except DomainError as error:
        return WalletPayload(wallet=None, user_errors=[user_error(error)])

    async def effect(conn: asyncpg.Connection) -> Wallet:
        return await move(conn, party_id=party_id, amount=amount, now=info.context.clock.now())

    return _wallet_payload(await run_idempotent(
        info, operation=operation, key=input.idempotency_key, request={"amount": amount.fen},
        effect=effect, result_type=Wallet,
    ))


@strawberry.type
class PaymentsMutation:
    @strawberry.mutation(description="Operator: register a consumer (and their wallet).")
    async def create_consumer(self, info: Info, input: CreateConsumerInput) -> CreateConsumerPayload:
        require_operator(info)

        async def effect(conn: asyncpg.Connection) -> Party:
            return await service.create_party(
                conn, kind=PartyKind.CONSUMER, name=input.name, real_name_verified=input.real_name_verified,
                now=info.context.clock.now(),
            )

        party, errors = await run_once(info, effect)
        return CreateConsumerPayload(consumer=party, user_errors=errors)

    @strawberry.mutation(description="Operator: register a merchant (and their wallet).")
    async def create_merchant(self, info: Info, input: CreateMerchantInput) -> CreateMerchantPayload:
        require_operator(info)

        async def effect(conn: asyncpg.Connection) -> Party:
            return await service.create_party(
                conn, kind=PartyKind.MERCHANT, name=input.name, certified=input.certified,
                now=info.context.clock.now(),
            )

        party, errors = await run_once(info, effect)
        return CreateMerchantPayload(merchant=party, user_errors=errors)

    @strawberry.mutation(description="Bring money from your bank into your wallet.")
    async def top_up(self, info: Info, input: MoneyMovementInput) -> WalletPayload:
        return await _bank_movement(info, input, operation="topUp", move=service.top_up)

    @strawberry.mutation(description="Send money from your wallet to your bank.")
    async def withdraw(self, info: Info, input: MoneyMovementInput) -> WalletPayload:
        return await _bank_movement(info, input, operation="withdraw", move=service.withdraw)

    @strawberry.mutation(description="Send money from your wallet to another party's wallet.")
    async def transfer(self, info: Info, input: TransferInput) -> WalletPayload:
        party_id = require_party(info, Role.CONSUMER, Role.MERCHANT)
        try:
            amount = parse_amount(input.amount)
            to_kind, to_party_id = party_ref(input.to_party_id, field="toPartyId")
        except DomainError as error:
            return WalletPayload(wallet=None, user_errors=[user_error(error)])

        async def effect(conn: asyncpg.Connection) -> Wallet:
            return await service.transfer(
                conn, from_party_id=party_id, to_party_id=to_party_id, amount=amount, now=info.context.clock.now(),
                to_kind=to_kind,
            )

        return _wallet_payload(await run_idempotent(
            info, operation="transfer", key=input.idempotency_key,
            request={"amount": amount.fen, "to": to_party_id}, effect=effect, result_type=Wallet,
        ))

    @strawberry.mutation(description="Pay a merchant; the money is held in escrow until you confirm receipt.")
    async def create_payment(self, info: Info, input: CreatePaymentInput) -> PaymentPayload:
        buyer_id = require_party(info, Role.CONSUMER)
        source = FundingSource(input.funding_source)
        try:
            amount = parse_amount(input.amount)
            check_visible(input.order_ref, field="orderRef")
            decoded = decode_id(input.merchant_id, "Merchant")
            if decoded is None:
                raise no_such_merchant()
        except DomainError as error:
            return PaymentPayload(payment=None, user_errors=[user_error(error)])
        merchant_id, now = decoded[1], info.context.clock.now()
        request = {"amount": amount.fen, "merchant": merchant_id, "source": source.value, "order": input.order_ref}
        if source is FundingSource.WALLET:  # one round trip: key, payment and escrow hold in one statement
            call = service.wallet_payment(
                buyer_id=buyer_id, merchant_id=merchant_id, amount=amount, order_ref=input.order_ref, now=now
            )
            return _payment_payload(await run_idempotent_call(
                info, operation="createPayment", key=input.idempotency_key, request=request, call=call
            ))

        async def effect(conn: asyncpg.Connection) -> Payment:
            return await service.create_payment(
                conn, buyer_id=buyer_id, merchant_id=merchant_id, amount=amount, source=source,
                order_ref=input.order_ref, now=now,
            )

        return _payment_payload(await run_idempotent(
            info, operation="createPayment", key=input.idempotency_key, request=request, effect=effect,
            result_type=Payment,
        ))

    @strawberry.mutation(description="Buyer: the goods arrived; release the escrowed money to the merchant.")
    async def confirm_receipt(self, info: Info, input: ConfirmReceiptInput) -> PaymentPayload:
        buyer_id = require_party(info, Role.CONSUMER)
        try:
            payment_id = _payment_pk(input.payment_id)
        except DomainError as error:
            return PaymentPayload(payment=None, user_errors=[user_error(error)])

        async def effect(conn: asyncpg.Connection) -> Payment:
            return await service.confirm_receipt(
                conn, buyer_id=buyer_id, payment_id=payment_id, fee_bps=info.context.platform_fee_bps,
                now=info.context.clock.now(),
            )

        return _payment_payload(await run_idempotent(
            info, operation="confirmReceipt", key=input.idempotency_key, request={"payment": payment_id},
            effect=effect, result_type=Payment,
        ))

    @strawberry.mutation(description="Merchant or operator: refund all or part of a payment, before or after release.")
    async def refund_payment(self, info: Info, input: RefundPaymentInput) -> PaymentPayload:
        principal = info.context.principal
        merchant_id = None if principal is not None and principal.is_operator else require_party(info, Role.MERCHANT)
        try:
            amount = parse_amount(input.amount)
            payment_id = _payment_pk(input.payment_id)
            check_visible(input.reason, field="reason", multiline=True)
        except DomainError as error:
            return PaymentPayload(payment=None, user_errors=[user_error(error)])

        async def effect(conn: asyncpg.Connection) -> Payment:
            return await service.refund_payment(
                conn, payment_id=payment_id, amount=amount, reason=input.reason, merchant_id=merchant_id,
                now=info.context.clock.now(),
            )

        return _payment_payload(await run_idempotent(
            info, operation="refundPayment", key=input.idempotency_key,
            request={"payment": payment_id, "amount": amount.fen, "reason": input.reason},
            effect=effect, result_type=Payment,
        ))

    @strawberry.mutation(description="Operator: auto-confirm payments held longer than the confirmation window.")
    async def release_due_payments(self, info: Info, input: ReleaseDuePaymentsInput) -> ReleaseDuePaymentsPayload:
        require_operator(info)

        async def effect(conn: asyncpg.Connection) -> int:
            return await service.release_due_payments(
                conn, as_of=input.as_of, fee_bps=info.context.platform_fee_bps, now=info.context.clock.now()
            )

        released, errors = await run_once(info, effect)
        return ReleaseDuePaymentsPayload(released_count=released or 0, user_errors=errors)
