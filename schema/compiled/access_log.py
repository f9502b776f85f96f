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
from services.partners import PUBLIC_SCOPE
from services.partners.graph import access_log_rows

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
    """The statement answering ``answer`` (SQL text of the ``data``) and writing ``reads``."""
    request_id, now = params.add(None, "text"), params.add(None, "timestamptz")
    key = reads.key
    slots = LogSlots(len(params.values) - 2, len(params.values) - 1, key if reads.reached is None else None)
    if reads.reached is None:
        listed = f"json_array_elements_text(a.doc -> '{key}' -> '{LISTED}')"
        source = f"LATERAL (SELECT e.value::bigint AS id, e.n FROM {listed} WITH ORDINALITY AS e(value, n)) r"
        exists = "true"
    else:
        source = f"unnest({params.add(reads.reached, 'bigint[]')}) WITH ORDINALITY AS r(id, n)"
        item = f"a.doc -> '{key}' -> (r.n - 1)::int" if reads.batch else f"a.doc -> '{key}'"
        exists = f"json_typeof({item}) = 'object'"
    scopes = params.add([scope for scope, _ in reads.fields], "text[]")
    fields = params.add([what for _, what in reads.fields], "text[]")
    # The answer's JSON is parsed once, here: each merchant reached, and whether it exists.
    clean = f"(SELECT body::json AS doc FROM answer WHERE strpos(body, '{denied}') = 0) a"
    reached = f"SELECT r.id, r.n, {exists} AS found FROM {clean}, {source} WHERE r.id IS NOT NULL"
    notes = (
        f"SELECT r.id AS merchant_id, {params.add(PUBLIC_SCOPE, 'text')} AS scope, '{_MERCHANT}' AS field, r.n AS seq"
        " FROM reached r"
        # Every merchant's public read comes first, then each one's fields: seq orders them so.
        " UNION ALL SELECT r.id, f.scope, f.field, 1000000 * r.n + f.i FROM reached r,"
        f" unnest({scopes}, {fields}) WITH ORDINALITY AS f(scope, field, i) WHERE r.found"
    )
    log = access_log_rows(notes, partner_id=partner_id, request_id=request_id, now=now)
    return (f"WITH answer AS MATERIALIZED (SELECT {answer} AS body), reached AS MATERIALIZED ({reached}),"
            f" logged AS ({log}) SELECT body FROM answer"), slots
