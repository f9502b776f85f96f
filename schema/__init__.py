"""The join: one Strawberry federation schema from the payments, credit and funds slices."""

from __future__ import annotations

from schema.build import SERVICE_MIGRATIONS, build_schema, wire_services
from services.partners import grants_of as partner_grants
from services.partners import partners_by_ids
from services.partners import record_reads as record_partner_reads
from services.payments import PartyKind, parties_by_ids

__all__ = [
    "SERVICE_MIGRATIONS",
    "PartyKind",
    "build_schema",
    "parties_by_ids",
    "partner_grants",
    "partners_by_ids",
    "record_partner_reads",
    "wire_services",
]
