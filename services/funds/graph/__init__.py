"""The funds slice of the graph: types, loaders, queries and mutations."""

from __future__ import annotations

from services.funds.graph.mutations import FundsMutation
from services.funds.graph.nodes import readable_fund, readable_holding
from services.funds.graph.queries import FundsQuery
from services.funds.graph.types import ConsumerFundsFields, FundType, MerchantFundsFields

__all__ = [
    "ConsumerFundsFields",
    "FundType",
    "FundsMutation",
    "FundsQuery",
    "MerchantFundsFields",
    "readable_fund",
    "readable_holding",
]
