"""Federation directives that let a partner's router enforce what we enforce.

- ``@authenticated`` on fields that need a token, ``@requiresScopes`` on private fields
  (every consumer, merchant and operator token carries the read scopes for the data it
  may see; partner tokens carry only what they were given). The subgraph still checks
  ownership and consent itself: the directives are a second gate, not the only one.
- ``@listSize`` on paginated fields (sized by ``first``, with ``edges`` the sized list)
  and ``@cost`` where a field costs more than a plain read, for routers' demand control.
"""

from __future__ import annotations

from typing import ClassVar

from strawberry.federation.schema_directives import (
    Authenticated,
    FederationDirective,
    ImportedFrom,
    ListSize,
    RequiresScopes,
)
from strawberry.federation.versions import FederationVersion
from strawberry.schema_directive import Location, schema_directive


@schema_directive(
    locations=[
        Location.ARGUMENT_DEFINITION,
        Location.ENUM,
        Location.FIELD_DEFINITION,
        Location.INPUT_FIELD_DEFINITION,
        Location.OBJECT,
        Location.SCALAR,
    ],
    name="cost",
    print_definition=False,
)
class Cost(FederationDirective):
    """Federation's ``@cost``, each location once. Strawberry's own lists ``ENUM`` twice,
    which introspection passes on and client tools refuse ("Duplicate directive location")."""

    weight: int
    imported_from: ClassVar[ImportedFrom] = ImportedFrom(name="cost", url="https://specs.apollo.dev/federation/v2.9")
    minimum_version: ClassVar[FederationVersion] = (2, 9)


def private(scope: str) -> list[object]:
    return [Authenticated(), RequiresScopes(scopes=[[scope]])]


def signed_in() -> list[object]:
    return [Authenticated()]


def paginated(*, assumed_size: int = 100) -> list[object]:
    return [ListSize(assumed_size=assumed_size, slicing_arguments=["first"], sized_fields=["edges"],
                     require_one_slicing_argument=False)]


def costly(weight: int) -> list[object]:
    return [Cost(weight=weight)]
