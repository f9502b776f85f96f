"""The partners slice of the graph."""

from __future__ import annotations

from services.partners.graph.schema import PartnersMutation, PartnersQuery, readable_partner

__all__ = ["PartnersMutation", "PartnersQuery", "readable_partner"]
