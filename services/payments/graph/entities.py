"""The joined entities the payments slice returns: ``Merchant`` and ``Consumer``.

``schema.entities`` composes both from every service's fields, this slice's own
included, so the slice cannot import them without a cycle (ADR 018). The kernel names
them lazily (``services/kernel/graph/entities.py``); to the type checker each is what the
resolvers really return, a payments ``Party``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from services.kernel.graph.entities import ConsumerRef, MerchantRef
from services.payments.models import Party

if TYPE_CHECKING:
    MerchantEntity: TypeAlias = Party
    ConsumerEntity: TypeAlias = Party
else:
    MerchantEntity = MerchantRef
    ConsumerEntity = ConsumerRef

__all__ = ["ConsumerEntity", "MerchantEntity"]
