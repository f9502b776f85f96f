"""The guard pipeline: what every GraphQL operation passes before it runs, on every transport.

HTTP POST (the compiled fast path and the view), GET, each item of a batch and each
graphql-transport-ws ``subscribe`` call ``GuardPipeline.admit`` with the operation as it
arrived. In order (docs/adr/014-guard-pipeline.md):

1. the rate limit, one hit per operation (cheapest, and it stops a flood before any
   database work below);
2. authentication freshness: the token has not expired by our clock, a consumer or
   merchant token names a party of that kind that exists, and a partner token a partner
   that exists;
3. partner grants as of now (read once per HTTP request, once per WS operation);
4. persisted-only mode and the APQ exchange, which give the document to run.

Depth, alias, token and cost limits are Strawberry extensions of the schema (app.py,
cost.py): every transport executes through the schema, so they run on each operation
after these guards. An open subscription is held to 2 and 3 again on each event and on
a timer (``recheck``), and ends when it no longer passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from graphql import GraphQLError

from gateway import persisted
from gateway.context import RequestContext
from gateway.ratelimit import OperationRateLimit, client_key
from schema import PartyKind, parties_by_ids, partner_grants, partners_by_ids
from services.kernel.ids import encode_id
from services.kernel.principal import Principal, Role

#: Parties confirmed to exist with the kind their tokens name; a party's kind never
#: changes, so a positive answer holds for the life of the process.
_KNOWN_PARTIES_MAX = 100_000
_KIND_OF_ROLE = {Role.CONSUMER: PartyKind.CONSUMER, Role.MERCHANT: PartyKind.MERCHANT}


class Refused(Exception):
    """An operation the pipeline turned away: the GraphQL error, and for a lone HTTP
    operation the status (and headers) to answer with."""

    def __init__(
        self, message: str, code: str, *, status: int | None = None, headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.error = GraphQLError(message, extensions={"code": code, **(extensions or {})})
        self.status = status
        self.headers = dict(headers or {})


def unauthenticated(message: str) -> Refused:
    return Refused(message, "UNAUTHENTICATED", status=401, headers={"WWW-Authenticate": "Bearer"})


class KnownParties:
    """Confirms that a principal names an existing party of its kind, or an existing partner."""

    def __init__(self) -> None:
        self._confirmed: set[tuple[Role, int]] = set()

    async def confirm(self, context: RequestContext, principal: Principal) -> None:
        named = principal.partner_id if principal.is_partner else principal.party_id
        if named is None or (principal.role, named) in self._confirmed:
            return
        if principal.is_partner:
            # Partners are never deleted: a partner that exists once exists for good.
            async with context.pool.acquire() as conn:
                exists = bool(await partners_by_ids(conn, [named]))
            kind_name = "Partner"
        else:
            kind = _KIND_OF_ROLE.get(principal.role)
            if kind is None:
                return
            async with context.pool.acquire() as conn:
                found = await parties_by_ids(conn, [named])
            exists = bool(found) and found[0].kind is kind
            kind_name = "Consumer" if kind is PartyKind.CONSUMER else "Merchant"
        if not exists:
            role = principal.role.value
            raise unauthenticated(f"The token names {role} {encode_id(kind_name, named)}, and there is no such {role}")
        if len(self._confirmed) >= _KNOWN_PARTIES_MAX:
            self._confirmed.clear()
        self._confirmed.add((principal.role, named))


class GuardPipeline:
    def __init__(
        self, *, rate_limit: OperationRateLimit, persisted_only: bool, registrar: persisted.Registrar | None = None
    ) -> None:
        self.rate_limit = rate_limit
        self.persisted_only = persisted_only
        self.registrar = registrar
        self.known_parties = KnownParties()

    async def admit(
        self, context: RequestContext, *, query: str | None, extensions: Mapping[str, Any] | None,
        client_address: str | None, grants: bool = True,
    ) -> str | None:
        """The document to run for this operation; ``Refused`` if a guard turns it away.

        ``grants=False``: the compiled read path tries the operation first, and its statement
        reads a partner's grants itself, in the snapshot it reads the data in (ADR 020); if it
        declines, ``grants_as_of_now`` reads them before the standard executor runs."""
        over = await self.rate_limit.hit(client_key(context.principal, client_address))
        if over is not None:
            raise Refused(
                f"Rate limit {over.rate} exceeded", "RATE_LIMITED", status=429,
                headers={"Retry-After": str(over.retry_after)}, extensions={"retryAfter": over.retry_after},
            )
        await self._authenticated_now(context)
        if grants:
            await self.grants_as_of_now(context)
        if extensions is not None and not isinstance(extensions, Mapping):
            raise Refused("`extensions` must be an object", "BAD_REQUEST")
        try:
            return await persisted.resolve_document(
                context.pool, query=query, extensions=dict(extensions) if extensions else None,
                persisted_only=self.persisted_only, registrar=self.registrar,
            )
        except persisted.PersistedQueryError as refused:
            raise Refused(str(refused), str((refused.error.extensions or {})["code"])) from refused

    async def recheck(self, context: RequestContext) -> None:
        """For an open subscription: ``Refused`` once its token expired or a grant it had was revoked."""
        principal = context.principal
        if principal is None:
            return
        if principal.expired(context.clock.now()):
            raise unauthenticated("The token expired")
        if principal.is_partner and principal.partner_id is not None:
            now = await partner_grants(context.pool, principal.partner_id)
            if not principal.grants <= now:
                raise Refused("A merchant revoked this partner's access", "FORBIDDEN")

    async def _authenticated_now(self, context: RequestContext) -> None:
        principal = context.principal
        if principal is None:
            return
        if principal.expired(context.clock.now()):
            raise unauthenticated("The token expired")
        await self.known_parties.confirm(context, principal)

    @staticmethod
    async def grants_as_of_now(context: RequestContext) -> None:
        principal = context.principal
        if principal is None or not principal.is_partner or principal.partner_id is None:
            return
        # The items of one HTTP batch share a context: they read the grants once, together.
        if context.grants_read is None:
            context.grants_read = asyncio.ensure_future(partner_grants(context.pool, principal.partner_id))
        grants = await context.grants_read
        if context.principal is principal:
            context.principal = replace(principal, grants=grants)
