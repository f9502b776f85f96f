"""The joined entities the payments slice returns: ``Merchant`` and ``Consumer``.

``schema.entities`` composes both from every service's fields, this slice's own
included, so the slice cannot import them without a cycle (ADR 018). It names them
lazily instead: Strawberry resolves the reference only when the join builds the schema,
and to the type checker each is what the resolvers really return, a payments ``Party``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ForwardRef, TypeAlias

import strawberry

from services.payments.models import Party

#: Where the joined entity types live; named here only, and resolved at schema build time.
_JOIN = "schema.entities"

if TYPE_CHECKING:
    MerchantEntity: TypeAlias = Party
    ConsumerEntity: TypeAlias = Party
else:
    # ForwardRef: the name is looked up in the join's module, not in this one.
    MerchantEntity = Annotated[ForwardRef("Merchant"), strawberry.lazy(_JOIN)]
    ConsumerEntity = Annotated[ForwardRef("Consumer"), strawberry.lazy(_JOIN)]

__all__ = ["ConsumerEntity", "MerchantEntity"]
