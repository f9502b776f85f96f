"""Payments use cases. Each runs on a connection inside the caller's transaction.

The graph layer opens the transaction (with the idempotency key), calls one of these,
and commits; a ``DomainError`` anywhere rolls the whole operation back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from services.kernel import sql_call
from services.kernel.errors import DomainError, ErrorCode
from services.kernel.money import Money
from services.kernel.sql_call import SqlCall
from services.kernel.text import check_visible
from services.payments import ledger, outbox, repository
from services.payments.errors import REFUSALS, insufficient_funds, invalid_state, party_not_found, payment_not_found
from services.payments.funding import funding_provider
from services.payments.models import (
    CONFIRMATION_WINDOW,
    HELD_STATUSES,
    FundingSource,
    Party,
    PartyKind,
    Payment,
    PaymentEventKind,
    PaymentStatus,
    SystemAccount,
    Wallet,
    payment_status,
    wallet_code,
)

_BANK = SystemAccount.BANK_SETTLEMENT.code()
_ESCROW = SystemAccount.ESCROW.code()
_FEES = SystemAccount.FEE_INCOME.code()


async def create_party(
    conn: asyncpg.Connection, *, kind: PartyKind, name: str, real_name_verified: bool = False,
    certified: bool = False, now: datetime,
) -> Party:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise DomainError(ErrorCode.INVALID_INPUT, "name must be 1 to 200 characters", field="name")
    check_visible(name, field="name")
    return await repository.insert_party(
        conn, kind=kind, name=name, real_name_verified=real_name_verified, certified=certified, now=now
    )


async def top_up(conn: asyncpg.Connection, *, party_id: int, amount: Money, now: datetime) -> Wallet:
    """Money arrives from the party's bank: bank settlement -> wallet."""
    await ledger.move(
        conn, kind="TOP_UP", reference=f"party:{party_id}", source=_BANK, target=wallet_code(party_id),
        amount=amount, now=now,
    )
    return await repository.wallet_of(conn, party_id)


async def withdraw(conn: asyncpg.Connection, *, party_id: int, amount: Money, now: datetime) -> Wallet:
    """Money leaves for the party's bank: wallet -> bank settlement."""
    await ledger.move(
        conn, kind="WITHDRAWAL", reference=f"party:{party_id}", source=wallet_code(party_id), target=_BANK,
        amount=amount, now=now,
    )
    return await repository.wallet_of(conn, party_id)


async def transfer(
    conn: asyncpg.Connection, *, from_party_id: int, to_party_id: int, amount: Money, now: datetime,
    to_kind: PartyKind | None = None,
) -> Wallet:
    """Wallet to wallet (P2P); returns the sender's wallet. ``to_kind``: the kind the recipient's id named."""
    if from_party_id == to_party_id:
        raise DomainError(ErrorCode.INVALID_INPUT, "cannot transfer to yourself", field="toPartyId")
    recipients = await repository.parties_by_ids(conn, [to_party_id])
    # A typed id names its kind: con_7 must not reach the wallet of merchant 7.
    if not recipients or (to_kind is not None and recipients[0].kind is not to_kind):
        raise party_not_found("toPartyId")
    await ledger.move(
        conn, kind="TRANSFER", reference=f"party:{from_party_id}->party:{to_party_id}",
        source=wallet_code(from_party_id), target=wallet_code(to_party_id), amount=amount, now=now,
    )
    return await repository.wallet_of(conn, from_party_id)


def wallet_payment(
    *, buyer_id: int, merchant_id: int, amount: Money, order_ref: str, now: datetime
) -> SqlCall[Payment]:
    """A WALLET payment as one call of ``payments.pay_from_wallet``: the payment, its event and the escrow hold.

    Refused, with nothing written: no such merchant, then an over-long ``order_ref``, then
    insufficient funds (the same checks, in the same order, as ``create_payment``). The
    call goes through ``payments.pay_from_wallet_answer`` (migrations/005), which answers
    a refusal rather than failing, so that an idempotency key keeps it.
    """
    return SqlCall(
        function="payments.pay_from_wallet_answer",
        request={"buyer_id": buyer_id, "merchant_id": merchant_id, "amount": amount.fen, "currency": amount.currency,
                 "order_ref": order_ref, "at": now.isoformat()},
        result_type=Payment,
        errors=REFUSALS,
    )


