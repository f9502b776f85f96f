"""``--reuse-database``: a kept database is read again only if it holds the same data set, untouched."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from bench.servers import mark_data_set, reusable_database

SET = "10000 consumers, 1000 merchants, 200000 payments, seed 2026, 2026-11-20T10:00:00+08:00"


async def test_only_the_same_untouched_data_set_is_read_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    name = urlsplit(database_url).path.lstrip("/")
    assert not await reusable_database(name, SET), "never marked: seed it"
    try:
        await mark_data_set(database_url, SET)
        assert await reusable_database(name, SET)
        assert not await reusable_database(name, SET.replace("seed 2026", "seed 7")), "another data set"
        assert not await reusable_database(f"{name}_missing", SET), "no such database"
        await mark_data_set(database_url, None)  # writes were measured on it
        assert not await reusable_database(name, SET)
    finally:
        await mark_data_set(database_url, None)
