"""Automatic persisted queries (Apollo's APQ protocol), stored in PostgreSQL.

A client sends ``extensions.persistedQuery = {version: 1, sha256Hash}`` without the
document; if we know the hash we run the stored document, else we answer
``PersistedQueryNotFound`` and the client retries with the document, which we verify
against the hash and store for every gateway process. In "persisted only" mode
(``FINGRAPH_PERSISTED_ONLY=1``) only stored documents run: new documents and
registrations are refused, so production runs only what was registered beforehand
(``fingraph persist FILE``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import asyncpg
from graphql import GraphQLError

#: What ``hashlib.sha256(...).hexdigest()`` gives: the stored key, and nothing else is looked up
#: (no case folding, no surrounding space, no other script's digits or letters).
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.error = GraphQLError(message, extensions={"code": code})


def document_hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


async def store(pool: asyncpg.Pool, query: str) -> str:
    digest = document_hash(query)
    await pool.execute(
        "INSERT INTO gateway.persisted_queries (sha256, query) VALUES ($1, $2) ON CONFLICT DO NOTHING", digest, query
    )
    return digest


async def resolve_document(
    pool: asyncpg.Pool, *, query: str | None, extensions: dict[str, Any] | None, persisted_only: bool
) -> str | None:
    """The document to run, after the APQ exchange; ``PersistedQueryError`` to refuse."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        if persisted_only and query is not None:
            raise PersistedQueryError("Only persisted queries are accepted here", "PERSISTED_QUERY_REQUIRED")
        return query
    # `True == 1` and `1.0 == 1` in Python: the version must be the JSON integer 1 itself.
    version = persisted.get("version") if isinstance(persisted, dict) else None
    if type(version) is not int or version != 1:
        raise PersistedQueryError("Unsupported persistedQuery version (only 1)", "PERSISTED_QUERY_NOT_SUPPORTED")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or _SHA256_HEX.fullmatch(digest) is None:
        raise PersistedQueryError(
            "persistedQuery.sha256Hash must be a sha256 digest as 64 lowercase hex digits", "BAD_REQUEST"
        )
    if query is None:
        stored: str | None = await pool.fetchval(
            "SELECT query FROM gateway.persisted_queries WHERE sha256 = $1", digest
        )
        if stored is None:
            raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return stored
    if document_hash(query) != digest:
        raise PersistedQueryError("provided sha256Hash does not match the query", "PERSISTED_QUERY_HASH_MISMATCH")
    if persisted_only:
        known = await pool.fetchval("SELECT 1 FROM gateway.persisted_queries WHERE sha256 = $1", digest)
        if known is None:
            raise PersistedQueryError("Only persisted queries are accepted here", "PERSISTED_QUERY_REQUIRED")
        return query
    await store(pool, query)
    return query