async def create_payment(
    conn: asyncpg.Connection, *, buyer_id: int, merchant_id: int, amount: Money, source: FundingSource,
    order_ref: str, now: datetime,
) -> Payment:
    """Hold the buyer's money in escrow (担保交易) until they confirm receipt.

    A WALLET payment is one call (``wallet_payment``). Other sources: the payment row with
    its event, the funding (a fund redemption, a credit draw) into the buyer's wallet,
    then the same escrow hold.
    """
    if source is FundingSource.WALLET:
        return await sql_call.run(conn, wallet_payment(
            buyer_id=buyer_id, merchant_id=merchant_id, amount=amount, order_ref=order_ref, now=now
        ))
    payment = await repository.insert_held_payment(
        conn, buyer_id=buyer_id, merchant_id=merchant_id, amount=amount, source=source, order_ref=order_ref,
        now=now,
    )
    provider = funding_provider(source)
    if provider is None:
        raise invalid_state(f"funding source {source.value} is not available", field="fundingSource")
    await provider.fund_payment(conn, party_id=buyer_id, amount=amount, reference=f"payment:{payment.id}", now=now)
    await hold_in_escrow(conn, payment=payment, now=now)
    return payment


async def hold_in_escrow(conn: asyncpg.Connection, *, payment: Payment, now: datetime) -> None:
    await ledger.move(
        conn, kind="ESCROW_HOLD", reference=f"payment:{payment.id}", source=wallet_code(payment.buyer_id),
        target=_ESCROW, amount=payment.amount, now=now,
    )


async def confirm_receipt(
    conn: asyncpg.Connection, *, buyer_id: int, payment_id: int, fee_bps: int = 0, now: datetime
) -> Payment:
    """The buyer is satisfied: release what escrow still holds to the merchant."""
    payment = await repository.payment_for_update(conn, payment_id)
    if payment is None or payment.buyer_id != buyer_id:
        raise payment_not_found()
    if payment.status not in HELD_STATUSES:
        raise invalid_state(f"payment is {payment.status.value}, not held", field="paymentId")
    return await release_escrow(conn, payment=payment, fee_bps=fee_bps, now=now)


