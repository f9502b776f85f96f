"""The read rule of ``services.kernel.access`` applied to the payments slice's objects.

Resolvers of every path to a Consumer, a Merchant or a Payment call these; they fetch
the one fact the rule needs (has this consumer paid the asking merchant?) through a
batched loader, and raise ``FORBIDDEN`` (or answer null) as the rule says.
"""

from __future__ import annotations

from services.kernel.access import (
    PAYMENTS_SCOPE,
    Exposure,
    may_reach_consumer,
    may_reach_merchant,
    may_read_consumer_field,
    needs_counterparty,
)
from services.kernel.access import may_read_payment as payment_rule
from services.kernel.graph import Info, forbidden, may_refetch_owned, require_principal
from services.kernel.ids import decode_id
from services.kernel.principal import Principal
from services.partners import PUBLIC_SCOPE
from services.payments.graph.loaders import CounterpartyLoader, PaymentByIdLoader, WalletByPartyIdLoader
from services.payments.models import Party, Payment, Wallet


async def _counterparty(info: Info, principal: Principal, consumer_id: int) -> bool:
    if not needs_counterparty(principal, consumer_id):
        return False
    assert principal.party_id is not None
    paid: bool = await info.context.loader(CounterpartyLoader).load((consumer_id, principal.party_id))
    return paid


def known_counterparty(info: Info, payment: Payment) -> None:
    """A payment the principal reads makes its merchant a counterparty of its buyer: no query needed."""
    info.context.loader(CounterpartyLoader).prime((payment.buyer_id, payment.merchant_id), True)


async def require_consumer_reach(info: Info, consumer_id: int, what: str) -> None:
    """``consumer(id:)``, ``node``, ``_entities``: FORBIDDEN unless the rule lets the principal reach it."""
    principal = require_principal(info)
    if not may_reach_consumer(principal, consumer_id, counterparty=await _counterparty(info, principal, consumer_id)):
        raise forbidden(what)


async def require_consumer_field(info: Info, consumer: Party, exposure: Exposure, what: str) -> None:
    principal = require_principal(info)
    counterparty = exposure is Exposure.PERSONAL and await _counterparty(info, principal, consumer.id)
    if not may_read_consumer_field(principal, consumer.id, exposure, counterparty=counterparty):
        raise forbidden(what)


def require_merchant_reach(info: Info, merchant_id: int, what: str) -> None:
    """A partner reaches only merchants that granted it access (the read is logged)."""
    principal = require_principal(info)
    if not may_reach_merchant(principal, merchant_id):
        raise forbidden(what)
    if principal.is_partner:
        info.context.record_partner_read(merchant_id, PUBLIC_SCOPE, "Merchant")


def may_read_payment(info: Info, payment: Payment) -> bool:
    """The payment rule; a partner's read is logged against the merchant."""
    principal = require_principal(info)
    if not payment_rule(principal, buyer_id=payment.buyer_id, merchant_id=payment.merchant_id):
        return False
    if principal.is_partner:
        info.context.record_partner_read(payment.merchant_id, PAYMENTS_SCOPE, "Payment")
    return True


async def readable_payment(info: Info, id: str) -> Payment | None:
    """``payment(id:)``, ``node``, ``_entities``: the payment if the rule lets the principal read it, else null."""
    decoded = decode_id(id, "Payment")
    if decoded is None:
        return None
    payment: Payment | None = await info.context.loader(PaymentByIdLoader).load(decoded[1])
    return payment if payment is not None and may_read_payment(info, payment) else None


async def readable_wallet(info: Info, id: str) -> Wallet | None:
    """``node(id: "wal_N")``: party N's wallet, read as its private ``wallet`` field."""
    decoded = decode_id(id, "Wallet")
    if decoded is None or not may_refetch_owned(info, "Wallet", decoded[1]):
        return None
    wallet: Wallet | None = await info.context.loader(WalletByPartyIdLoader).load(decoded[1])
    return wallet
