"""The services' operations the gateway's own commands run, outside a GraphQL request.

The gateway reaches a service only through ``schema`` (DESIGN.md, ADR 018): the CLI's
batches, the demo seeder and the event pump use the services' public surfaces
(each package's ``__all__``) from here, never a service module directly.
"""

from __future__ import annotations

from services import credit, funds, payments, scheduling
from services.kernel.job_runs import JobRun
from services.payments import FundingSource, Party, PartyKind, oldest_parties, party_of_kind

__all__ = ["FundingSource", "JobRun", "Party", "PartyKind", "credit", "funds", "oldest_parties", "party_of_kind",
           "payments", "scheduling"]
