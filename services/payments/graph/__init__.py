"""The payments slice of the graph: types, loaders, queries and mutations."""

from __future__ import annotations

from services.payments.graph.access import (
    readable_payment,
    readable_wallet,
    require_consumer_reach,
    require_merchant_reach,
)
from services.payments.graph.compiled import one_party, one_payment, paid_by, parties_at, parties_rows
from services.payments.graph.loaders import (
    PartyByIdLoader,
    PaymentByIdLoader,
    PaymentsByBuyerIdLoader,
    PaymentsByMerchantIdLoader,
)
from services.payments.graph.mutations import PaymentsMutation
from services.payments.graph.queries import PaymentsQuery
from services.payments.graph.subscriptions import PaymentsSubscription
from services.payments.graph.types import ConsumerPaymentsFields, MerchantPaymentsFields, PaymentType

__all__ = [
    "ConsumerPaymentsFields",
    "MerchantPaymentsFields",
    "PartyByIdLoader",
    "PaymentByIdLoader",
    "PaymentType",
    "PaymentsByBuyerIdLoader",
    "PaymentsByMerchantIdLoader",
    "PaymentsMutation",
    "PaymentsQuery",
    "PaymentsSubscription",
    "one_party",
    "one_payment",
    "paid_by",
    "parties_at",
    "parties_rows",
    "readable_payment",
    "readable_wallet",
    "require_consumer_reach",
    "require_merchant_reach",
]
