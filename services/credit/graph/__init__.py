"""The credit slice of the graph: types, loaders, queries and mutations."""

from __future__ import annotations

from services.credit.graph.mutations import CreditMutation
from services.credit.graph.nodes import readable_credit_line, readable_drawdown
from services.credit.graph.queries import CreditQuery
from services.credit.graph.types import ConsumerCreditFields, MerchantCreditFields

__all__ = [
    "ConsumerCreditFields",
    "CreditMutation",
    "CreditQuery",
    "MerchantCreditFields",
    "readable_credit_line",
    "readable_drawdown",
]
