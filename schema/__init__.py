"""The join: one Strawberry federation schema from the payments, credit and funds slices."""

from __future__ import annotations

from schema.build import SERVICE_MIGRATIONS, build_schema, wire_services

__all__ = ["SERVICE_MIGRATIONS", "build_schema", "wire_services"]
