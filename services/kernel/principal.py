"""Who is asking: the authenticated principal of a request, and what it may read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Role(str, Enum):
    CONSUMER = "consumer"
    MERCHANT = "merchant"
    PARTNER = "partner"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    party_id: int | None = None
    partner_id: int | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: For partners: the (merchant id, scope) pairs merchants have granted, loaded per
    #: request, so a revocation takes effect on the next request.
    grants: frozenset[tuple[int, str]] = field(default_factory=frozenset)
    #: When the token that names this principal expires; checked before every operation
    #: and while a subscription is open. Not part of who the principal is (equality, hash).
    expires_at: datetime | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """A stable name for idempotency keys and rate limits: ``consumer:7``."""
        ident = self.party_id if self.party_id is not None else self.partner_id
        return f"{self.role.value}:{ident if ident is not None else '-'}"

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def is_party(self, party_id: int) -> bool:
        return self.role in (Role.CONSUMER, Role.MERCHANT) and self.party_id == party_id

    def owns_or_operates(self, party_id: int) -> bool:
        """May read the private data (wallet, payments, holdings) of this party."""
        return self.is_operator or self.is_party(party_id)

    @property
    def is_partner(self) -> bool:
        return self.role is Role.PARTNER

    def partner_may_read(self, merchant_id: int, scope: str) -> bool:
        """A partner's token carries the scope and the merchant granted it."""
        return self.is_partner and scope in self.scopes and (merchant_id, scope) in self.grants

    def partner_has_consent(self, merchant_id: int) -> bool:
        return self.is_partner and any(granted == merchant_id for granted, _ in self.grants)

    def may_read(self, party_id: int, scope: str) -> bool:
        return self.owns_or_operates(party_id) or self.partner_may_read(party_id, scope)
