"""SQL of the partners service for the compiled read path (ADR 020).

A partner's compiled read is one statement: it reads the partner's grants in the same
snapshot as the data (``consents``), and lists the access-log rows the read makes beside
its answer (``access_log_rows``), which the gateway commits before it answers (ADR 028).
The rule the log follows is ``service.record_reads``'s: one row per (merchant, scope) a
request read, its fields in the order first read, the rows in that order too;
``tests/compiled/test_partner_reads.py`` holds the two to identical rows.
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


def access_log_rows(notes: str) -> str:
    """The access-log rows of ``notes`` (a SELECT of the reads ``(merchant_id, scope, field,
    seq)``; a read noted twice counts at its first), as the JSON text
    ``[[merchant_id, scope, [field, ...]], ...]`` in the order ``seq``: the gateway writes them
    (``services.partners.log_access``) before the answer leaves."""
    return (
        "SELECT json_agg(json_build_array(merchant_id, scope, fields) ORDER BY first)::text"
        " FROM (SELECT merchant_id, scope, array_agg(field ORDER BY first) AS fields, min(first) AS first"
        " FROM (SELECT merchant_id, scope, field, min(seq) AS first"
        f" FROM ({notes}) noted GROUP BY merchant_id, scope, field) reads GROUP BY merchant_id, scope) grouped"
    )
