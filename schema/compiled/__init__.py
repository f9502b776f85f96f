"""The compiled read path (ADR 010): a query operation as one SQL statement.

``CompiledReads`` is what the gateway calls; the services describe their fields in
``services/*/graph/compiled.py`` and ``SPECS`` merges them.
"""

from __future__ import annotations

from schema.compiled.executor import CompiledReads
from services.credit.graph.compiled import FIELDS as CREDIT_FIELDS
from services.funds.graph.compiled import FIELDS as FUNDS_FIELDS
from services.kernel.graph.compiled import KERNEL_FIELDS, Specs
from services.payments.graph.compiled import FIELDS as PAYMENTS_FIELDS


def all_specs() -> Specs:
    specs = Specs()
    for fields in (KERNEL_FIELDS, PAYMENTS_FIELDS, CREDIT_FIELDS, FUNDS_FIELDS):
        specs.add(fields)
    return specs


__all__ = ["CompiledReads", "all_specs"]
