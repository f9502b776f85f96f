"""Authorisation checks for resolvers; failures are errors with ``extensions.code``."""

from __future__ import annotations

from graphql import GraphQLError

from services.kernel.access import OWNED, may_read_owned
from services.kernel.graph.context import Info
from services.kernel.principal import Principal, Role


def unauthenticated() -> GraphQLError:
    return GraphQLError(
        "Authentication required: send Authorization: Bearer <token>",
        extensions={"code": "UNAUTHENTICATED"},
    )


def forbidden(what: str = "this field") -> GraphQLError:
    return GraphQLError(f"Not allowed to read {what}", extensions={"code": "FORBIDDEN"})


def require_principal(info: Info) -> Principal:
    principal = info.context.principal
    if principal is None:
        raise unauthenticated()
    return principal


def require_operator(info: Info) -> Principal:
    principal = require_principal(info)
    if not principal.is_operator:
        raise GraphQLError("Only an operator may do this", extensions={"code": "FORBIDDEN"})
    return principal


def require_private_access(info: Info, party_id: int, what: str, *, scope: str) -> Principal:
    """The party itself, an operator, or a partner the merchant granted ``scope``.

    Anyone else gets ``FORBIDDEN`` for this field (the rest of the query still answers).
    ``scope`` names the partner scope (``payments:read``, ...) that covers the field.
    Partner reads are recorded in the merchant's access log.
    """
    principal = require_principal(info)
    if not principal.may_read(party_id, scope):
        raise forbidden(what)
    if principal.is_partner:
        info.context.record_partner_read(party_id, scope, what)
    return principal


def require_party(info: Info, *roles: Role) -> int:
    """The acting party's id when the principal is one of ``roles`` (consumer/merchant)."""
    principal = require_principal(info)
    if principal.role not in roles or principal.party_id is None:
        allowed = " or ".join(role.value for role in roles)
        raise GraphQLError(f"Only a {allowed} may do this", extensions={"code": "FORBIDDEN"})
    return principal.party_id


def may_refetch_owned(info: Info, type_name: str, owner_id: int) -> bool:
    """``node(id:)`` of a Wallet, CreditLine, Drawdown or FundHolding: read as the owner's
    private field (``access.may_read_owned``). Not readable answers null, as ``payment(id:)``
    does, so an id says nothing about whether the object exists. Partner reads are logged."""
    principal = require_principal(info)
    if not may_read_owned(principal, type_name, owner_id):
        return False
    if principal.is_partner:
        info.context.record_partner_read(owner_id, OWNED[type_name], type_name)
    return True
