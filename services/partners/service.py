"""Partner use cases: register partners, grant and revoke consent, record partner reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg

from services.kernel.errors import DomainError, ErrorCode
from services.kernel.text import check_visible
from services.partners import repository
from services.partners.models import SCOPES, Consent, Partner


async def create_partner(conn: asyncpg.Connection, *, name: str, now: datetime) -> Partner:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise DomainError(ErrorCode.INVALID_INPUT, "name must be 1 to 200 characters", field="name")
    check_visible(name, field="name")
    return await repository.insert_partner(conn, name=name, now=now)


async def grant_access(
    conn: asyncpg.Connection, *, merchant_id: int, partner_id: int, scopes: Sequence[str], now: datetime
) -> Consent:
    """The merchant lets the partner read the scoped parts of its finances (replaces an earlier grant)."""
    wanted = tuple(dict.fromkeys(scopes))
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if not wanted or unknown:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"scopes must be a non-empty subset of {', '.join(SCOPES)}", field="scopes"
        )
    if not await repository.partners_by_ids(conn, [partner_id]):
        raise DomainError(ErrorCode.NOT_FOUND, "no such partner", field="partnerId")
    return await repository.upsert_consent(conn, partner_id=partner_id, merchant_id=merchant_id, scopes=wanted, now=now)


async def revoke_access(conn: asyncpg.Connection, *, merchant_id: int, partner_id: int) -> None:
    if not await repository.delete_consent(conn, partner_id=partner_id, merchant_id=merchant_id):
        raise DomainError(ErrorCode.NOT_FOUND, "this partner has no access to revoke", field="partnerId")


async def grants_of(pool: asyncpg.Pool, partner_id: int) -> frozenset[tuple[int, str]]:
    """What merchants granted this partner, as (merchant id, scope) pairs."""
    return frozenset(await repository.grants_of(pool, partner_id))


def group_reads(reads: Iterable[tuple[int, str, str]]) -> list[tuple[int, str, list[str]]]:
    """The access log's rows for a request's reads (merchant, scope, field), in the order
    noted: one per (merchant, scope), in the order first read, listing its fields in the
    order first read. Both read paths log by this rule (ADR 020)."""
    fields: dict[tuple[int, str], list[str]] = defaultdict(list)
    for merchant_id, scope, field in reads:
        if field not in fields[(merchant_id, scope)]:
            fields[(merchant_id, scope)].append(field)
    return [(merchant_id, scope, named) for (merchant_id, scope), named in fields.items()]


async def record_reads(
    pool: asyncpg.Pool, *, partner_id: int, reads: Iterable[tuple[int, str, str]], request_id: str, now: datetime
) -> None:
    """One access-log row per (merchant, scope) read in a request, listing the fields (``group_reads``)."""
    rows = group_reads(reads)
    if rows:
        await repository.insert_access_records(pool, partner_id=partner_id, reads=rows, request_id=request_id, now=now)
