"""Partners (the open platform): consent-based, scoped access to merchants' finances."""

from __future__ import annotations

from services.partners.models import PUBLIC_SCOPE, SCOPES, Partner
from services.partners.service import grants_of, record_reads

__all__ = ["PUBLIC_SCOPE", "SCOPES", "Partner", "grants_of", "record_reads"]
