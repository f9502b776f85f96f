"""SQL pieces of the credit slice for the compiled read path (services/kernel/graph/compiled.py).

The credit line is plain data. The credit profile is computed in Python by
``scoring.credit_profile``, the function the loader's ``service.credit_profiles`` applies;
the statement gathers its facts per party with the same SQL that service function runs
(``payment_history_sql``, ``repository.credit_record_sql``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.credit import repository
from services.credit.models import CreditProfile
from services.credit.scoring import CreditFacts, credit_profile
from services.kernel.graph.compiled import ComputeContext, Computed, Nested, Row, Scope
from services.payments import payment_history_sql


def _line(row: Row, _args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
    alias = scope.aliases()
    return f"credit.lines {alias} WHERE {alias}.party_id = {row['id']}", Row(alias)


def _facts(row: Row, scope: Scope) -> str:
    """What ``service.credit_profiles`` reads for the party, from the same SQL."""
    party = row["id"]
    return (
        f"json_build_array({party}, {row['kind']}, {row['certified']}, {row['real_name_verified']},"
        f" {row['created_at']}, {payment_history_sql(party)}, {repository.credit_record_sql(party, scope.today)})"
    )


def _profile_of(facts: list[Any], context: ComputeContext) -> CreditProfile:
    party_id, kind, certified, verified, created_at, history, records = facts
    return credit_profile(
        CreditFacts(
            party_id=party_id, is_merchant=kind == "MERCHANT", certified=certified, real_name_verified=verified,
            created_at=datetime.fromisoformat(created_at), payments=history["count"],
            released_payments=history["released"], refunded_payments=history["refunded"],
            volume_fen=int(history["volume"]), ratings=records["ratings"], stars=records["stars"],
            on_time_repayments=records["on_time"], late_repayments=records["repaid_late"],
            overdue_now=records["overdue_now"],
        ),
        now=context.now,
    )


#: ``creditLine`` of a party: its line row, if one is open.
LINE = Nested(_line)
#: ``creditProfile`` of a party: ``scoring.credit_profile`` of the facts the statement gathers.
PROFILE = Computed(_facts, _profile_of)
