"""A partner's access log, written by the compiled statement itself (ADR 020).

The standard path notes, in this order, the ``public`` read of each merchant a root
reaches (``require_merchant_reach``; ``merchants`` notes each merchant it lists), then,
for each of those merchants that exists, each scoped field read of it in the order the
selection names them (``require_private_access``); ``record_reads`` writes one row per
(merchant, scope). The planner collects the same facts per root (``PartnerReads``), and
this module turns them into SQL notes over the statement's own answer, written by a
data-modifying CTE of the same statement: the grants, the data and the log in one round
trip. A statement whose answer carries the ``DENIED`` marker writes nothing: the standard
path reruns the request and logs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.kernel.graph.compiled import Params
from services.partners import PUBLIC_SCOPE, group_reads
from services.partners.graph import access_log_rows
from services.payments import PartyKind
from services.payments.graph import one_party

#: Beside a partner's page of merchants: the ids it listed, for the access log (taken out of the answer).
LISTED = "fingraph:listed:3b9f0c"
#: The public read of a reached merchant is logged under this field name, as ``require_merchant_reach`` logs it.
_MERCHANT = "Merchant"


@dataclass
class PartnerReads:
    """What a partner's root field logs: ``reached`` names, per item of the root's answer,
    the merchant it reached (None where its id names none: nothing logged); None for a
    page, whose ids the statement lists (``LISTED``). ``batch``: the answer is a list
    (``_entities``), else one object. ``fields``: (scope, ``Type.field``) read of each."""

    key: str
    reached: list[int | None] | None = None
    batch: bool = False
    fields: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class LogSlots:
    """Where the request's id and time go in a logged statement's parameters, and the root
    key of a page whose listed ids (``LISTED``) leave the answer."""

    request_id: int
    now: int
    page: str | None = None


def logged(answer: str, reads: PartnerReads, params: Params, *, partner_id: str, denied: str) -> tuple[str, LogSlots]:
    """The statement answering ``answer`` (SQL text of the ``data``) and writing ``reads``.

    The rows are grouped here, by ``group_reads`` (the standard path's rule), from what the
    plan knows: the merchants reached and the fields read of each. The statement adds the
    facts only the data holds: which merchants reached by id exist (a probe of the row,
    not a parse of the answer), or which merchants a page listed."""
    request_id, now = params.add(None, "text"), params.add(None, "timestamptz")
    key = reads.key
    slots = LogSlots(len(params.values) - 2, len(params.values) - 1, key if reads.reached is None else None)
    answered = f"(SELECT body FROM answer WHERE strpos(body, '{denied}') = 0) answered"
    listing = ""
    if reads.reached is None:
        # One merchant's rows, repeated for each listed one after every public read, as
        # the standard path notes a page (all public reads, then each merchant's fields).
        scopes, fields = _row_params(params, group_reads((0, scope, what) for scope, what in reads.fields))
        # The page's ids, parsed out of the answer once for both halves of the rows.
        listing = (f", listed AS MATERIALIZED (SELECT e.value::bigint AS id, e.n FROM {answered},"
                   f" json_array_elements_text(body::json -> '{key}' -> '{LISTED}') WITH ORDINALITY AS e(value, n))")
        rows = (
            f"SELECT l.id AS merchant_id, {params.add(PUBLIC_SCOPE, 'text')} AS scope, ARRAY['{_MERCHANT}'] AS fields,"
            " l.n AS seq FROM listed l UNION ALL SELECT l.id, t.scope, string_to_array(t.fields, ','),"
            f" 1000000 * l.n + t.i FROM listed l, unnest({scopes}, {fields}) WITH ORDINALITY AS t(scope, fields, i)"
        )
    else:
        reached = [merchant for merchant in reads.reached if merchant is not None]
        notes = [(merchant, PUBLIC_SCOPE, _MERCHANT) for merchant in reached]
        notes += [(merchant, scope, what) for merchant in reached for scope, what in reads.fields]
        grouped = group_reads(notes)
        merchants = params.add([merchant for merchant, _, _ in grouped], "bigint[]")
        scopes, fields = _row_params(params, grouped)
        exists = f"EXISTS (SELECT FROM {one_party(PartyKind.MERCHANT, 'r.merchant_id', 'logged_merchant')})"
        # A merchant's public read is logged whether it exists or not; its fields only if it does.
        rows = (
            f"SELECT r.merchant_id, r.scope, string_to_array(r.fields, ',') AS fields, r.n AS seq FROM {answered},"
            f" unnest({merchants}, {scopes}, {fields}) WITH ORDINALITY AS r(merchant_id, scope, fields, n)"
            f" WHERE r.scope = '{PUBLIC_SCOPE}' OR {exists}"
        )
    log = access_log_rows(rows, partner_id=partner_id, request_id=request_id, now=now)
    return (f"WITH answer AS MATERIALIZED (SELECT {answer} AS body){listing}, logged AS ({log})"
            " SELECT body FROM answer"), slots


def _row_params(params: Params, grouped: list[tuple[int, str, list[str]]]) -> tuple[str, str]:
    """Parameters of grouped rows' scopes and fields (each row's fields as one comma-joined text)."""
    return (params.add([scope for _, scope, _ in grouped], "text[]"),
            params.add([",".join(named) for _, _, named in grouped], "text[]"))
