"""GraphQL building blocks shared by the services' graph packages."""

from __future__ import annotations

from services.kernel.graph.auth import (
    forbidden,
    may_refetch_owned,
    require_operator,
    require_party,
    require_principal,
    require_private_access,
)
from services.kernel.graph.context import GraphContext, Info, Loader
from services.kernel.graph.mutation import run_idempotent, run_idempotent_call, run_once
from services.kernel.graph.pagination import Connection, Edge, PageInfo, page_window
from services.kernel.graph.scalars import DATE_SCALAR, DATETIME_SCALAR, DECIMAL_SCALAR
from services.kernel.graph.types import MoneyType, Node, UserError, user_error

__all__ = [
    "DATETIME_SCALAR",
    "DATE_SCALAR",
    "DECIMAL_SCALAR",
    "Connection",
    "Edge",
    "GraphContext",
    "Info",
    "Loader",
    "MoneyType",
    "Node",
    "PageInfo",
    "UserError",
    "forbidden",
    "may_refetch_owned",
    "page_window",
    "require_operator",
    "require_party",
    "require_principal",
    "require_private_access",
    "run_idempotent",
    "run_idempotent_call",
    "run_once",
    "user_error",
]
