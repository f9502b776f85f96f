"""The partners slice of the graph."""

from __future__ import annotations

from services.partners.graph.compiled import access_log_rows, consents
from services.partners.graph.schema import PartnersMutation, PartnersQuery, readable_partner

__all__ = ["PartnersMutation", "PartnersQuery", "access_log_rows", "consents", "readable_partner"]
