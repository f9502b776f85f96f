"""Partner types, the consent mutations and the merchant's access log."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import strawberry

from services.kernel.access import may_read_partner
from services.kernel.graph import (
    Connection,
    Info,
    Node,
    UserError,
    page_window,
    require_operator,
    require_party,
    require_principal,
    run_once,
)
from services.kernel.graph.compiled import standard_only
from services.kernel.graph.directives import paginated, signed_in
from services.kernel.ids import decode_id, encode_id
from services.kernel.principal import Role
from services.partners import repository, service
from services.partners.models import AccessRecord, Consent, Partner

#: A partner is reached by node(id:) and createPartner only, both answered by resolvers.
_PARTNER_ONLY = standard_only("a partner's card is read by node(id:) and createPartner, not by a contract read")


@strawberry.type(name="Partner", description="A partner of the open platform (an ERP/CRM vendor, a bank).")
class PartnerType(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, Partner)

    @strawberry.field(metadata=_PARTNER_ONLY)  # type: ignore[misc]  # Node's id
    def id(self, root: Partner) -> strawberry.ID:
        return strawberry.ID(encode_id("Partner", root.id))

    @strawberry.field(metadata=_PARTNER_ONLY)
    def name(self, root: Partner) -> str:
        return root.name


async def readable_partner(info: Info, id: str) -> Partner | None:
    """``node(id: "ptn_N")``: a partner's card, for whom ``access.may_read_partner`` allows."""
    principal = require_principal(info)
    decoded = decode_id(id, "Partner")
    if decoded is None or not may_read_partner(principal, decoded[1]):
        return None
    async with info.context.pool.acquire() as conn:
        found = await repository.partners_by_ids(conn, [decoded[1]])
    return found[0] if found else None


@strawberry.type(description="One request's reads of a merchant by a partner, per scope.")
class PartnerAccess:
    partner_id: strawberry.ID
    scope: str
    fields: list[str]
    request_id: str
    accessed_at: datetime

    @staticmethod
    def of(record: AccessRecord) -> PartnerAccess:
        return PartnerAccess(
            partner_id=strawberry.ID(encode_id("Partner", record.partner_id)), scope=record.scope,
            fields=list(record.fields), request_id=record.request_id, accessed_at=record.accessed_at,
        )


@strawberry.type
class PartnerConsent:
    partner_id: strawberry.ID
    scopes: list[str]
    granted_at: datetime


@strawberry.input
class CreatePartnerInput:
    name: str


@strawberry.input
class GrantPartnerAccessInput:
    partner_id: strawberry.ID
    scopes: list[str]


@strawberry.input
class RevokePartnerAccessInput:
    partner_id: strawberry.ID


@strawberry.type
class CreatePartnerPayload:
    partner: PartnerType | None
    user_errors: list[UserError]


@strawberry.type
class GrantPartnerAccessPayload:
    consent: PartnerConsent | None
    user_errors: list[UserError]


@strawberry.type
class RevokePartnerAccessPayload:
    revoked: bool
    user_errors: list[UserError]


def _partner_pk(value: str) -> int:
    decoded = decode_id(value, "Partner")
    return decoded[1] if decoded is not None else 0  # 0 is never a partner: NOT_FOUND


@strawberry.type
class PartnersMutation:
    @strawberry.mutation(description="Operator: register a partner.")
    async def create_partner(self, info: Info, input: CreatePartnerInput) -> CreatePartnerPayload:
        require_operator(info)

        async def effect(conn: asyncpg.Connection) -> Partner:
            return await service.create_partner(conn, name=input.name, now=info.context.clock.now())

        partner, errors = await run_once(info, effect)
        return CreatePartnerPayload(partner=partner, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Merchant: let a partner read the scoped parts of your finances.")
    async def grant_partner_access(self, info: Info, input: GrantPartnerAccessInput) -> GrantPartnerAccessPayload:
        merchant_id = require_party(info, Role.MERCHANT)

        async def effect(conn: asyncpg.Connection) -> Consent:
            return await service.grant_access(
                conn, merchant_id=merchant_id, partner_id=_partner_pk(input.partner_id), scopes=input.scopes,
                now=info.context.clock.now(),
            )

        consent, errors = await run_once(info, effect)
        graph_consent = None if consent is None else PartnerConsent(
            partner_id=input.partner_id, scopes=list(consent.scopes), granted_at=consent.granted_at
        )
        return GrantPartnerAccessPayload(consent=graph_consent, user_errors=errors)

    @strawberry.mutation(description="Merchant: withdraw a partner's access; it ends with the partner's next request.")
    async def revoke_partner_access(self, info: Info, input: RevokePartnerAccessInput) -> RevokePartnerAccessPayload:
        merchant_id = require_party(info, Role.MERCHANT)

        async def effect(conn: asyncpg.Connection) -> bool:
            await service.revoke_access(conn, merchant_id=merchant_id, partner_id=_partner_pk(input.partner_id))
            return True

        revoked, errors = await run_once(info, effect)
        return RevokePartnerAccessPayload(revoked=bool(revoked), user_errors=errors)


@strawberry.type
class PartnersQuery:
    @strawberry.field(
        description="Merchant: every partner read of your data, newest first.", directives=[*signed_in(), *paginated()],
        metadata=standard_only("a merchant's occasional audit of partner reads, not a hot read"),
    )
    async def partner_access_log(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[PartnerAccess]:
        merchant_id = require_party(info, Role.MERCHANT)
        size, before = page_window(first, after)
        async with info.context.pool.acquire() as conn:
            rows = await repository.access_log_page(conn, merchant_id=merchant_id, limit=size + 1, before_id=before)
        return Connection.from_rows(
            rows, first=size, position=lambda r: r.id, node=PartnerAccess.of, had_cursor=after is not None
        )
