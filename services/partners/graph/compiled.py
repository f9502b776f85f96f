"""SQL of the partners service for the compiled read path (ADR 020).

A partner's compiled read is one statement: it reads the partner's grants in the same
snapshot as the data (``consents``), and writes the access log in the same statement
(``access_log_rows``), so that a partner's read costs one round trip, as an operator's.
The rule the log follows is ``service.group_reads``'s, applied when the statement is
planned (``schema/compiled/access_log.py``): one row per (merchant, scope) a request read,
its fields in the order first read, the rows in that order too;
``tests/compiled/test_partner_reads.py`` holds the two paths to identical rows.
"""

from __future__ import annotations


def consents(partner_id: str, merchant: str, scope: str | None = None) -> str:
    """True where the merchant ``merchant`` (SQL) granted the partner ``partner_id`` (SQL)
    ``scope`` (SQL text; None: any scope), as ``grants_of`` reads them for the standard path.

    One probe of the consents' primary key per merchant asked about: a partner that a
    thousand merchants trust must not make each field of each merchant read them all
    (``IN (SELECT merchant_id ...)`` hashed the partner's every grant once per field)."""
    granted = "" if scope is None else f" AND {scope} = ANY(scopes)"
    return (f"EXISTS (SELECT FROM partners.consents"
            f" WHERE partner_id = {partner_id} AND merchant_id = {merchant}{granted})")


def access_log_rows(rows: str, *, partner_id: str, request_id: str, now: str) -> str:
    """An INSERT of the access-log rows ``rows`` (a SELECT of ``(merchant_id, scope, fields,
    seq)``, already grouped by ``service.group_reads``'s rule), in the order ``seq``."""
    return (
        "INSERT INTO partners.access_log (partner_id, merchant_id, scope, fields, request_id, accessed_at)"
        f" SELECT {partner_id}, merchant_id, scope, fields, {request_id}, {now} FROM ({rows}) r ORDER BY seq"
    )
