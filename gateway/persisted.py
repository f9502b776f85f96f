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
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from graphql import ASTValidationRule, GraphQLError, GraphQLSchema, parse, specified_rules, validate

#: What ``hashlib.sha256(...).hexdigest()`` gives: the stored key, and nothing else is looked up
#: (no case folding, no surrounding space, no other script's digits or letters).
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: Longest document a client may register; a longer one runs but is not stored (documents
#: are a few KB: values belong in variables).
MAX_REGISTERED_CHARS = 50_000
_REMEMBERED_MAX = 100_000


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
    pool: asyncpg.Pool, *, query: str | None, extensions: dict[str, Any] | None, persisted_only: bool,
    registrar: Registrar | None = None,
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
    if registrar is None:
        await store(pool, query)
    else:
        await registrar.register(pool, query, digest)
    return query


class Registrar:
    """Which documents a client may store with APQ: only runnable ones, of bounded size.

    Anyone may register a document, and a stored one stays for every gateway process: a
    client that registered garbage (a document that does not parse or validate, matched
    by its own hash) filled the table for free, 200 KB a request. A document is stored
    only once it parses and validates against the schema and its limits, and only up to
    ``MAX_REGISTERED_CHARS``; either way it still runs (and answers its own errors). The
    hashes stored by this process are remembered (a stored document never changes), so
    a client that always sends the document costs neither a validation nor an INSERT.
    """

    def __init__(self, runnable: Callable[[str], bool]) -> None:
        self._runnable = runnable
        self._stored: set[str] = set()

    async def register(self, pool: asyncpg.Pool, query: str, digest: str) -> None:
        if digest in self._stored:
            return
        if len(query) > MAX_REGISTERED_CHARS or not self._runnable(query):
            return
        await store(pool, query)
        if len(self._stored) >= _REMEMBERED_MAX:
            self._stored.clear()
        self._stored.add(digest)


def runnable_check(schema: GraphQLSchema, rules: Sequence[type[ASTValidationRule]], *, max_tokens: int) -> Callable[
    [str], bool
]:
    """True for a document that parses (within ``max_tokens``) and passes ``rules`` against ``schema``."""
    all_rules = (*specified_rules, *rules)

    def runnable(query: str) -> bool:
        try:
            document = parse(query, max_tokens=max_tokens)
        except GraphQLError:
            return False
        return not validate(schema, document, all_rules)

    return runnable
