"""Typed party ids checked against the party's kind: the one place every input naming a party uses.

Consumers and merchants share one table and one id sequence, so ``con_5`` and ``mer_5``
differ only in the prefix; the prefix names a kind, and a row of another kind is
NOT_FOUND, exactly like a missing row (``openCreditLine(partyId: "con_5")`` must never
reach merchant 5).
"""

from __future__ import annotations

import asyncpg

from services.kernel.ids import decode_id
from services.payments import repository
from services.payments.errors import party_not_found
from services.payments.models import Party, PartyKind

_TYPE_NAMES = {PartyKind.CONSUMER: "Consumer", PartyKind.MERCHANT: "Merchant"}


def party_ref(value: str, *kinds: PartyKind, field: str) -> tuple[PartyKind, int]:
    """The kind and id a typed id names, if it is one of ``kinds``; else NOT_FOUND on ``field``."""
    decoded = decode_id(value, *(_TYPE_NAMES[kind] for kind in kinds or tuple(PartyKind)))
    if decoded is None:
        raise party_not_found(field)
    return PartyKind(decoded[0].upper()), decoded[1]


async def party_of_kind(conn: asyncpg.Connection, party_id: int, kind: PartyKind, *, field: str) -> Party:
    """The party ``party_id`` if it exists and is of ``kind``; else NOT_FOUND on ``field``."""
    party = await repository.party_of_kind(conn, party_id, kind)
    if party is None:
        raise party_not_found(field)
    return party


async def named_party(conn: asyncpg.Connection, value: str, *kinds: PartyKind, field: str) -> Party:
    """``party_ref`` then ``party_of_kind``: the party a typed id names, of one of ``kinds``."""
    kind, party_id = party_ref(value, *kinds, field=field)
    return await party_of_kind(conn, party_id, kind, field=field)
