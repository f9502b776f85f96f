"""The goals from one run's figures: the ratio rows of the table and of the JSON report.

Reads (issue 14: the yardstick is the current PostGraphile, 5): ``ours / postgraphile-5``
>= 2.0 in requests per second and ``p99 ours / postgraphile-5`` <= 1.0 (a p99 no worse than
its), and ``ours / sql-floor`` >= 0.5 (issue 7), per contract query; the ratios to
PostGraphile 4 (issue 7's yardstick) are shown beside them, no longer goals. Writes:
``createPayment / ledger floor`` >= 0.5 and ``hot merchant / distinct`` >= 0.8.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

#: (goal, figure compared, peer, target, whether the ratio must reach the target or stay under it)
READ_GOALS = (("ours / postgraphile-5", "rate", "postgraphile-5", 2.0, "at least"),
              ("p99 ours / postgraphile-5", "p99", "postgraphile-5", 1.0, "at most"),
              ("ours / sql-floor", "rate", "sql-floor", 0.5, "at least"))
#: Shown beside the goals, not goals: issue 7's yardstick.
READ_CONTEXT = (("ours / postgraphile-4", "rate", "postgraphile-4"),
                ("p99 ours / postgraphile-4", "p99", "postgraphile-4"))
#: The same WALLET payment on a bare Starlette endpoint (bench/floor.py ``/pay``): no goal, a yardstick.
HTTP_FLOOR = "createPayment, bare HTTP endpoint"
#: (goal, scenario, merchants per request, the scenario it is compared with, target), on ``ours``
#: (issue 14): a partner's MerchantView at least 0.8x the operator's, and a router's batch at
#: least 0.8x as many merchants per second as MerchantView.
FINGRAPH_GOALS = (("÷ operator's MerchantView", "MerchantView as partner", 1, "MerchantView", 0.8),
                  ("merchants/s ÷ MerchantView", "_entities x20 MerchantView", 20, "MerchantView", 0.8))
WRITE_GOALS = (("createPayment / ledger floor", "createPayment", "ledger-floor", 0.5),
               ("hot merchant / distinct", "createPayment hot merchant", "createPayment", 0.8))


def rate(figures: Any) -> float | None:
    """A scenario's requests (or transactions) per second; None if it was not measured."""
    if not isinstance(figures, dict):
        return None
    rate = figures.get("requests_per_second", figures.get("transactions_per_second"))
    return float(rate) if rate else None


def p99(figures: Any) -> float | None:
    """A scenario's 99th percentile latency in ms; None if it was not measured."""
    if not isinstance(figures, dict) or not figures.get("p99_ms"):
        return None
    return float(figures["p99_ms"])


_FIGURE = {"rate": rate, "p99": p99}


def _goal(
    name: str, numerator: float | None, denominator: float | None, goal: float, direction: str = "at least"
) -> dict[str, Any]:
    if numerator is None or denominator is None:
        return {"goal": name, "ratio": None, "target": goal, "direction": direction, "met": None}
    ratio = round(numerator / denominator, 2)
    met = ratio >= goal if direction == "at least" else ratio <= goal
    return {"goal": name, "ratio": ratio, "target": goal, "direction": direction, "met": met}


def _ratio(servers: dict[str, Any], figure: str, peer: str) -> float | None:
    top, bottom = _FIGURE[figure](servers.get("ours")), _FIGURE[figure](servers.get(peer))
    return None if top is None or bottom is None else round(top / bottom, 2)


def read_context(reads: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Per contract read, ours against PostGraphile 4 (rate and p99): shown, not goals."""
    fingraph_only = {scenario for _, scenario, _, _, _ in FINGRAPH_GOALS}
    return {scenario: {name: _ratio(servers, figure, peer) for name, figure, peer in READ_CONTEXT}
            for scenario, servers in reads.items() if scenario not in fingraph_only}


def goals(reads: dict[str, dict[str, Any]], writes: dict[str, Any]) -> list[dict[str, Any]]:
    """Every goal with its ratio (None when a peer was not measured) and whether it is met."""
    found = []
    fingraph_scenarios = {scenario for _, scenario, _, _, _ in FINGRAPH_GOALS}
    for name, scenario, items, compared, target in FINGRAPH_GOALS:
        ours, theirs = rate(reads.get(scenario, {}).get("ours")), rate(reads.get(compared, {}).get("ours"))
        found.append({"scenario": scenario, **_goal(name, None if ours is None else ours * items, theirs, target)})
    for scenario, servers in reads.items():
        if scenario in fingraph_scenarios:
            continue
        for name, figure, peer, target, direction in READ_GOALS:
            measure = _FIGURE[figure]
            found.append({"scenario": scenario, **_goal(name, measure(servers.get("ours")),
                                                        measure(servers.get(peer)), target, direction)})
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


#: Ratio columns: header, goal (or context ratio) name.
_COLUMNS = (("÷ pg-4", "ours / postgraphile-4"), ("p99 ÷ pg-4", "p99 ours / postgraphile-4"),
            ("÷ pg-5 (≥2)", "ours / postgraphile-5"), ("p99 ÷ pg-5 (≤1)", "p99 ours / postgraphile-5"),
            ("÷ sql-floor (≥0.5)", "ours / sql-floor"),
            ("÷ ledger floor (≥0.5)", "createPayment / ledger floor"),
            ("hot ÷ distinct (≥0.8)", "hot merchant / distinct"),
            ("partner ÷ operator (≥0.8)", "÷ operator's MerchantView"),
            ("merchants/s ÷ MerchantView (≥0.8)", "merchants/s ÷ MerchantView"))


def show(console: Console, report: dict[str, Any]) -> None:
    """One table: a row per scenario x server, the goals' ratios on the rows they are about."""
    http = report["http"]
    table = Table(title=f"fingraph bench: {report['data_set']}")
    for column in ("scenario", "server", "req/s", "p50 ms", "p99 ms", "errors", "compiled",
                   *(header for header, _ in _COLUMNS)):
        table.add_column(column, justify="left" if column in ("scenario", "server") else "right")
    by_key = {(g["scenario"], g["goal"]): g for g in report["goals"]}
    context = report.get("read_context", {})
    for scenario, servers in http["reads"].items():
        for server, figures in servers.items():
            marks = [_read_mark(by_key, context, scenario, goal) if server == "ours" else "" for _, goal in _COLUMNS]
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


def _read_mark(by_key: dict[tuple[str, str], dict[str, Any]], context: dict[str, Any], scenario: str, name: str) -> str:
    """A goal's ratio marked met or missed; a context ratio (PostGraphile 4) bare."""
    if (scenario, name) in by_key:
        return _mark(by_key[(scenario, name)])
    if name in context.get(scenario, {}):
        value = context[scenario][name]
        return "n/a" if value is None else f"{value:.2f}"
    return ""


def _cells(figures: Any, *, paths: bool = True) -> list[str]:
    """Rate, latencies, errors and (``paths``) the share the compiled path answered."""
    if not isinstance(figures, dict) or "skipped" in figures or "error" in figures:
        reason = (figures.get("skipped") or figures.get("error")) if isinstance(figures, dict) else figures
        return ["skipped", "", "", str(reason)[:60], ""]
    per_second = rate(figures) or 0.0
    share = figures.get("compiled_share") if paths else None
    return [f"{per_second:.1f}", str(figures.get("p50_ms")), str(figures.get("p99_ms")), str(figures.get("errors", 0)),
            "" if share is None else f"{share:.0%}"]
