"""The funds' share of the customer portrait: what a party holds and what it earned.

No aggregate table is needed: a holding is one row per fund, and income is one row per
holder and day (``funds.incomes``, keyed by fund, party and date), so the last 90 days
are at most 90 rows a fund whatever the history (ADR 026); both are read through the
funds table so that each lookup is by the primary key's leading columns.
"""

from __future__ import annotations


def fund_portrait_sql(party: str, today: str) -> str:
    """The party's fund value and daily income of the last 90 days (JSON): ``value`` (fen:
    confirmed, pending and redeeming units at NAV 1.00, every claim the party has on the
    funds) and ``income`` as [day, fen]. ``party`` and ``today`` are SQL."""
    return (
        f"json_build_object('value', (SELECT coalesce(sum((h.units + h.pending_units + h.redeeming_units) * 100), 0)"
        f"::bigint FROM funds.funds f JOIN funds.holdings h ON h.fund_id = f.id AND h.party_id = {party}),"
        f" 'income', (SELECT coalesce(json_agg(json_build_array(i.date, i.fen) ORDER BY i.date), '[]') FROM"
        f" (SELECT n.date, (sum(n.income) * 100)::bigint AS fen FROM funds.funds f JOIN funds.incomes n"
        f" ON n.fund_id = f.id AND n.party_id = {party} AND n.date > {today} - 90 AND n.date <= {today}"
        f" GROUP BY n.date) i))"
    )
