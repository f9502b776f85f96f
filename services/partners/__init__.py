"""Partners (the open platform): consent-based, scoped access to merchants' finances."""

from __future__ import annotations

from services.partners.models import PUBLIC_SCOPE, SCOPES, Partner
from services.partners.repository import partners_by_ids
from services.partners.service import create_partner, grant_access, grants_of, group_reads, record_reads

__all__ = [
    "PUBLIC_SCOPE", "SCOPES", "Partner", "create_partner", "grant_access", "grants_of", "group_reads",
    "partners_by_ids", "record_reads",
]
