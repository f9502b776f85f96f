"""Relay cursor connections with keyset cursors (newest first) and a page-size cap."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry
from graphql import GraphQLError

from services.kernel.graph.compiled import PAGE_PART

MAX_PAGE_SIZE = 100
#: Positions are bigint ids: a cursor past the largest one is not a cursor of ours.
_MAX_POSITION = 2**63 - 1
Node = TypeVar("Node")
Row = TypeVar("Row")


@strawberry.type
class PageInfo:
    has_next_page: bool = strawberry.field(metadata=PAGE_PART)
    has_previous_page: bool = strawberry.field(metadata=PAGE_PART)
    start_cursor: str | None = strawberry.field(metadata=PAGE_PART)
    end_cursor: str | None = strawberry.field(metadata=PAGE_PART)


@strawberry.type
class Edge(Generic[Node]):
    cursor: str = strawberry.field(metadata=PAGE_PART)
    node: Node = strawberry.field(metadata=PAGE_PART)


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]] = strawberry.field(metadata=PAGE_PART)
    page_info: PageInfo = strawberry.field(metadata=PAGE_PART)

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Row],
        *,
        first: int,
        position: Callable[[Row], int],
        node: Callable[[Row], Node],
        had_cursor: bool,
    ) -> Connection[Node]:
        """A page from ``first + 1`` rows fetched after the cursor (the extra row tells hasNextPage)."""
        page = rows[:first]
        edges = [Edge(cursor=encode_cursor(position(row)), node=node(row)) for row in page]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first,
                has_previous_page=had_cursor,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"c:{position}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, _, digits = text.partition(":")
        if prefix != "c" or not (digits.isascii() and digits.isdigit()) or int(digits) > _MAX_POSITION:
            raise ValueError(cursor)
        return int(digits)
    except (ValueError, UnicodeError) as exc:
        raise GraphQLError(f"Invalid cursor {cursor!r}", extensions={"code": "BAD_USER_INPUT"}) from exc


def page_window(first: int, after: str | None) -> tuple[int, int | None]:
    """Validated ``(first, position after which to start)``; ``first`` is 1..100."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}",
            extensions={"code": "BAD_USER_INPUT"},
        )
    return first, decode_cursor(after) if after is not None else None
