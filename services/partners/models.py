"""Partners of the open platform, the consents merchants grant them, and their reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SCOPES = ("payments:read", "credit:read", "funds:read", "profile:read")
#: What a partner may read of a merchant without any scope: its public fields.
PUBLIC_SCOPE = "public"


@dataclass(frozen=True, slots=True)
class Partner:
    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Consent:
    partner_id: int
    merchant_id: int
    scopes: tuple[str, ...]
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class AccessRecord:
    id: int
    partner_id: int
    merchant_id: int
    scope: str
    fields: tuple[str, ...]
    request_id: str
    accessed_at: datetime
