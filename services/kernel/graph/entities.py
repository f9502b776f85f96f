"""The joined entities every slice returns: ``Merchant`` and ``Consumer``, named lazily.

``schema.entities`` composes both from every service's fields, so no slice can import
them without a cycle (ADR 018). They are named here instead, the one place in services
that names the join: Strawberry resolves the reference only when the join builds the
schema, and to the type checker each is what the resolvers really return, a payments
``Party`` (typed ``Any`` here, as the kernel imports no service).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ForwardRef, TypeAlias

import strawberry

#: Where the joined entity types live; named here only, and resolved at schema build time.
_JOIN = "schema.entities"

if TYPE_CHECKING:
    MerchantRef: TypeAlias = Any
    ConsumerRef: TypeAlias = Any
else:
    # ForwardRef: the name is looked up in the join's module, not in this one.
    MerchantRef = Annotated[ForwardRef("Merchant"), strawberry.lazy(_JOIN)]
    ConsumerRef = Annotated[ForwardRef("Consumer"), strawberry.lazy(_JOIN)]

__all__ = ["ConsumerRef", "MerchantRef"]
