"""Message search in one room or across one's rooms (docs/api.md "Search").

The index holds each message's terms (rooms/community/search_terms.py: words plus the roots
their Indonesian affixes may hide), one row per message keyed by its id, kept in step with the
message in the same transaction: written on post, rewritten on edit, removed on delete, so a
deleted message's words are no longer findable. The table differs by database and is made by
migration 0010_search, outside rooms/community/schema/:

- SQLite: an FTS5 table whose rowid is the message id; the query is FTS5 syntax with every term
  quoted.
- PostgreSQL: a `tsvector` column with a GIN index. The terms become lexemes as they are
  (`array_to_tsvector`) and the query is a `tsquery` literal, so PostgreSQL's own parser and
  configurations never re-split or re-stem what Python decided; that is the `simple`
  configuration's behaviour, with the stemming done here.

Results are newest first (as a chat app lists them), paged by message id like history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from rooms.community.accounts import User
from rooms.community.direct_pairs import peers
from rooms.community.membership import require
from rooms.community.message_views import render
from rooms.community.schema.rooms import rooms
from rooms.community.search_terms import index_terms, query_words
from rooms.community.service import CommunityService
from rooms.errors import Invalid

SEARCH_TABLE = "message_search"
MAX_QUERY = 200  # characters
MAX_QUERY_WORDS = 8
PAGE_DEFAULT, PAGE_MAX = 20, 50


def is_search_table(name: str | None) -> bool:
    """The index and SQLite's FTS5 shadow tables (message_search_data, ...): the migration
    makes them, not the declared schema, so schema comparison leaves them out."""
    return bool(name) and (name == SEARCH_TABLE or str(name).startswith(SEARCH_TABLE + "_"))


async def index_message(conn: AsyncConnection, message_id: int, message_text: str) -> None:
    """(Re)write a message's row in the index, inside the caller's transaction."""
    await unindex_message(conn, message_id)
    await index_new_messages(conn, [(message_id, message_text)])


async def index_new_messages(conn: AsyncConnection, items: Sequence[tuple[int, str]]) -> None:
    """Index messages just inserted (an announcement posts one in each of many rooms: one
    statement for all of them)."""
    sqlite = conn.dialect.name == "sqlite"
    rows = []
    for message_id, message_text in items:
        terms = index_terms(message_text)
        if terms:
            rows.append({"id": message_id, "terms": terms if sqlite else terms.split()})
    if not rows:
        return
    if sqlite:
        statement = "INSERT INTO message_search (rowid, terms) VALUES (:id, :terms)"
    else:
        statement = (
            "INSERT INTO message_search (message_id, terms)"
            " VALUES (:id, array_to_tsvector(CAST(:terms AS text[])))"
        )
    await conn.execute(text(statement), rows)


async def unindex_message(conn: AsyncConnection, message_id: int) -> None:
    key = "rowid" if conn.dialect.name == "sqlite" else "message_id"
    await conn.execute(text(f"DELETE FROM message_search WHERE {key} = :id"), {"id": message_id})


def check_query(query: str) -> list[set[str]]:
    """The query's words as candidate sets, or Invalid. Pure."""
    if len(query) > MAX_QUERY:
        raise Invalid(f"a search is at most {MAX_QUERY} characters", "q", reason="search_too_long")
    found = query_words(query)
    if not found:
        raise Invalid("type a word to search for", "q", reason="search_empty")
    if len(found) > MAX_QUERY_WORDS:
        raise Invalid(f"search for at most {MAX_QUERY_WORDS} words", "q", reason="search_too_long")
    return found


def fts5_match(found: list[set[str]]) -> str:
    """`("membeli" OR "beli") AND ("rumah")`: every word, any of its candidates. Pure."""
    return " AND ".join(
        "(" + " OR ".join(f'"{term}"' for term in sorted(terms)) + ")" for terms in found
    )


def tsquery_literal(found: list[set[str]]) -> str:
    """`('membeli' | 'beli') & ('rumah')`, read by PostgreSQL's tsquery input as is. Pure."""
    return " & ".join(
        "(" + " | ".join(f"'{term}'" for term in sorted(terms)) + ")" for terms in found
    )


class Search(CommunityService):
    async def messages(
        self,
        user: User,
        query: str,
        room_id: int | None = None,
        before: int | None = None,
        limit: int = PAGE_DEFAULT,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Messages matching every word of `query`, newest first, in one room (which the caller
        may read) or in every room the caller is a member of; with the cursor of the next page.
        Each result is {"room": {...}, "message": Message}."""
        if not 1 <= limit <= PAGE_MAX:
            raise Invalid(f"limit must be 1-{PAGE_MAX}", "limit")
        found = check_query(query)
        async with self._db.read() as conn:
            if room_id is not None:
                await require(conn, room_id, user.id, "read")
            ids = await _matching_ids(conn, found, user.id, room_id, before, limit + 1)
            more = len(ids) > limit
            ids = ids[:limit]
            page = await render(conn, ids)
            named = await rooms_as_seen(conn, user.id, {m["room_id"] for m in page})
        results = [{"room": named[m["room_id"]], "message": m} for m in page]
        return results, (ids[-1] if more and ids else None)


async def _matching_ids(
    conn: AsyncConnection,
    found: list[set[str]],
    user_id: int,
    room_id: int | None,
    before: int | None,
    limit: int,
) -> list[int]:
    sqlite = conn.dialect.name == "sqlite"
    key = "s.rowid" if sqlite else "s.message_id"
    where = ["m.deleted = :no"]
    params: dict[str, Any] = {"no": False, "limit": limit}
    if sqlite:
        where.append("s.terms MATCH :match")
        params["match"] = fts5_match(found)
    else:
        where.append("s.terms @@ CAST(:match AS tsquery)")
        params["match"] = tsquery_literal(found)
    if room_id is not None:
        where.append("m.room_id = :room")
        params["room"] = room_id
    else:  # only rooms one is a member of, never public rooms one merely could read
        where.append("m.room_id IN (SELECT room_id FROM memberships WHERE user_id = :user)")
        params["user"] = user_id
    if before is not None:
        where.append(f"{key} < :before")
        params["before"] = before
    statement = (
        f"SELECT m.id FROM message_search s JOIN messages m ON m.id = {key}"
        f" WHERE {' AND '.join(where)} ORDER BY {key} DESC LIMIT :limit"
    )
    return list((await conn.execute(text(statement), params)).scalars())


async def rooms_as_seen(
    conn: AsyncConnection, user_id: int, room_ids: set[int]
) -> dict[int, dict[str, Any]]:
    """Each room's id, name and kind; a direct conversation is named after the other member."""
    if not room_ids:
        return {}
    result = await conn.execute(
        select(rooms.c.id, rooms.c.name, rooms.c.kind).where(rooms.c.id.in_(room_ids))
    )
    out = {row.id: {"id": row.id, "name": row.name, "kind": row.kind} for row in result}
    for room, peer in (await peers(conn, user_id, sorted(room_ids))).items():
        out[room]["name"] = peer["display_name"]
    return out
