"""SQL of the partners service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.partners.models import AccessRecord, Consent, Partner


async def insert_partner(conn: asyncpg.Connection, *, name: str, now: datetime) -> Partner:
    row = await conn.fetchrow(
        "INSERT INTO partners.partners (name, created_at) VALUES ($1, $2) RETURNING id, name, created_at", name, now
    )
    assert row is not None
    return Partner(id=row["id"], name=row["name"], created_at=row["created_at"])


async def partners_by_ids(conn: asyncpg.Connection, ids: Sequence[int]) -> list[Partner]:
    rows = await conn.fetch(
        "SELECT id, name, created_at FROM partners.partners WHERE id = ANY($1::bigint[])", list(ids)
    )
    return [Partner(id=r["id"], name=r["name"], created_at=r["created_at"]) for r in rows]


async def upsert_consent(
    conn: asyncpg.Connection, *, partner_id: int, merchant_id: int, scopes: Sequence[str], now: datetime
) -> Consent:
    row = await conn.fetchrow(
        """
        INSERT INTO partners.consents (partner_id, merchant_id, scopes, granted_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (partner_id, merchant_id) DO UPDATE SET scopes = EXCLUDED.scopes, granted_at = EXCLUDED.granted_at
        RETURNING partner_id, merchant_id, scopes, granted_at
        """,
        partner_id,
        merchant_id,
        list(scopes),
        now,
    )
    assert row is not None
    return Consent(row["partner_id"], row["merchant_id"], tuple(row["scopes"]), row["granted_at"])


async def delete_consent(conn: asyncpg.Connection, *, partner_id: int, merchant_id: int) -> bool:
    status: str = await conn.execute(
        "DELETE FROM partners.consents WHERE partner_id = $1 AND merchant_id = $2", partner_id, merchant_id
    )
    return status.endswith(" 1")


async def grants_of(conn: asyncpg.Connection | asyncpg.Pool, partner_id: int) -> list[tuple[int, str]]:
    rows = await conn.fetch(
        "SELECT merchant_id, unnest(scopes) AS scope FROM partners.consents WHERE partner_id = $1", partner_id
    )
    return [(row["merchant_id"], row["scope"]) for row in rows]


async def insert_access_records(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    partner_id: int,
    reads: Sequence[tuple[int, str, Sequence[str]]],
    request_id: str,
    now: datetime,
) -> None:
    await conn.execute(
        """
        INSERT INTO partners.access_log (partner_id, merchant_id, scope, fields, request_id, accessed_at)
        SELECT $1, r.merchant_id, r.scope, string_to_array(r.fields, ','), $5, $6
          FROM unnest($2::bigint[], $3::text[], $4::text[]) AS r(merchant_id, scope, fields)
        """,
        partner_id,
        [r[0] for r in reads],
        [r[1] for r in reads],
        [",".join(r[2]) for r in reads],
        request_id,
        now,
    )


async def access_log_page(
    conn: asyncpg.Connection, *, merchant_id: int, limit: int, before_id: int | None
) -> list[AccessRecord]:
    rows = await conn.fetch(
        """
        SELECT * FROM partners.access_log WHERE merchant_id = $1 AND ($3::bigint IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $2
        """,
        merchant_id,
        limit,
        before_id,
    )
    return [
        AccessRecord(
            id=r["id"],
            partner_id=r["partner_id"],
            merchant_id=r["merchant_id"],
            scope=r["scope"],
            fields=tuple(r["fields"]),
            request_id=r["request_id"],
            accessed_at=r["accessed_at"],
        )
        for r in rows
    ]
