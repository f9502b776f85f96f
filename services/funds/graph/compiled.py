"""The funds slice in SQL for the compiled read path (see services/kernel/graph/compiled.py).

A holding is read "as of today" exactly as ``repository.holdings_view`` reads it:
orders already due count as settled; a party without a holding row holds zero. The
7-day yield is computed in Python (``yields.py``) from the last seven published days,
which the statement gathers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.funds.yields import seven_day_annualized_yield
from services.kernel.graph.compiled import ComputeContext, Computed, FieldSpecs, Guard, Leaf, Nested, Row, Scope, money

_SCOPE = "funds:read"
_OWN = Guard.party_row(_SCOPE)


def _holding(row: Row, args: Mapping[str, Any], scope: Scope) -> tuple[str | None, Row]:
    f, h, d = scope.aliases(), scope.aliases(), scope.aliases()
    code = scope.params.add(args["fundCode"], "text")
    party = row["id"]
    source = (
        f"funds.funds {f}"
        f" LEFT JOIN funds.holdings {h} ON {h}.fund_id = {f}.id AND {h}.party_id = {party}"
        f" LEFT JOIN LATERAL (SELECT sum(o.units) FILTER (WHERE o.kind = 'SUBSCRIBE') AS subscribed,"
        f" sum(o.units) FILTER (WHERE o.kind = 'REDEEM') AS redeemed FROM funds.orders o"
        f" WHERE o.fund_id = {h}.fund_id AND o.party_id = {h}.party_id AND o.status = 'PENDING'"
        f" AND o.settle_date <= {scope.today}) {d} ON true"
        f" WHERE {f}.code = {code}"
    )
    held = f"{h}.party_id IS NOT NULL"
    units = f"CASE WHEN {held} THEN {h}.units + coalesce({d}.subscribed, 0) ELSE 0.00 END"
    return source, Row(columns={
        "units": units,
        "pending_units": f"CASE WHEN {held} THEN {h}.pending_units - coalesce({d}.subscribed, 0) ELSE 0.00 END",
        "redeeming_units": f"CASE WHEN {held} THEN {h}.redeeming_units - coalesce({d}.redeemed, 0) ELSE 0.00 END",
        "total_income": f"coalesce({h}.total_income, 0.00)",
        "yesterday_income": (
            f"CASE WHEN {h}.last_income_date = {scope.today} - 1 THEN {h}.last_income ELSE 0 END"
        ),
        "fund_id": f"{f}.id", "fund_code": f"{f}.code", "fund_name": f"{f}.name", "fund_manager": f"{f}.manager",
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


FIELDS: FieldSpecs = {
    ("Merchant", "fundHolding"): Nested(_holding, _OWN),
    ("Consumer", "fundHolding"): Nested(_holding, _OWN),
    ("FundHolding", "units"): Leaf(lambda row: f"({row['units']})::text"),
    ("FundHolding", "pendingUnits"): Leaf(lambda row: f"({row['pending_units']})::text"),
    ("FundHolding", "redeemingUnits"): Leaf(lambda row: f"({row['redeeming_units']})::text"),
    ("FundHolding", "value"): money("({units} * 100)::bigint"),
    ("FundHolding", "yesterdayIncome"): money("({yesterday_income} * 100)::bigint"),
    ("FundHolding", "totalIncome"): money("({total_income} * 100)::bigint"),
    ("FundHolding", "fund"): Nested(_fund),
    ("Fund", "code"): Leaf(lambda row: row["code"]),
    ("Fund", "name"): Leaf(lambda row: row["name"]),
    ("Fund", "manager"): Leaf(lambda row: row["manager"]),
    ("Fund", "earningsPer10k"): Leaf(_latest_earnings),
    ("Fund", "sevenDayAnnualizedYield"): Computed(_last_seven_days, _seven_day_yield),
}
