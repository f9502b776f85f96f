"""Issue 7's goals from one run's figures: the ratio rows of the table and of the JSON report.

Reads: ``ours / postgraphile`` >= 2.0 and ``ours / sql-floor`` >= 0.5 (requests per second,
per contract query). Writes: ``createPayment / ledger floor`` >= 0.5 and
``hot merchant / distinct`` >= 0.8.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

READ_GOALS = (("postgraphile", 2.0), ("sql-floor", 0.5))
#: The same WALLET payment on a bare Starlette endpoint (bench/floor.py ``/pay``): no goal, a yardstick.
HTTP_FLOOR = "createPayment, bare HTTP endpoint"
WRITE_GOALS = (("createPayment / ledger floor", "createPayment", "ledger-floor", 0.5),
               ("hot merchant / distinct", "createPayment hot merchant", "createPayment", 0.8))


def rate(figures: Any) -> float | None:
    """A scenario's requests (or transactions) per second; None if it was not measured."""
    if not isinstance(figures, dict):
        return None
    rate = figures.get("requests_per_second", figures.get("transactions_per_second"))
    return float(rate) if rate else None


def _goal(name: str, numerator: float | None, denominator: float | None, goal: float) -> dict[str, Any]:
    if numerator is None or denominator is None:
        return {"goal": name, "ratio": None, "target": goal, "met": None}
    ratio = round(numerator / denominator, 2)
    return {"goal": name, "ratio": ratio, "target": goal, "met": ratio >= goal}


def goals(reads: dict[str, dict[str, Any]], writes: dict[str, Any]) -> list[dict[str, Any]]:
    """Every goal with its ratio (None when a peer was not measured) and whether it is met."""
    found = []
    for scenario, servers in reads.items():
        for peer, target in READ_GOALS:
            found.append({"scenario": scenario, **_goal(f"ours / {peer}", rate(servers.get("ours")),
                                                        rate(servers.get(peer)), target)})
    for name, numerator, denominator, target in WRITE_GOALS:
        found.append({"scenario": "createPayment", **_goal(name, rate(writes.get(numerator)),
                                                           rate(writes.get(denominator)), target)})
    return found


def context_ratios(writes: dict[str, Any]) -> dict[str, float | None]:
    """Where the bare HTTP endpoint lands: against the ledger floor, and ours against it (not goals)."""
    def ratio(numerator: str, denominator: str) -> float | None:
        top, bottom = rate(writes.get(numerator)), rate(writes.get(denominator))
        return None if top is None or bottom is None else round(top / bottom, 2)

    return {"bare HTTP endpoint / ledger floor": ratio(HTTP_FLOOR, "ledger-floor"),
            "createPayment / bare HTTP endpoint": ratio("createPayment", HTTP_FLOOR)}


def _mark(goal: dict[str, Any] | None) -> str:
    if goal is None:
        return ""
    if goal["ratio"] is None:
        return "n/a"
    return f"{goal['ratio']:.2f} {'[green]met[/]' if goal['met'] else '[red]missed[/]'}"


#: Ratio columns: header, goal name.
_COLUMNS = (("÷ postgraphile (≥2)", "ours / postgraphile"), ("÷ sql-floor (≥0.5)", "ours / sql-floor"),
            ("÷ ledger floor (≥0.5)", "createPayment / ledger floor"),
            ("hot ÷ distinct (≥0.8)", "hot merchant / distinct"))


def show(console: Console, report: dict[str, Any]) -> None:
    """One table: a row per scenario x server, the goals' ratios on the rows they are about."""
    http = report["http"]
    table = Table(title=f"fingraph bench: {report['data_set']}")
    for column in ("scenario", "server", "req/s", "p50 ms", "p99 ms", "errors", "compiled",
                   *(header for header, _ in _COLUMNS)):
        table.add_column(column, justify="left" if column in ("scenario", "server") else "right")
    by_key = {(g["scenario"], g["goal"]): g for g in report["goals"]}
    for scenario, servers in http["reads"].items():
        for server, figures in servers.items():
            marks = [_mark(by_key.get((scenario, goal))) if server == "ours" and goal.startswith("ours") else ""
                     for _, goal in _COLUMNS]
            table.add_row(scenario, server, *_cells(figures), *marks)
        table.add_section()
    for name, figures in http["writes"].items():
        goal = {"createPayment": "createPayment / ledger floor",
                "createPayment hot merchant": "hot merchant / distinct"}.get(name)
        marks = [_mark(by_key.get(("createPayment", column_goal))) if column_goal == goal else ""
                 for _, column_goal in _COLUMNS]
        server = "bare asyncpg" if name.startswith("ledger-floor") else "sql-floor" if name == HTTP_FLOOR else "ours"
        table.add_row(name, server, *_cells(figures), *marks)
    if "driver_ceiling" in http:
        table.add_section()
        table.add_row("driver ceiling (/noop)", "sql-floor", *_cells(http["driver_ceiling"], paths=False),
                      *[""] * len(_COLUMNS))
    console.print(table)
    for name, value in report.get("context_ratios", {}).items():
        if value is not None:
            console.print(f"{name}: {value:.2f}")


def _cells(figures: Any, *, paths: bool = True) -> list[str]:
    """Rate, latencies, errors and (``paths``) the share the compiled path answered."""
    if not isinstance(figures, dict) or "skipped" in figures or "error" in figures:
        reason = (figures.get("skipped") or figures.get("error")) if isinstance(figures, dict) else figures
        return ["skipped", "", "", str(reason)[:60], ""]
    per_second = rate(figures) or 0.0
    share = figures.get("compiled_share") if paths else None
    return [f"{per_second:.1f}", str(figures.get("p50_ms")), str(figures.get("p99_ms")), str(figures.get("errors", 0)),
            "" if share is None else f"{share:.0%}"]
