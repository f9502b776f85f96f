"""Builds the one federated schema from the services' slices."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, Info

import services.credit
import services.funds
import services.partners
import services.payments
from schema.entities import Consumer, Merchant
from schema.queries import PartiesQuery
from schema.representations import checked_representation, entity_keys
from services.credit.graph import CreditMutation, CreditQuery
from services.funds.graph import FundsMutation, FundsQuery
from services.kernel.graph import DATE_SCALAR, DATETIME_SCALAR, DECIMAL_SCALAR
from services.partners.graph import PartnersMutation, PartnersQuery
from services.payments.graph import PaymentsMutation, PaymentsQuery, PaymentsSubscription, PaymentType
from services.scheduling.graph import SchedulingQuery

FEDERATION_VERSION = "2.9"
log = logging.getLogger("fingraph.graphql")


class FingraphSchema(strawberry.federation.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client errors (validation, auth, limits) are answers, not incidents: debug only.
        # Unexpected resolver errors are logged with the request id by the gateway's
        # MaskUnexpectedErrors extension.
        for error in errors:
            log.debug("graphql error: %s", error.message)

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        # Each representation is checked before Strawberry's resolver reads it: a bad one is
        # an error at its index (BAD_USER_INPUT), not a crash of the whole field.
        keys = self._entity_keys()
        checked = [checked_representation(r, index, keys) for index, r in enumerate(representations)]
        well_formed = [FederationAny(c) for c in checked if not isinstance(c, GraphQLError)]
        resolved = iter(super().entities_resolver(info, well_formed))
        return [FederationAny(c) if isinstance(c, GraphQLError) else next(resolved) for c in checked]

    def _entity_keys(self) -> dict[str, frozenset[str]]:
        keys: dict[str, frozenset[str]] | None = getattr(self, "_keys_of_entities", None)
        if keys is None:
            keys = self._keys_of_entities = entity_keys(self.schema_converter.type_map)
        return keys


def build_schema(
    *, extensions: Iterable[Any] = (), max_batch: int = 10
) -> FingraphSchema:
    query = merge_types("Query", (PartiesQuery, PaymentsQuery, PartnersQuery, FundsQuery, CreditQuery, SchedulingQuery))
    mutation = merge_types("Mutation", (PaymentsMutation, PartnersMutation, FundsMutation, CreditMutation))
    return FingraphSchema(
        query=query,
        mutation=mutation,
        subscription=merge_types("Subscription", (PaymentsSubscription,)),
        types=[Merchant, Consumer, PaymentType],
        extensions=list(extensions),
        config=StrawberryConfig(
            scalar_map={Decimal: DECIMAL_SCALAR, date: DATE_SCALAR, datetime: DATETIME_SCALAR},
            batching_config={"max_operations": max_batch},
        ),
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )


#: Each service's numbered SQL migrations, in the order they are applied.
SERVICE_MIGRATIONS: list[tuple[str, Path]] = [
    ("payments", Path(services.payments.__file__).parent / "migrations"),
    ("partners", Path(services.partners.__file__).parent / "migrations"),
    ("funds", Path(services.funds.__file__).parent / "migrations"),
    ("credit", Path(services.credit.__file__).parent / "migrations"),
]


def wire_services() -> None:
    """Plug the services into each other through their public names (funding sources)."""
    services.payments.register_funding_source(
        services.payments.FundingSource.FUND, services.funds.FundPaymentProvider()
    )
    services.payments.register_funding_source(
        services.payments.FundingSource.CREDIT, services.credit.CreditFundingProvider()
    )
