"""SQL pieces of the funds slice for the compiled read path (services/kernel/graph/compiled.py).

A holding is read "as of today" exactly as ``repository.holdings_view`` reads it:
subscriptions already due count as confirmed, standard redemptions stay redeeming until
paid out; a party without a holding row holds zero. The
7-day yield is computed in Python (``yields.py``) from the last seven published days,
which the statement gathers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.funds.yields import seven_day_annualized_yield
from services.kernel.graph.compiled import ComputeContext, Computed, Leaf, Nested, Row, Scope


def _holding(row: Row, args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
    f, h, d = scope.aliases(), scope.aliases(), scope.aliases()
    code = scope.params.add(args["fundCode"], "text")
    party = row["id"]
    source = (
        f"funds.funds {f}"
        f" LEFT JOIN funds.holdings {h} ON {h}.fund_id = {f}.id AND {h}.party_id = {party}"
        f" LEFT JOIN LATERAL (SELECT sum(o.units) AS subscribed FROM funds.orders o"
        f" WHERE o.fund_id = {h}.fund_id AND o.party_id = {h}.party_id AND o.status = 'PENDING'"
        f" AND o.kind = 'SUBSCRIBE'"
        f" AND o.settle_date <= {scope.today}) {d} ON true"
        f" WHERE {f}.code = {code}"
    )
    held = f"{h}.party_id IS NOT NULL"
    units = f"CASE WHEN {held} THEN {h}.units + coalesce({d}.subscribed, 0) ELSE 0.00 END"
    return source, Row(columns={
        "units": units,
        "pending_units": f"CASE WHEN {held} THEN {h}.pending_units - coalesce({d}.subscribed, 0) ELSE 0.00 END",
        "redeeming_units": f"CASE WHEN {held} THEN {h}.redeeming_units ELSE 0.00 END",
        "total_income": f"coalesce({h}.total_income, 0.00)",
        "yesterday_income": (
            f"CASE WHEN {h}.last_income_date = {scope.today} - 1 THEN {h}.last_income ELSE 0 END"
        ),
        "fund_id": f"{f}.id", "party_id": party,
        "fund_code": f"{f}.code", "fund_name": f"{f}.name", "fund_manager": f"{f}.manager",
    })


def _fund(row: Row, _args: Mapping[str, Any], _scope: Scope) -> tuple[str | None, Row]:
    return None, Row(columns={"id": row["fund_id"], "code": row["fund_code"], "name": row["fund_name"],
                              "manager": row["fund_manager"]})


def _last_seven_days(row: Row, _scope: Scope) -> str:
    """The last seven published earnings per 10k of the fund, newest first, as text."""
    return (
        f"(SELECT coalesce(json_agg(y.e ORDER BY y.date DESC), '[]'::json) FROM (SELECT date,"
        f" earnings_per_10k::text AS e FROM funds.daily_yields WHERE fund_id = {row['id']}"
        f" ORDER BY date DESC LIMIT 7) y)"
    )


def _seven_day_yield(days: list[str], _context: ComputeContext) -> Decimal | None:
    return seven_day_annualized_yield([Decimal(day) for day in days])


def _latest_earnings(row: Row) -> str:
    return (
        f"(SELECT y.earnings_per_10k::text FROM funds.daily_yields y WHERE y.fund_id = {row['id']}"
        f" ORDER BY y.date DESC LIMIT 1)"
    )


#: ``fundHolding(fundCode:)`` of a party, as of the request's business date.
HOLDING = Nested(_holding)
#: ``FundHolding.fund``: the fund columns the holding's row carries.
FUND = Nested(_fund)
#: ``Fund.earningsPer10k``: the latest published day's earnings.
LATEST_EARNINGS = Leaf(_latest_earnings)
#: ``Fund.sevenDayAnnualizedYield``: ``yields.seven_day_annualized_yield`` of the last seven days.
SEVEN_DAY_YIELD = Computed(_last_seven_days, _seven_day_yield)