def platform_fee(held: Money, fee_bps: int) -> Money:
    """The platform's fee on a release: basis points of the released amount, rounded down to the fen."""
    return Money(held.fen * fee_bps // 10_000, held.currency)


def fee_refund(*, fee: Money, refundable: Money, refund: Money) -> Money:
    """The part of the platform's fee a refund after release gives back to the merchant.

    Proportional to what is refunded of what is still refundable: ``fee x refund /
    refundable``, rounded down to the fen, where ``fee`` is what the platform still keeps
    of the payment. Rounded down, a partial refund leaves the platform at most 0.01 more;
    the refund of everything still refundable returns all the fee that is left, so the
    fee returned over a payment's refunds is exactly the fee taken on release.
    """
    if refund.fen > refundable.fen:
        raise ValueError("a refund cannot exceed what is refundable")
    return Money(fee.fen * refund.fen // refundable.fen, fee.currency)


async def release_escrow(conn: asyncpg.Connection, *, payment: Payment, fee_bps: int, now: datetime) -> Payment:
    held = payment.held
    fee = platform_fee(held, fee_bps)
    legs = [ledger.system(SystemAccount.ESCROW, -held.fen), ledger.wallet(payment.merchant_id, held.fen - fee.fen)]
    if fee.fen:
        legs.append(ledger.system(SystemAccount.FEE_INCOME, fee.fen))
    await ledger.post_entry(conn, kind="ESCROW_RELEASE", reference=f"payment:{payment.id}", legs=legs, now=now)
    released = await repository.update_payment(
        conn, payment_id=payment.id, status=PaymentStatus.RELEASED, refunded=payment.refunded.fen,
        fee=fee.fen, released_at=now,
    )
    await outbox.record_payment_events(conn, [released], PaymentEventKind.RELEASED)
    return released


async def refund_payment(
    conn: asyncpg.Connection, *, payment_id: int, amount: Money, reason: str, merchant_id: int | None,
    now: datetime,
) -> Payment:
    """Give money back to the buyer: from escrow while held, from the merchant's wallet after release.

    After release the platform gives back the same share of its fee (``fee_refund``), so
    the merchant pays the refund net of the fee it never received; ``fee`` keeps what the
    platform still holds. A FUND payment's refund goes back to the fund, a CREDIT one
    repays the line first (the funding provider's ``refund_payment``).

    ``merchant_id`` is the acting merchant (None for an operator).
    """
    payment = await repository.payment_for_update(conn, payment_id)
    if payment is None or (merchant_id is not None and payment.merchant_id != merchant_id):
        raise payment_not_found()
    refundable = payment.amount - payment.refunded
    if payment.status is PaymentStatus.REFUNDED or refundable.fen == 0:
        raise invalid_state("payment is already fully refunded", field="paymentId")
    if amount.fen > refundable.fen:
        raise DomainError(
            ErrorCode.INVALID_AMOUNT, f"at most {refundable.amount} can still be refunded", field="amount"
        )
    after_release = payment.status is PaymentStatus.RELEASED
    refunded = payment.refunded + amount
    reference = f"payment:{payment.id}"
    fee_back = Money(0, amount.currency)
    if after_release:
        # The merchant pays the refund less the platform's fee on it, given back (ADR 022).
        fee_back = fee_refund(fee=payment.fee, refundable=refundable, refund=amount)
        legs = [ledger.wallet(payment.merchant_id, -(amount.fen - fee_back.fen)),
                ledger.wallet(payment.buyer_id, amount.fen)]
        if fee_back.fen:
            legs.append(ledger.system(SystemAccount.FEE_INCOME, -fee_back.fen))
        await ledger.post_entry(
            conn, kind="REFUND_AFTER_RELEASE", reference=reference, legs=legs, now=now,
            insufficient=insufficient_funds("amount"),
        )
    else:
        await ledger.move(
            conn, kind="ESCROW_REFUND", reference=reference, source=_ESCROW, target=wallet_code(payment.buyer_id),
            amount=amount, now=now,
        )
    if payment.funding_source is not FundingSource.WALLET:
        provider = funding_provider(payment.funding_source)
        if provider is not None:
            await provider.refund_payment(conn, party_id=payment.buyer_id, amount=amount, reference=reference, now=now)
    status = payment_status(amount=payment.amount, refunded=refunded, released=after_release)
    await repository.insert_refund(
        conn, payment_id=payment.id, amount=amount.fen, reason=reason[:500], after_release=after_release, now=now
    )
    refunded_payment = await repository.update_payment(
        conn, payment_id=payment.id, status=status, refunded=refunded.fen, fee=payment.fee.fen - fee_back.fen,
        released_at=payment.released_at,
    )
    await outbox.record_payment_events(conn, [refunded_payment], PaymentEventKind.REFUNDED)
    return refunded_payment


async def release_due_payments(
    conn: asyncpg.Connection, *, as_of: datetime, fee_bps: int = 0, now: datetime,
    window: timedelta = CONFIRMATION_WINDOW,
) -> int:
    """Auto-confirm every payment held longer than the confirmation window; returns how many.

    Set-based: one statement finds and locks the due payments, one entry releases
    them all (escrow -> each merchant's wallet), one statement marks them released.
    Payments locked by a concurrent confirm or refund are skipped, not waited for.
    """
    if as_of > now:
        raise invalid_state("asOf is in the future: a batch runs only for time that has passed", field="asOf")
    due = await repository.due_payments_for_update(conn, created_before=as_of - window)
    if not due:
        return 0
    fees = [platform_fee(p.held, fee_bps) for p in due]
    legs = [ledger.system(SystemAccount.ESCROW, -sum(p.held.fen for p in due))]
    legs += [ledger.wallet(p.merchant_id, p.held.fen - fee.fen) for p, fee in zip(due, fees, strict=True)]
    if any(fee.fen for fee in fees):
        legs.append(ledger.system(SystemAccount.FEE_INCOME, sum(fee.fen for fee in fees)))
    await ledger.post_entry(
        conn, kind="ESCROW_AUTO_RELEASE", reference=f"release-due:{as_of.isoformat()}", legs=legs, now=now
    )
    await repository.mark_released(conn, payment_ids=[p.id for p in due], fees=[f.fen for f in fees], now=now)
    await outbox.record_payment_events(conn, due, PaymentEventKind.RELEASED)
    return len(due)
